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
"$build/bench_alloc" "$@"

# Valgrind has no rseq, so callgrind counts pmm's general fast path.  The
# leaf path that runs natively (a thread on its own CPU, restartable per-CPU
# lock) is counted statically: the instructions from each entry point to its
# first return along the fall-through path, which is the hot path (every
# branch off it is an unlikely() exit to out-of-line code).
if command -v objdump >/dev/null; then
	count() { # objdump gets SIGPIPE when awk stops early: not an error
		set +o pipefail
		objdump -d --no-show-raw-insn "$build/bench_alloc" |
			awk -v f="<$1>:" '$2 == f { on = 1; next } on && /\tret/ { print n + 1; exit } on && /^ +[0-9a-f]+:\t/ { n++ }' || true
	}
	a=$(count pmm_alloc_pages) f=$(count pmm_free_pages) p=$(count pmm_page_address)
	echo
	echo "Native leaf path, static count (objdump, fall-through path to the first ret): pmm_alloc_pages $a + pmm_free_pages $f + pmm_page_address $p = $((a + f + p)) instructions per pair, plus the loop."
fi
