#!/bin/bash
# pmm report: a machine's /proc and debugfs files and nothing else, after
# an optional replay; the same files pmm run writes; exit codes and messages.
# Usage: test_report.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CMD=report
. "$SRC/tests/cli/lib.sh"
cd "$TMP" || exit 1

SLICE=$SRC/data/kmem-6.1-slice.txt.zst
CONF=$SRC/data/kmem-6.1-machine.conf
N=20000
[ "${PMM_TEST_SANITIZER:-0}" != 0 ] && N=5000
BUDDY='^Node [0-9]+, zone +[A-Za-z0-9]+( +[0-9]+){11} $'

# The default report is /proc/buddyinfo, alone: every line the kernel's, no
# head, nothing on stderr (the boot log only with -v).
"$PMM" report -m "mem=1G" >"$TMP/b.out" 2>"$TMP/b.err" || fail "pmm report: exit $?"
[ -s "$TMP/b.err" ] && { fail "pmm report wrote to stderr"; head -5 "$TMP/b.err"; }
[ "$(wc -l <"$TMP/b.out")" = 2 ] || { fail "1 GiB buddyinfo: not 2 lines (DMA, DMA32)"; cat "$TMP/b.out"; }
grep -Evq -- "$BUDDY" "$TMP/b.out" && { fail "a line that is not buddyinfo's"; cat "$TMP/b.out"; }
"$PMM" report -m "mem=1G" buddyinfo >"$TMP/b2.out" 2>/dev/null
cmp -s "$TMP/b.out" "$TMP/b2.out" || fail "'pmm report' and 'pmm report buddyinfo' differ"
"$PMM" report -v -m "mem=1G" >"$TMP/v.out" 2>"$TMP/v.err"
grep -q '^Zone ranges:' "$TMP/v.err" || fail "-v: no boot log on stderr"
cmp -s "$TMP/b.out" "$TMP/v.out" || fail "-v changed standard output"

# Several: each headed by the kernel's path, in the order given, once each.
expect 0 "" -- -m "mem=1G" unusable_index buddyinfo unusable_index
grep '^==> ' "$TMP/out" >"$TMP/heads"
printf '==> %s <==\n' /sys/kernel/debug/extfrag/unusable_index /proc/buddyinfo >"$TMP/want"
cmp -s "$TMP/heads" "$TMP/want" || { fail "heads of two reports"; cat "$TMP/heads"; }
expect 0 "" -- -m "mem=1G" all
[ "$(grep -c '^==> ' "$TMP/out")" = 12 ] || fail "all: not 9 reports and node0's 3 files"
grep -q '^==> /proc/meminfo <==$' "$TMP/out" || fail "all: no meminfo"
grep -q '^==> /sys/kernel/debug/page_owner_stacks/show_stacks <==$' "$TMP/out" ||
	fail "all: no show_stacks"
# meminfo: the machine's total, its free pages; a 1 GiB machine has no holes.
expect 0 '^MemTotal:        1048576 kB$' -- -m "mem=1G" meminfo
grep -q '^Hugepagesize:       2048 kB$' "$TMP/out" || fail "meminfo: no Hugepagesize line"
grep -q '^DirectMap' "$TMP/out" && fail "meminfo: a DirectMap line on a machine with no direct map"

# A node's sysfs files: nodeN/meminfo, numastat, vmstat; "all" has every node's; -o writes DIR/nodeN/.
expect 0 '^Node 1 MemTotal: +[1-9][0-9]* kB$' -- -m "mem=2G nodes=2 hugepagesz=2M hugepages=1:3" \
	node1/meminfo node1/numastat node0/vmstat
grep -q '^Node 1 HugePages_Total:     3$' "$TMP/out" || fail "node1/meminfo: not node 1's 3 huge pages"
grep -q '^==> /sys/devices/system/node/node1/numastat <==$' "$TMP/out" || fail "no node1/numastat head"
grep -q '^numa_hit [0-9]*$' "$TMP/out" || fail "node1/numastat: no numa_hit"
grep -q '^nr_free_pages [1-9][0-9]*$' "$TMP/out" || fail "node0/vmstat: no nr_free_pages"
expect 0 "" -- -m "mem=2G nodes=2" all
[ "$(grep -c '^==> /sys/devices/system/node/node[01]/' "$TMP/out")" = 6 ] || fail "all: not 3 files of 2 nodes"
expect 0 "" -- -m "mem=2G nodes=2" -o "$TMP/nodes" node1/vmstat meminfo
[ -s "$TMP/nodes/node1/vmstat" ] && [ -s "$TMP/nodes/meminfo" ] || fail "-o: no DIR/node1/vmstat or DIR/meminfo"
expect 2 "^pmm report: the machine has no node 1$" -- -m "mem=1G" node1/meminfo
expect 2 "no report called 'node01/vmstat'" -- node01/vmstat
expect 2 "no report called 'node1/slabinfo'" -- node1/slabinfo

# After a replay, the files are those pmm run writes for the same machine and trace.
"$PMM" report -c "$CONF" -t "$SLICE" buddyinfo >"$TMP/rb.out" 2>"$TMP/rb.err" ||
	{ fail "report -t: exit $?"; head "$TMP/rb.err"; }
"$PMM" run -q -c "$CONF" --stacks 0 -r none -o "$TMP/run" --svg-map "$TMP/m.svg" \
	--svg-chart "$TMP/c.svg" >/dev/null 2>&1 || fail "pmm run -o: exit $?"
cmp -s "$TMP/rb.out" "$TMP/run/buddyinfo" || { fail "report -t buddyinfo differs from pmm run's"; diff "$TMP/rb.out" "$TMP/run/buddyinfo" | head; }
cmp -s "$TMP/rb.out" "$TMP/b.out" && fail "the replay changed nothing in buddyinfo"
# Read in pmm run's order, as on a kernel: reading pagetypeinfo with page_owner
# on drains the per-CPU lists, which zoneinfo then shows.
"$PMM" report -c "$CONF" -t "$SLICE" -o "$TMP/rep" pagetypeinfo zoneinfo page_owner >"$TMP/o.out" 2>&1 ||
	{ fail "report -o: exit $?"; head "$TMP/o.out"; }
[ -s "$TMP/o.out" ] && { fail "report -o printed"; head -5 "$TMP/o.out"; }
for r in pagetypeinfo zoneinfo; do
	cmp -s "$TMP/rep/$r" "$TMP/run/$r" || fail "report -o $r differs from pmm run's"
done
# The records are the same; the stacks' callers and run's idle marks are not.
grep '^Page allocated via' "$TMP/rep/page_owner" >"$TMP/po.report"
grep '^Page allocated via' "$TMP/run/page_owner" >"$TMP/po.run"
[ -s "$TMP/po.report" ] && cmp -s "$TMP/po.report" "$TMP/po.run" ||
	fail "report -o page_owner: records differ from pmm run's"
[ -e "$TMP/rep/buddyinfo" ] && fail "report -o wrote a report not asked for"
grep -Eq '^PFN [0-9]+ type ' "$TMP/rep/page_owner" || fail "the 6.1 trace's page_owner: not 6.1's PFN"
# The page_owner file takes the trace's kernel (--kver): hex PFN from 6.6.
expect 0 '^PFN 0x[0-9a-f]+ type ' -- -c "$CONF" -t "$SLICE" --kver 6.6 page_owner
# A capture's machine, as booted: its zones' sizes are the kernel's at boot.
CAP=$SRC/tests/data/captures/s-512m-1cpu
"$PMM" report --machine-from "$CAP" zoneinfo >"$TMP/z.out" 2>/dev/null || fail "report --machine-from: exit $?"
for k in spanned present managed; do
	grep -E "^ +$k " "$TMP/z.out" >"$TMP/z.pmm"
	grep -E "^ +$k " "$CAP/zoneinfo-boot.txt" >"$TMP/z.kernel"
	cmp -s "$TMP/z.pmm" "$TMP/z.kernel" || { fail "$k lines differ from the capture's"; diff "$TMP/z.pmm" "$TMP/z.kernel"; }
done
# Standard input, and a trace whose end is malformed: the reports of what it held, exit 65.
zstd -dc "$SLICE" | head -n $N >"$TMP/part.txt"
expect 0 "$BUDDY" -- -c "$CONF" -t - <"$TMP/part.txt"
{ cat "$TMP/part.txt"; echo "  kworker-1 [000] ..... 99.0: mm_page_alloc: page=garbage"; } >"$TMP/bad.txt"
expect 65 "bad\.txt:$((N + 1)): " -- -c "$CONF" -t "$TMP/bad.txt"
grep -Eq -- "$BUDDY" "$TMP/out" || fail "a malformed trace's report lost the buddyinfo of what it held"

# --sysctl writes after the boot, in order: a huge page pool grown and
# shrunk again, seen in meminfo and each node's meminfo; the watermarks.
expect 0 "" -- -m "mem=4G nodes=2" -s nr_hugepages=100 -s nr_overcommit_hugepages=4 \
	meminfo node0/meminfo node1/meminfo
for want in '^HugePages_Total: +100$' '^HugePages_Free: +100$' '^HugePages_Surp: +0$' \
	'^Hugetlb: +204800 kB$' '^Node 0 HugePages_Total: +50$' '^Node 1 HugePages_Free: +50$'; do
	grep -Eq -- "$want" "$TMP/out" || { fail "--sysctl nr_hugepages=100: no /$want/"; grep Huge "$TMP/out"; }
done
expect 0 '^HugePages_Total: +30$' -- -m "mem=4G" -s nr_hugepages=100 -s nr_hugepages=30 meminfo
expect 0 "" -- -m "mem=1G" zoneinfo
grep -m1 ' min ' "$TMP/out" >"$TMP/min.default"
expect 0 "" -- -m "mem=1G" -s min_free_kbytes=16384 zoneinfo
grep -m1 ' min ' "$TMP/out" >"$TMP/min.set"
cmp -s "$TMP/min.default" "$TMP/min.set" && fail "--sysctl min_free_kbytes=16384 left the watermarks as they were"
expect 2 "^pmm report: --sysctl nosuch=1: no such sysctl$" -- -m "mem=1G" -s nosuch=1
expect 2 "^pmm report: --sysctl nr_hugepages=-3: the value is refused$" -- -m "mem=1G" -s nr_hugepages=-3
expect 2 "^pmm report: --sysctl takes NAME=VALUE, not 'nr_hugepages'$" -- -s nr_hugepages
expect 2 "^pmm report: --sysctl takes NAME=VALUE, not '=3'$" -- -s =3

# Usage and bad input.
expect 2 "^pmm report: no report called 'nosuch' \(see pmm report --help\)$" -- nosuch
expect 2 "usage: pmm report" -- --no-such-option
expect 2 "^pmm report: --kver: 'x' is not a kernel release \(MAJOR\.MINOR, e\.g\. 6\.12\)$" -- --kver x
expect 2 "the page_owner report needs page_owner, which the config turned off" -- \
	-m "mem=1G page_owner=off" page_owner
expect 65 "" -- -m "mem=banana"
expect 1 "missing\.conf" -- -c "$TMP/missing.conf"
expect 65 "/nonexistent\.txt: " -- -m "mem=1G" -t /nonexistent.txt
: >"$TMP/empty.txt"
expect 65 "empty\.txt: no events" -- -m "mem=1G" -t "$TMP/empty.txt"
echo x >"$TMP/afile"
expect 1 "^pmm report: cannot create the report directory $TMP/afile: Not a directory$" -- -m "mem=1G" -o "$TMP/afile"
expect 0 "usage: pmm report" -- --help

[ $fails -eq 0 ] && echo "report: all checks passed"
exit $((fails > 0))
