#!/bin/bash
# What `cmake --install` gives a user, under a prefix chosen at install time
# (not the one configured): the library through pkg-config (shared, and static
# with --static's private libraries) and through CMake's find_package(pmm),
# README's example compiled as written, and the installed command running the
# main job on the data installed beside it.
# Usage: test_install.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
BUILD=$(dirname "$PMM")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CMD=run
. "$SRC/tests/cli/lib.sh"
cd "$TMP" || exit 1
CC=${CC:-cc}

# A prefix unlike the configured one.
PREFIX="$TMP/prefix"
if ! cmake --install "$BUILD" --prefix "$PREFIX" >install.log 2>&1; then
	fail "cmake --install failed"; tail -20 install.log
	echo "install: $fails failed"; exit 1
fi
pc=$(find "$PREFIX" -name pmm.pc | head -1)
[ -n "$pc" ] || { fail "no pmm.pc installed"; echo "install: $fails failed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
for f in include/pmm/pmm.h bin/pmm share/pmm/kmem-6.1-slice.txt.zst; do
	[ -e "$PREFIX/$f" ] || fail "$f not installed"
done
[ -e "$libdir/libpmm.a" ] || fail "libpmm.a not installed"
[ -e "$libdir/libpmm_freestanding.a" ] || fail "libpmm_freestanding.a not installed"
[ -e "$libdir/libpmm.so.0" ] || fail "libpmm.so.0 not installed"

# pmm.pc's directories are the install's, not the configured prefix's.
[ "$(pkg-config --variable=includedir pmm | xargs -0 realpath 2>/dev/null)" = "$(realpath "$PREFIX/include")" ] ||
	fail "pmm.pc's includedir is $(pkg-config --variable=includedir pmm), not under $PREFIX"

# A program that fails unless the library works: frames come and go back, and
# a trace (argv[1]) reads to its end, which a static link can do only with
# every compression and trace library pmm.pc names.
cat >check.c <<'EOF'
#include <pmm/pmm.h>
#include <pmm/trace.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct pmm_config cfg;
	struct pmm *m;
	unsigned long before, events = 0;
	struct pmm_page *p;
	struct pmm_trace_parser *tp;
	struct pmm_trace_event ev;
	int r;

	if (argc > 1) {
		if (pmm_trace_open(&tp, argv[1], NULL))
			return 4;
		while ((r = pmm_trace_next(tp, &ev)) > 0)
			events++;
		pmm_trace_close(tp);
		if (r < 0 || events == 0)
			return 5;
		printf("events %lu\n", events);
	}

	pmm_config_default(&cfg);
	if (pmm_config_parse(&cfg, "mem=256M cpus=2", 15, "<check>", NULL, 0) || pmm_create(&cfg, &m))
		return 1;
	before = pmm_nr_free_pages(m);
	p = pmm_alloc_pages(m, PMM_GFP_KERNEL, 3);
	if (!p)
		return 2;
	memset(pmm_page_address(m, p), 0x5a, 8 * PMM_PAGE_SIZE);
	pmm_free_pages(m, p, 3);
	if (pmm_validate(m, NULL, 0) != 0)
		return 3;
	printf("ok %lu\n", before);
	pmm_destroy(m);
	return 0;
}
EOF

# README's example, its includes on top and the rest as main's body.
# (The first ```c block: awk stops at its closing fence.)
awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on' "$SRC/README.md" >snippet.c
if [ ! -s snippet.c ] || ! grep -q pmm_create snippet.c; then
	fail "README.md has no C example with pmm_create"
else
	{ grep '^#include' snippet.c; echo 'int main(void) {'; grep -v '^#include' snippet.c;
	  echo 'return 0; }'; } >readme.c
fi

# run_prog NAME BINARY [ARGS]: the program runs and says ok.
run_prog() {
	local name=$1 bin=$2
	shift 2
	if ! LD_LIBRARY_PATH="$libdir" "$bin" "$@" >"$name.out" 2>&1; then
		fail "$name exited $?"; head -5 "$name.out"
	elif [ "$name" != readme ] && ! grep -q '^ok 65536$' "$name.out"; then
		fail "$name printed: $(head -3 "$name.out")"
	fi
}
SLICE="$PREFIX/share/pmm/kmem-6.1-slice.txt.zst"

# pkg-config, shared library.
# shellcheck disable=SC2046
if $CC -std=c99 -Wall -Werror -o check-shared check.c $(pkg-config --cflags --libs pmm) 2>cc.log; then
	run_prog check-shared ./check-shared "$SLICE"
	LD_LIBRARY_PATH="$libdir" ldd ./check-shared | grep -q "$libdir/libpmm.so.0" ||
		fail "check-shared is not linked with the installed libpmm.so.0"
else
	fail "pkg-config --cflags --libs pmm: the program does not build"; head -20 cc.log
fi

# pkg-config --static: libpmm.a and every private library it needs.
static_libs=$(pkg-config --static --libs pmm | sed 's/ -lpmm / /; s/^-lpmm //')
# shellcheck disable=SC2046,SC2086
if $CC -std=c99 -Wall -Werror -o check-static check.c $(pkg-config --cflags pmm) "$libdir/libpmm.a" $static_libs 2>cc.log; then
	run_prog check-static ./check-static "$SLICE"
	grep -q "^events [1-9]" check-static.out || fail "check-static read no events"
	ldd ./check-static | grep -q libpmm && fail "check-static loads a shared libpmm"
else
	fail "pkg-config --static --libs pmm: the static link fails"; head -20 cc.log
fi

# README's example as written.
if [ -f readme.c ]; then
	# shellcheck disable=SC2046
	if $CC -std=c99 -Wall -Werror -o readme readme.c $(pkg-config --cflags --libs pmm) 2>cc.log; then
		run_prog readme ./readme
	else
		fail "README.md's example does not build"; head -20 cc.log
	fi
fi

# CMake: find_package(pmm) and both exported targets.
mkdir -p cm
cp check.c cm/
cat >cm/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(pmm_consumer LANGUAGES C)
find_package(pmm 0.1 REQUIRED)
add_executable(check-cm-static check.c)
target_link_libraries(check-cm-static PRIVATE pmm::pmm_static)
add_executable(check-cm-shared check.c)
target_link_libraries(check-cm-shared PRIVATE pmm::pmm_shared)
EOF
if cmake -S cm -B cm/build -DCMAKE_PREFIX_PATH="$PREFIX" >cm.log 2>&1 && cmake --build cm/build >>cm.log 2>&1; then
	run_prog check-cm-static cm/build/check-cm-static "$SLICE"
	run_prog check-cm-shared cm/build/check-cm-shared
else
	fail "find_package(pmm): the consumer does not build"; tail -20 cm.log
fi

# The installed command runs the main job on the data installed beside it,
# also when the whole tree moves after the install.
mv "$PREFIX" "$TMP/moved"
PMM="$TMP/moved/bin/pmm"
expect 0 "^replay of $TMP/moved/share/pmm/kmem-6.1-slice\\.txt\\.zst: end of input" -- -m "mem=1G"

echo "install: $fails failed"
[ "$fails" -eq 0 ]
