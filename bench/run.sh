#!/usr/bin/env bash
# Build the benchmarks (RelWithDebInfo, the project's default build) and run
# bench_alloc, which prints its Markdown tables on stdout.  Arguments go to
# bench_alloc (e.g. --no-callgrind, --only a,e, tcmalloc pmm).
# Usage: bench/run.sh [bench_alloc options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PMM_BENCH_BUILD:-$root/build-bench}

"$root/scripts/install-deps.sh" --bench
cmake -S "$root" -B "$build" -G Ninja -DPMM_BENCH=ON -DPMM_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" bench_alloc >/dev/null
exec "$build/bench_alloc" "$@"
