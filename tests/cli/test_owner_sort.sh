#!/bin/bash
# SPDX-License-Identifier: MIT
# pmm owner-sort from the command line: outputs, exit codes, stdin, xz,
# Linux 6.12's tool (--kver 6.12),
# OUTPUT left alone on bad input.
# Usage: test_owner_sort.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

check() { # description, expected status, actual status
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: exit status $3, expected $2"
		fails=$((fails + 1))
	else
		echo "ok: $1"
	fi
}

same() { # description, expected file, actual file
	if cmp -s "$2" "$3"; then
		echo "ok: $1"
	else
		echo "FAIL: $1: output differs"
		diff "$2" "$3" | head -10
		fails=$((fails + 1))
	fi
}

rec() { # order pid comm ts free_ts pfn-flags stack-function
	printf 'Page allocated via order %s, mask 0xcc0(GFP_KERNEL), pid %s, tgid %s (%s), ts %s ns, free_ts %s ns\n' \
		"$1" "$2" "$2" "$3" "$4" "$5"
	printf 'PFN 4096 type Unmovable Block 8 type Unmovable Flags 0x200(%s)\n' "$6"
	printf ' post_alloc_hook+0x1e6/0x210\n %s+0x10/0x20\n\n' "$7"
}

{
	rec 0 812 bash 300 0 node=0 do_anonymous_page
	rec 1 1 systemd 100 50 slab kmem_cache_alloc
	rec 0 813 bash 200 0 node=0 do_anonymous_page
} >"$T/dump.txt"

# default: whole records in text order
cat >"$T/expect-default.txt" <<'EOF'
1 times, 1 pages, allocated by OTHERS :
Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 812, tgid 812 (bash), ts 300 ns, free_ts 0 ns
 post_alloc_hook+0x1e6/0x210
 do_anonymous_page+0x10/0x20

1 times, 1 pages, allocated by OTHERS :
Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 813, tgid 813 (bash), ts 200 ns, free_ts 0 ns
 post_alloc_hook+0x1e6/0x210
 do_anonymous_page+0x10/0x20

1 times, 2 pages, allocated by SLAB :
Page allocated via order 1, mask 0xcc0(GFP_KERNEL), pid 1, tgid 1 (systemd), ts 100 ns, free_ts 50 ns
 post_alloc_hook+0x1e6/0x210
 kmem_cache_alloc+0x10/0x20

EOF
"$PMM" owner-sort "$T/dump.txt" "$T/out.txt"
check "default run" 0 $?
same "default output" "$T/expect-default.txt" "$T/out.txt"

# --cull by name, pages descending (a tie: the cull order, by name, stays), to stdout
printf '2 times, 2 pages, task_comm_name: bash\n1 times, 2 pages, task_comm_name: systemd\n' \
	>"$T/expect-cull.txt"
"$PMM" owner-sort -m --cull=name "$T/dump.txt" >"$T/out-cull.txt"
check "cull to stdout" 0 $?
same "cull output" "$T/expect-cull.txt" "$T/out-cull.txt"

# stdin, and xz (by magic, also through a pipe)
"$PMM" owner-sort -m --cull=name - <"$T/dump.txt" >"$T/out-stdin.txt"
check "stdin" 0 $?
same "stdin output" "$T/expect-cull.txt" "$T/out-stdin.txt"
if command -v xz >/dev/null; then
	xz -c "$T/dump.txt" >"$T/dump.txt.xz"
	"$PMM" owner-sort -m --cull=name "$T/dump.txt.xz" >"$T/out-xz.txt"
	check "xz file" 0 $?
	same "xz output" "$T/expect-cull.txt" "$T/out-xz.txt"
	xz -c "$T/dump.txt" | "$PMM" owner-sort -m --cull=name - >"$T/out-xzpipe.txt"
	check "xz pipe" 0 $?
	same "xz pipe output" "$T/expect-cull.txt" "$T/out-xzpipe.txt"
	head -c 40 "$T/dump.txt.xz" >"$T/cut.xz"
	"$PMM" owner-sort "$T/cut.xz" >/dev/null 2>"$T/err.txt"
	check "corrupt xz" 65 $?
fi

# bad input: exit 65, file:line: reason, existing OUTPUT untouched
printf 'keep me\n' >"$T/keep.txt"
printf 'this is not\na page_owner dump\n\n' >"$T/bad.txt"
"$PMM" owner-sort "$T/bad.txt" "$T/keep.txt" 2>"$T/err.txt"
check "garbage input" 65 $?
grep -q "bad.txt:1: not a page_owner record" "$T/err.txt" || {
	echo "FAIL: garbage message: $(cat "$T/err.txt")"
	fails=$((fails + 1))
}
[ "$(cat "$T/keep.txt")" = "keep me" ] || {
	echo "FAIL: OUTPUT was modified on bad input"
	fails=$((fails + 1))
}
head -c 300 "$T/dump.txt" >"$T/trunc.txt"
"$PMM" owner-sort "$T/trunc.txt" >/dev/null 2>"$T/err.txt"
check "truncated input" 65 $?
grep -q "trunc.txt:[0-9]*: truncated record" "$T/err.txt" || {
	echo "FAIL: truncated message: $(cat "$T/err.txt")"
	fails=$((fails + 1))
}
: >"$T/empty.txt"
"$PMM" owner-sort "$T/empty.txt" >/dev/null 2>&1
check "empty input" 65 $?
head -c 2000 /dev/urandom >"$T/binary.bin"
"$PMM" owner-sort "$T/binary.bin" >/dev/null 2>&1
check "binary input" 65 $?
"$PMM" owner-sort --lenient "$T/binary.bin" >/dev/null 2>&1
check "binary input, lenient" 0 $?
"$PMM" owner-sort "$T" "$T/keep.txt" 2>"$T/err.txt"
check "a directory as input" 1 $?
grep -qx "pmm owner-sort: $T: Is a directory" "$T/err.txt" || {
	echo "FAIL: directory message: $(cat "$T/err.txt")"
	fails=$((fails + 1))
}

# an empty report still creates OUTPUT
"$PMM" owner-sort --name=nobody "$T/dump.txt" "$T/empty-out.txt"
check "empty report" 0 $?
[ -f "$T/empty-out.txt" ] && [ ! -s "$T/empty-out.txt" ] || {
	echo "FAIL: empty report file"
	fails=$((fails + 1))
}

# usage errors: 2; help: 0; missing file: 1
"$PMM" owner-sort >/dev/null 2>&1
check "no INPUT" 2 $?
"$PMM" owner-sort --cull=bogus "$T/dump.txt" >/dev/null 2>&1
check "bad --cull key" 2 $?
"$PMM" owner-sort --sort=p, "$T/dump.txt" >/dev/null 2>&1
check "bad --sort list" 2 $?
"$PMM" owner-sort -z "$T/dump.txt" >/dev/null 2>&1
check "unknown option" 2 $?
"$PMM" owner-sort a b c >/dev/null 2>&1
check "too many operands" 2 $?
"$PMM" owner-sort --help >"$T/help.txt"
check "--help" 0 $?
grep -q "Usage: pmm owner-sort" "$T/help.txt" || {
	echo "FAIL: help text"
	fails=$((fails + 1))
}
"$PMM" owner-sort "$T/does-not-exist" >/dev/null 2>&1
check "missing INPUT file" 1 $?

# --kver 6.12: Linux 6.12's tool and dump format
rec612() { # pid ts pfn-flags
	printf 'Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid %s, tgid %s (bash), ts %s ns\n' \
		"$1" "$1" "$2"
	printf 'PFN 0x1000 type Unmovable Block 8 type Unmovable Flags 0x200(%s)\n' "$3"
	printf ' post_alloc_hook+0x1e6/0x210\n do_anonymous_page+0x10/0x20\n\n'
}
{
	rec612 812 300 node=0
	rec612 812 100 node=0
	rec612 813 200 node=0
} >"$T/dump612.txt"
# records apart only in their ts are one, printed without it (as the real tool does)
cat >"$T/expect-612.txt" <<'EOF2'
2 times, 2 pages, allocated by OTHERS :
Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 812, tgid 812 (bash), ts  ns
 post_alloc_hook+0x1e6/0x210
 do_anonymous_page+0x10/0x20

1 times, 1 pages, allocated by OTHERS :
Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 813, tgid 813 (bash), ts  ns
 post_alloc_hook+0x1e6/0x210
 do_anonymous_page+0x10/0x20

EOF2
"$PMM" owner-sort --kver 6.12 "$T/dump612.txt" "$T/out612.txt"
check "--kver 6.12" 0 $?
same "--kver 6.12 output" "$T/expect-612.txt" "$T/out612.txt"
"$PMM" owner-sort "$T/dump612.txt" -t --sort=-p --kver=6.12.1-generic >"$T/out612b.txt"
check "--kver after the options, --sort ignored" 0 $?
same "--kver after the options, output" "$T/expect-612.txt" "$T/out612b.txt"
"$PMM" owner-sort "$T/dump612.txt" 2>"$T/err.txt"
check "6.12 dump without --kver" 65 $?
grep -q "dump612.txt:1: header has no \"free_ts\" (a newer kernel's dump: use --kver 6.12)" "$T/err.txt" || {
	echo "FAIL: 6.12 dump message: $(cat "$T/err.txt")"
	fails=$((fails + 1))
}
"$PMM" owner-sort --kver 6.12 "$T/dump.txt" 2>"$T/err.txt"
check "6.1 dump with --kver 6.12" 65 $?
grep -q "dump.txt:1: header has \"free_ts\" (an older kernel's dump" "$T/err.txt" || {
	echo "FAIL: 6.1 dump message: $(cat "$T/err.txt")"
	fails=$((fails + 1))
}
"$PMM" owner-sort --kver 6.12 --lenient "$T/dump.txt" >/dev/null
check "6.1 dump with --kver 6.12 --lenient" 0 $?
"$PMM" owner-sort --kver 6.6.150 "$T/dump.txt" >"$T/out66.txt"
check "--kver 6.6 is the 6.1 tool" 0 $?
same "--kver 6.6 output" "$T/expect-default.txt" "$T/out66.txt"
"$PMM" owner-sort --kver 6.8 "$T/dump.txt" 2>"$T/err.txt"
check "--kver 6.8 is the 6.12 tool: a 6.1 dump" 65 $?
"$PMM" owner-sort --kver 6.12 -a -m "$T/dump612.txt" 2>"$T/err.txt"
check "--kver 6.12 with two sort options" 2 $?
grep -q "only one of -a -m -n -p -P -s -t" "$T/err.txt" || {
	echo "FAIL: two sort options message: $(cat "$T/err.txt")"
	fails=$((fails + 1))
}
"$PMM" owner-sort -r --kver 6.12 "$T/dump612.txt" >/dev/null 2>&1
check "--kver 6.12 -r" 2 $?
"$PMM" owner-sort --cull=free --kver 6.12 "$T/dump612.txt" >/dev/null 2>&1
check "--kver 6.12 --cull=free" 2 $?
"$PMM" owner-sort --kver six "$T/dump612.txt" >/dev/null 2>&1
check "bad --kver" 2 $?
"$PMM" owner-sort --kver 6.12 --help >"$T/help612.txt"
check "--kver 6.12 --help" 0 $?
if ! grep -q "^Linux 6.12's tool:" "$T/help612.txt" || grep -q "^-r" "$T/help612.txt"; then
	echo "FAIL: --kver 6.12 --help lists the 6.1 tool's options"
	fails=$((fails + 1))
fi
# a dump pmm wrote in 6.12's format, and the real 6.12 tool's output of it
D612="$SRC/tests/data/page_owner_sort-6.12"
if command -v xz >/dev/null; then
	"$PMM" owner-sort --kver 6.12 -m --cull pid,name "$D612/replay-dump.txt.xz" "$T/replay.txt"
	check "6.12 dump from pmm" 0 $?
	xz -dc "$D612/replay-cull-pid-name-m.out.xz" >"$T/replay-expect.txt"
	same "6.12 dump from pmm, -m --cull pid,name" "$T/replay-expect.txt" "$T/replay.txt"
fi

# the real dump, when the shared captures are there
D="$SRC/../shared/data/linux-6.1/a-1g-1node-mixed"
if [ -f "$D/page_owner.txt.xz" ] && command -v xz >/dev/null; then
	"$PMM" owner-sort --cull stacktrace "$D/page_owner.txt.xz" "$T/real.txt"
	check "real dump" 0 $?
	xz -dc "$D/page_owner_sort/a-cull-stacktrace.out.xz" >"$T/real-expect.txt"
	same "real dump --cull stacktrace" "$T/real-expect.txt" "$T/real.txt"
else
	echo "SKIP: real dump (no ../shared)"
fi

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
