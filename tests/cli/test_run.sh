#!/bin/bash
# pmm run, the main job: what it prints and writes on the default machine,
# its options, and its exit codes and messages on bad input.
# Usage: test_run.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CMD=run
. "$SRC/tests/cli/lib.sh"
cd "$TMP" || exit 1

# has FILE PATTERN: FILE matches PATTERN (grep -E).
has() {
	grep -Eq -- "$2" "$1" || { fail "$1 lacks /$2/"; head -20 "$1" | sed 's/^/    /'; }
}

# The main job as the README gives it: the shipped trace replayed on the
# default machine, its summary, the reports, the top stacks and owners, and
# the two pictures in the current directory.
"$PMM" run -q >"$TMP/main.out" 2>"$TMP/main.err"
rc=$?
[ "$rc" = 0 ] || { fail "pmm run -q: exit $rc"; head -20 "$TMP/main.err"; }
[ -s "$TMP/main.err" ] && { fail "pmm run -q wrote to stderr"; head -5 "$TMP/main.err"; }
has "$TMP/main.out" '^pmm: 2 CPUs, 2097152 pages managed, 2097152 free$|^pmm: [0-9]+ CPUs, 2097152 pages managed'
has "$TMP/main.out" '^replay of .*kmem-6\.1-slice\.txt\.zst: end of input$'
has "$TMP/main.out" '^  mm_page_alloc +[1-9][0-9]* +[1-9][0-9]* allocated'
has "$TMP/main.out" '^pmm_validate: ok$'
has "$TMP/main.out" '^== buddyinfo$'
has "$TMP/main.out" '^Node 0, zone   Normal( +[0-9]+){11} $'
has "$TMP/main.out" '^== pagetypeinfo$'
has "$TMP/main.out" '^== top page_owner stacks \([0-9]+ of [0-9]+, by pages held\)$'
has "$TMP/main.out" '^ pmm_alloc_pages\+0x'
has "$TMP/main.out" '^nr_base_pages: [1-9]'
has "$TMP/main.out" '^== top page owners by task'
has "$TMP/main.out" '^[0-9]+ times, [0-9]+ pages, task_comm_name: init$'
for f in pmm-map.svg pmm-fragmentation.svg; do
	[ -s "$f" ] || fail "pmm run -q did not write $f"
	head -c 200 "$f" | grep -q '<svg' || fail "$f is not SVG"
	tail -c 20 "$f" | grep -q '</svg>' || fail "$f is not a whole SVG document"
done
# Without -q the boot log comes first, in the kernel's words.
expect 0 '^Zone ranges:' -- --no-replay
expect 0 'Built 1 zonelists, mobility grouping on' -- --no-replay

# Reports: -r picks them, all of them go to -o DIR, --stacks 0 drops the stacks.
mkdir -p "$TMP/svg"
expect 0 '^== zoneinfo$' -- -q -r zoneinfo,vmstat --stacks 0 -o "$TMP/rep" \
	--svg-map "$TMP/svg/map.svg" --svg-chart "$TMP/svg/chart.svg"
has "$TMP/out" '^== vmstat$'
has "$TMP/out" '^ +pagesets$'
grep -q '^== buddyinfo$' "$TMP/out" && fail "-r zoneinfo,vmstat printed buddyinfo"
grep -q '^== top page_owner stacks' "$TMP/out" && fail "--stacks 0 printed stacks"
for r in buddyinfo pagetypeinfo zoneinfo vmstat meminfo extfrag_index unusable_index page_owner show_stacks; do
	[ -s "$TMP/rep/$r" ] || fail "-o did not write $r"
done
has "$TMP/rep/page_owner" '^Page allocated via order [0-9]+, mask 0x'
has "$TMP/rep/show_stacks" '^nr_base_pages: [1-9]'
# The shipped trace is Linux 6.1's: its page_owner file is 6.1's (decimal PFN, free_ts).
has "$TMP/rep/page_owner" '^PFN [0-9]+ type '
has "$TMP/rep/page_owner" ', free_ts [0-9]+ ns$'
grep -q 'gfp flag names' "$TMP/out" && fail "a 6.1 trace said how its gfp names read"
# --kver: the trace's kernel, whose names its masks are read and printed with.
expect 0 '^  gfp flag names: read as Linux 6.8 and later names them$' -- -q --kver 6.12.15 \
	-r none --stacks 1 -o "$TMP/rep612" --svg-map "$TMP/svg/map.svg" --svg-chart "$TMP/svg/chart.svg"
has "$TMP/rep612/page_owner" '^PFN 0x[0-9a-f]+ type '
grep -q 'free_ts' "$TMP/rep612/page_owner" && fail "--kver 6.12: page_owner has free_ts (gone in 6.12)"
has "$TMP/out" '^== top page owners by task'
expect 2 "^pmm run: --kver: 'new' is not a kernel release \(MAJOR.MINOR, e.g. 6.12\)$" -- \
	-q --kver new
[ -s "$TMP/svg/map.svg" ] && [ -s "$TMP/svg/chart.svg" ] || fail "--svg-map/--svg-chart not written"
expect 0 '^== top page_owner stacks \(1 of ' -- -q --stacks 1 -r none

# Another machine: -m, a config file (-c), then -m over it; --no-replay boots only.
expect 0 '^Node 1, zone' -- -q --no-replay -m "mem=2G nodes=2" -r buddyinfo
printf '# two nodes\nmem=1G\nnodes=2\n' >"$TMP/two.conf"
expect 0 '^pmm: [0-9]+ CPUs, 262144 pages managed' -- -q --no-replay -c "$TMP/two.conf"
expect 0 '^pmm: [0-9]+ CPUs, 524288 pages managed' -- -q --no-replay -c "$TMP/two.conf" -m mem=2G
expect 0 'mem=SIZE' -- --help-config
expect 0 '^usage: pmm run' -- --help
# A capture's machine, when the repository ships one.
CAP=$SRC/tests/data/captures/b-4g-2node-mixed
if [ -d "$CAP" ]; then
	expect 0 '^Node 1, zone' -- -q --no-replay --machine-from "$CAP" -r buddyinfo
fi

# Without page_owner: no stacks or owners, and its reports are refused up front.
expect 0 '' -- -q --no-page-owner -r buddyinfo
grep -q '^== top page' "$TMP/out" && fail "--no-page-owner printed page_owner stacks or owners"
expect 2 '^pmm run: the show_stacks report needs page_owner, which --no-page-owner turned off$' -- \
	-q --no-page-owner -r buddyinfo,show_stacks
expect 2 '^pmm run: the page_owner report needs page_owner, which the config turned off$' -- \
	-q -m page_owner=off -r page_owner
expect 0 '' -- -q --no-replay --no-page-owner -r all

# Usage errors: exit 2 and a message.
expect 2 "^pmm run: --stacks wants a count, got 'x'$" -- --stacks x
# -s writes a sysctl after the boot, before anything is printed or replayed.
expect 0 '^HugePages_Total: +64$' -- -q --no-replay -m "mem=2G" -s nr_hugepages=64 -r meminfo
grep -q '^pmm: [0-9]* CPUs, 524288 pages managed, 491520 free$' "$TMP/out" ||
	fail "-s nr_hugepages=64: the free count does not leave out the pool's 32768 frames"
expect 2 "^pmm run: --sysctl bogus=1: no such sysctl$" -- -q --no-replay -s bogus=1
expect 2 "^pmm run: --sysctl takes NAME=VALUE, not 'x'$" -- -s x
expect 2 "^pmm run: --stacks wants a count, got '-1'$" -- --stacks -1
expect 2 "^pmm run: unknown report in 'buddyinfo,bogus'$" -- -r buddyinfo,bogus
expect 2 "^pmm run: unexpected argument 'extra'$" -- extra
expect 2 '^usage: pmm run' -- --bogus-option

# Bad configs: exit 65 with file:line and the reason; a missing file is exit 1.
expect 65 "^pmm run: --machine:1: bad size in 'mem=bogus'$" -- -q --no-replay -m mem=bogus
printf 'mem=1G\nnodes=x\n' >"$TMP/bad.conf"
expect 65 "^pmm run: $TMP/bad.conf:2: not a number: 'nodes=x'$" -- -q --no-replay -c "$TMP/bad.conf"
expect 1 "^pmm run: $TMP/missing.conf: cannot open" -- -q --no-replay -c "$TMP/missing.conf"
expect 1 "^pmm run: $TMP: cannot read: Is a directory" -- -q --no-replay -c "$TMP"
expect 1 '^pmm run: cannot create the report directory' -- -q --no-replay -o "$TMP/no/such/dir"
: >"$TMP/a-file"
expect 1 "^pmm run: cannot create the report directory $TMP/a-file: Not a directory" -- -q --no-replay \
	-o "$TMP/a-file"

# Bad traces: exit 65 with file:line; a trace unreadable from its first
# line replays nothing, so there is no replay report and no picture.
printf 'garbage line\n' >"$TMP/bad.txt"
rm -f "$TMP/c.svg" "$TMP/m.svg"
expect 65 "^pmm: $TMP/bad.txt:1: not a trace event line" -- -q -t "$TMP/bad.txt" \
	--svg-map "$TMP/m.svg" --svg-chart "$TMP/c.svg"
grep -q '^replay of ' "$TMP/out" && fail "a trace that replayed nothing got a replay report"
[ -e "$TMP/c.svg" ] && fail "a chart was written from 0 events"
[ -e "$TMP/m.svg" ] && fail "a memory map was written for a replay that never ran"
# A trace without events is bad input, as for pmm replay: 65 and the same
# message, and (nothing replayed) no replay report and no picture.
: >"$TMP/empty.txt"
expect 65 "^pmm: $TMP/empty\.txt: no events: the input is empty$" -- -q -t "$TMP/empty.txt" \
	--svg-map "$TMP/m.svg" --svg-chart "$TMP/c.svg"
grep -q '^replay of ' "$TMP/out" && fail "an empty trace got a replay report"
[ -e "$TMP/c.svg" ] || [ -e "$TMP/m.svg" ] && fail "a picture was written for an empty trace"
printf '# tracer: nop\n#\n' >"$TMP/header.txt"
expect 65 "^pmm: $TMP/header\.txt:2: no events: the input holds no trace event lines$" -- -q \
	-t "$TMP/header.txt" --svg-map "$TMP/m.svg" --svg-chart "$TMP/c.svg"
# pmm run -t and pmm replay agree on every such input.
for f in empty header bad; do
	"$PMM" run -q -t "$TMP/$f.txt" --svg-map "$TMP/m.svg" --svg-chart "$TMP/c.svg" >/dev/null 2>&1
	a=$?
	"$PMM" replay -q -m mem=64M "$TMP/$f.txt" >/dev/null 2>&1
	b=$?
	[ "$a" = "$b" ] || fail "$f.txt: pmm run -t exits $a, pmm replay $b"
done
expect 65 '/nonexistent\.txt: no such entry' -- -q -t /nonexistent.txt --svg-map "$TMP/m.svg" \
	--svg-chart "$TMP/c.svg"

if [ "$fails" -ne 0 ]; then
	echo "test_run: $fails failed"
	exit 1
fi
echo "test_run: ok"
