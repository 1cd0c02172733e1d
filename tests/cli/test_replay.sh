#!/bin/bash
# pmm replay, the command: exit codes and messages on good and bad input.
# Usage: test_replay.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CMD=replay
. "$SRC/tests/cli/lib.sh"
N=20000
[ "${PMM_TEST_SANITIZER:-0}" != 0 ] && N=5000

SLICE=$SRC/data/kmem-6.1-slice.txt.zst
CONF=$SRC/data/kmem-6.1-machine.conf

# The shipped slice on the guest's machine.
expect 0 "pmm_validate: ok" -- -c "$CONF" -n $N "$SLICE"
expect 0 "^  mm_page_alloc +[0-9]+  [0-9]+ allocated" -- -c "$CONF" -n $N "$SLICE"
expect 0 "free_untracked" -- -c "$CONF" -n $N "$SLICE"
expect 0 "^Node 0, zone    DMA32" -- -c "$CONF" -n $N "$SLICE"
expect 0 "event limit" -- -c "$CONF" -n $N "$SLICE"
expect 0 "events \(event limit\), .*pmm_validate: ok" -- -q -c "$CONF" -n $N "$SLICE"
expect 0 "time limit" -- -m "mem=1G cpus=2" --until 0.5 "$SLICE"
expect 0 "^\[[0-9]+ events, t=" -- -m "mem=1G cpus=2" -n $N --every 5000 "$SLICE"

# -s writes sysctls after the boot and before the first event: 10 huge pages
# leave the buddy lists (5120 frames), and the replay's own counts do not
# take them for its allocations.
live() { sed -n 's/^live: \([0-9]*\) blocks (\([0-9]*\) pages.*; \([0-9]*\) pages .*free in the buddy lists$/\1 \2 \3/p' "$TMP/out"; }
expect 0 "pmm_validate: ok" -- -c "$CONF" -n $N "$SLICE"
read -r b0 p0 f0 <<<"$(live)"
expect 0 "pmm_validate: ok" -- -c "$CONF" -n $N -s nr_hugepages=10 -s watermark_scale_factor=10 "$SLICE"
read -r b1 p1 f1 <<<"$(live)"
[ -n "$f0" ] && [ -n "$f1" ] || fail "-s: no live line to compare"
[ "$b0 $p0" = "$b1 $p1" ] || fail "-s nr_hugepages=10: the replay holds '$b1 $p1', not '$b0 $p0'"
[ $((f0 - f1)) = 5120 ] || fail "-s nr_hugepages=10: $f1 free frames, not $f0 - 5120"
expect 2 "^pmm replay: --sysctl bogus=1: no such sysctl$" -- -c "$CONF" -s bogus=1 "$SLICE"
expect 2 "^pmm replay: --sysctl nr_hugepages=-1: the value is refused$" -- -s nr_hugepages=-1 "$SLICE"
expect 2 "^pmm replay: --sysctl takes NAME=VALUE, not '=1'$" -- -s =1 "$SLICE"

# Pictures, pmm's own trace and the page_owner file.
expect 0 "" -- -q -c "$CONF" -n $N --page-owner --svg-map "$TMP/map.svg" --svg-chart "$TMP/chart.svg" \
	--trace-out "$TMP/own.txt" --page-owner-dump "$TMP/po.txt" "$SLICE"
for f in map.svg chart.svg; do
	[ -s "$TMP/$f" ] || fail "$f not written"
	if command -v xmllint >/dev/null; then
		xmllint --noout "$TMP/$f" 2>"$TMP/xml" || { fail "$f is not well-formed"; head "$TMP/xml"; }
	fi
done
grep -q "mm_page_alloc: page=" "$TMP/own.txt" || fail "own trace has no mm_page_alloc line"
grep -q "^Page allocated via order" "$TMP/po.txt" || fail "page_owner file has no record"
grep -Eq "^PFN [0-9]+ type " "$TMP/po.txt" || fail "page_owner file of a 6.1 trace: not 6.1's PFN"
# --kver: the trace's kernel names its masks and the page_owner file's format.
expect 0 "^  gfp flag names: read as Linux 6.3 to 6.7 names them$" -- -c "$CONF" -n $N --kver 6.6 \
	--page-owner-dump "$TMP/po66.txt" "$SLICE"
grep -Eq "^PFN 0x[0-9a-f]+ type " "$TMP/po66.txt" || fail "--kver 6.6: page_owner file's PFN not in hex"
grep -q ", free_ts [0-9]* ns$" "$TMP/po66.txt" || fail "--kver 6.6: page_owner file lacks free_ts"
# 6.3 dropped __GFP_ATOMIC: its bit prints as a number, as that kernel would print it.
grep -q "__GFP_ATOMIC" "$TMP/po.txt" || fail "no __GFP_ATOMIC in the 6.1 page_owner file: the next check means nothing"
grep -q "__GFP_ATOMIC" "$TMP/po66.txt" && fail "--kver 6.6: page_owner names __GFP_ATOMIC"
expect 2 "^pmm replay: --kver: '6' is not a kernel release \(MAJOR.MINOR, e.g. 6.12\)$" -- --kver 6 "$SLICE"
# pmm's own trace replays cleanly, with every free matched.
expect 0 "free_untracked +0 " -- -m "mem=1G cpus=2" "$TMP/own.txt"

# --machine-from: a capture directory's boot log gives the machine (-v prints it).
mkdir -p "$TMP/capture"
printf '%s\n' '[    0.0] Early memory node ranges' \
	'[    0.0]   node   0: [mem 0x0000000000001000-0x000000000009efff]' \
	'[    0.0]   node   0: [mem 0x0000000000100000-0x000000003ffdcfff]' \
	'[    1.0] smp: Brought up 1 node, 2 CPUs' | xz -c >"$TMP/capture/dmesg.txt.xz"
expect 0 "^cpus=2 +# dmesg.txt.xz:4: smp: Brought up 1 node, 2 CPUs" -- -v --machine-from "$TMP/capture" \
	-n $N "$SLICE"
expect 0 "pmm_validate: ok" -- -q --machine-from "$TMP/capture/dmesg.txt.xz" -n $N "$SLICE"
# A capture's kernel names the gfp flags of a text trace that comes with it, unless --kver says.
mkdir -p "$TMP/cap612"
printf '%s\n' '[    0.0] Linux version 6.12.15 (root@h) (gcc 14.2) #1 SMP PREEMPT_DYNAMIC' \
	'[    0.0] Early memory node ranges' \
	'[    0.0]   node   0: [mem 0x0000000000001000-0x000000003ffdcfff]' \
	'[    1.0] smp: Brought up 1 node, 2 CPUs' >"$TMP/cap612/dmesg.txt"
expect 0 "^  gfp flag names: read as Linux 6.8 and later names them$" -- --machine-from "$TMP/cap612" \
	-n $N "$SLICE"
expect 0 "pmm_validate: ok" -- --kver 6.1 --machine-from "$TMP/cap612" -n $N "$SLICE"
grep -q "gfp flag names" "$TMP/out" && fail "--kver 6.1 did not override the capture's kernel"
expect 65 "^pmm replay: --machine-from: README.md: no \"Early memory node ranges\" lines" -- \
	--machine-from "$SRC/data/README.md" -n 10 "$SLICE"
expect 65 "no kernel boot log in the directory" -- --machine-from "$SRC/data" -n 10 "$SLICE"
# pmm run takes it too (no iomem.txt here: no kernel image reserved), and
# without a replay its page_owner summary has nothing to sort.
"$PMM" run -q --no-replay -r none --machine-from "$TMP/capture" >"$TMP/run.out" 2>&1 ||
	fail "pmm run --machine-from: exit $?"
grep -q "^pmm: 2 CPUs, 262011 pages managed" "$TMP/run.out" ||
	{ fail "pmm run --machine-from: not the capture's machine"; head "$TMP/run.out"; }
# With the capture's phase snapshots, the kernel's buddyinfo is printed under
# pmm's for each phase, and its final one under pmm's at the end.
mkdir -p "$TMP/capture/phases/00_boot_done"
printf 'Node 0, zone      DMA      1      2      3      4      5      6      7      8      9     10     11 \n' \
	>"$TMP/capture/phases/00_boot_done/buddyinfo"
printf 'Node 0, zone      DMA     11     10      9      8      7      6      5      4      3      2      1 \n' \
	>"$TMP/capture/buddyinfo.txt"
expect 0 "^    the kernel's \(phases/00_boot_done/buddyinfo\):" -- --machine-from "$TMP/capture" \
	-n 46000 "$SLICE"
grep -A1 "^    the kernel's (phases/00_boot_done/buddyinfo):" "$TMP/out" |
	grep -q "^    Node 0, zone      DMA      1      2      3" || fail "the kernel's phase buddyinfo not printed"
grep -A1 "^the kernel's (buddyinfo.txt):" "$TMP/out" | grep -q "^Node 0, zone      DMA     11     10" ||
	fail "the kernel's final buddyinfo not printed"
rm -r "$TMP/capture/phases" "$TMP/capture/buddyinfo.txt"
expect 0 "pmm_validate: ok" -- --machine-from "$TMP/capture" -n 46000 "$SLICE"
grep -q "the kernel's" "$TMP/out" && fail "a capture without phase snapshots printed the kernel's"

# -o creates its directory; one that cannot be made fails before the boot.
"$PMM" run -q --no-replay -r zoneinfo -o "$TMP/reports" -m "mem=256M cpus=1" >"$TMP/run.out" 2>&1 ||
	fail "pmm run -o NEWDIR: exit $?"
grep -q "^Node 0, zone    DMA32" "$TMP/reports/zoneinfo" || fail "pmm run -o NEWDIR: no zoneinfo written"
"$PMM" run -q --no-replay -r zoneinfo -o "$TMP/none/reports" -m "mem=256M cpus=1" >"$TMP/run.out" 2>&1
[ $? = 1 ] && grep -q "^pmm run: cannot create the report directory $TMP/none/reports: " "$TMP/run.out" ||
	{ fail "pmm run -o MISSING/DIR: not refused"; cat "$TMP/run.out"; }

# The shipped file is the slice data/README.md describes, byte for byte
# (zstd is a dependency: scripts/install-deps.sh installs it).
sum=$(zstd -dc "$SLICE" | sha256sum | cut -d' ' -f1)
want=$(sed -n 's/.*sha256 of the decompressed slice[^`]*`\([0-9a-f]*\)`.*/\1/p' "$SRC/data/README.md")
[ -n "$want" ] || fail "data/README.md gives no sha256 of the decompressed slice"
[ "$sum" = "$want" ] || fail "zstd -dc $SLICE: sha256 $sum, data/README.md says $want"

# Standard input, plain text, gzip, xz.
zstd -dc "$SLICE" | head -n 3000 >"$TMP/plain.txt"
expect 0 "pmm_validate: ok" -- -m "mem=1G cpus=2" - <"$TMP/plain.txt"
"$PMM" replay -q -m "mem=1G cpus=2" - <"$TMP/plain.txt" >"$TMP/out" 2>&1 || fail "stdin replay failed"
if command -v gzip >/dev/null; then
	gzip -c "$TMP/plain.txt" >"$TMP/plain.txt.gz"
	if "$PMM" replay -q -m "mem=64M" "$TMP/plain.txt.gz" 2>&1 | grep -q "without zlib"; then
		expect 65 "gzip input, but pmm was built without zlib" -- -m "mem=1G cpus=2" "$TMP/plain.txt.gz"
	else
		expect 0 "pmm_validate: ok" -- -m "mem=1G cpus=2" "$TMP/plain.txt.gz"
	fi
fi

# Both must succeed: two failures with the same message would compare equal.
xz -c "$TMP/plain.txt" >"$TMP/plain.txt.xz"
expect 0 "pmm_validate: ok" -- -q -m "mem=1G cpus=2" "$TMP/plain.txt"
sed "s#$TMP/plain.txt#X#" "$TMP/out" >"$TMP/plain.out"
expect 0 "pmm_validate: ok" -- -q -m "mem=1G cpus=2" "$TMP/plain.txt.xz"
sed "s#$TMP/plain.txt.xz#X#" "$TMP/out" >"$TMP/xz.out"
cmp -s "$TMP/plain.out" "$TMP/xz.out" || fail "xz and plain text replay differently"

# Usage errors: 2.
expect 2 "FILE argument" --
expect 2 "one FILE only" -- a b
expect 2 "usage" -- --no-such-option "$SLICE"
expect 2 "--events wants" -- -n abc "$SLICE"
expect 2 "--events wants" -- -n -5 "$SLICE"
expect 2 "--until wants" -- --until soon "$SLICE"
expect 2 "--every wants" -- --every 0 "$SLICE"
expect 0 "usage: pmm replay" -- --help

# Bad config: 65.
expect 65 "unknown" -- -m "mem=1G bogus=1" "$SLICE"

# Bad input: 65 with file:line: reason, never a crash.
printf '' >"$TMP/empty.txt"
expect 65 "empty.txt: no events: the input is empty" -- -m "mem=64M" "$TMP/empty.txt"
printf '# tracer: nop\n#\n' >"$TMP/header.txt"
expect 65 "header.txt:2: no events" -- -m "mem=64M" "$TMP/header.txt"
printf 'hello world\n' >"$TMP/garbage.txt"
expect 65 "garbage.txt:1: " -- -m "mem=64M" "$TMP/garbage.txt"
head -c 4096 /dev/urandom >"$TMP/random.bin"
expect 65 "random.bin:[0-9]+: " -- -m "mem=64M" "$TMP/random.bin"
head -n 20 "$TMP/plain.txt" >"$TMP/trunc.txt"
sed -n 21p "$TMP/plain.txt" | head -c 100 >>"$TMP/trunc.txt"
expect 65 "trunc.txt:21: " -- -m "mem=64M" "$TMP/trunc.txt"
sed '15s/ order=/ ordr=/' "$TMP/plain.txt" >"$TMP/field.txt"
expect 65 "field.txt:15: bad field" -- -m "mem=64M" "$TMP/field.txt"
sed '15s/pfn=0x/pfn=0x99999999999999999999/' "$TMP/plain.txt" >"$TMP/huge.txt"
expect 65 "huge.txt:15: number overflow in 'pfn'" -- -m "mem=64M" "$TMP/huge.txt"
grep -n "mm_page_alloc:" "$TMP/plain.txt" | head -1 | cut -d: -f1 >"$TMP/n"
L=$(cat "$TMP/n")
sed "${L}s/gfp_flags=/gfp_flags=__GFP_NONSENSE|/" "$TMP/plain.txt" >"$TMP/gfp.txt"
expect 65 "gfp.txt:$L: unknown gfp flag name '__GFP_NONSENSE'" -- -m "mem=64M" "$TMP/gfp.txt"
sed "${L}s/ order=[0-9]* / order=12 /" "$TMP/plain.txt" >"$TMP/order.txt"
expect 65 "order.txt:$L: order 12 is outside 0..10" -- -m "mem=64M" "$TMP/order.txt"
# --keep-going replays the rest but still exits 65.
expect 65 "1 malformed lines skipped; the first: .*field.txt:15: " -- --keep-going -m "mem=64M" "$TMP/field.txt"
# A cut .xz stream, a cut and a corrupt .zst.
head -c 3000 "$TMP/plain.txt.xz" >"$TMP/cut.txt.xz"
expect 65 "cut.txt.xz:[0-9]+: truncated xz data" -- -m "mem=1G cpus=2" "$TMP/cut.txt.xz"
head -c 300000 "$SLICE" >"$TMP/cut.txt.zst"
expect 65 "cut.txt.zst:[0-9]+: truncated zstd data" -- -m "mem=1G cpus=2" "$TMP/cut.txt.zst"
{ head -c 200000 "$SLICE"; head -c 1000 /dev/zero; tail -c +200001 "$SLICE"; } >"$TMP/bad.txt.zst"
expect 65 "bad.txt.zst:[0-9]+: corrupt zstd data" -- -m "mem=1G cpus=2" "$TMP/bad.txt.zst"
# Linux before 3.3 named the free events mm_page_free_direct and
# mm_pagevec_free (TP_printk "page=%p pfn=%lu order=%d" and "page=%p pfn=%lu
# order=0 cold=%d"): the kernel's own text of them replays as 3.3's names,
# and the summary says so.  trace-cmd's text of them has pfn= as
# libtraceevent computes it, the memmap byte offset (as for every kmem event
# before 4.1): it replays divided by 64, and the summary says that too.
printf '%s\n' '# tracer: nop' '#' \
	'            bash-2041  [000]   512.334500: mm_page_alloc: page=ffffea0000040000 pfn=4096 order=0 migratetype=0 gfp_flags=GFP_KERNEL' \
	'            bash-2041  [000]   512.334501: mm_page_alloc: page=ffffea0000080000 pfn=8192 order=0 migratetype=0 gfp_flags=GFP_KERNEL' \
	'            bash-2041  [000]   512.334502: mm_page_free_direct: page=ffffea0000040000 pfn=4096 order=0' \
	'         kswapd0-29    [001]   512.334503: mm_pagevec_free: page=ffffea0000080000 pfn=8192 order=0 cold=1' \
	'         kswapd0-29    [001]   512.334504: mm_page_free_direct: page=ffffea0000080000 pfn=8192 order=0' \
	>"$TMP/k3.2.txt"
expect 0 "^  mm_page_free +2  2 freed \(2 pages" -- -m "mem=64M cpus=2" "$TMP/k3.2.txt"
expect 0 "^  \(of them 2 mm_page_free_direct and 1 mm_pagevec_free: their names before" -- \
	-m "mem=64M cpus=2" "$TMP/k3.2.txt"
printf '%s\n' \
	'            bash-2041  [000]   512.334500: mm_page_alloc:        page=0xffffea0000040000 pfn=262144 order=0 migratetype=0 gfp_flags=GFP_KERNEL' \
	'            bash-2041  [000]   512.334502: mm_page_free_direct:  page=0xffffea0000040000 pfn=262144 order=0' \
	>"$TMP/k3.2-report.txt"
expect 0 "^  mm_page_free +1  1 freed \(1 pages" -- -m "mem=64M cpus=2" "$TMP/k3.2-report.txt"
expect 0 "^  \(2 events of a kernel before 4.1, which recorded the struct page: their pfn" -- \
	-m "mem=64M cpus=2" "$TMP/k3.2-report.txt"
# Missing file, and a directory.
expect 65 "nonexistent.txt" -- -m "mem=64M" "$TMP/nonexistent.txt"
expect 65 "^pmm replay: $TMP: is a directory$" -- -m "mem=64M" "$TMP"
# Input unreadable from its start: the error, and no report of a replay that
# never ran (a trace that fails later keeps its report: trunc.txt above).
expect 65 "garbage.txt:1: " -- -m "mem=64M" --svg-map "$TMP/never.svg" "$TMP/garbage.txt"
grep -q '^replay of ' "$TMP/out" && fail "garbage.txt: a replay report for a replay that never ran"
[ -e "$TMP/never.svg" ] && fail "garbage.txt: a memory map for a replay that never ran"
expect 65 "trunc.txt:21: " -- -m "mem=64M" "$TMP/trunc.txt"
grep -q '^replay of .*trunc.txt: input error' "$TMP/out" || fail "trunc.txt: no report of the 20 lines replayed"
# A write error on an output.
expect 1 "cannot write the memory map" -- -q -m "mem=64M" --svg-map /nonexistent/dir/map.svg "$TMP/plain.txt"

# Traces of other kernels and tools.
# A 32-bit kernel: page= is 8 hex digits, "(ptrval)" before the hash key is ready.
printf '%s\n' '# tracer: nop' \
	'            bash-2041  [000] ....   512.334501: mm_page_alloc: page=f6f1b380 pfn=186589 order=0 migratetype=1 gfp_flags=GFP_KERNEL' \
	'            bash-2041  [000] ....   512.334502: mm_page_alloc: page=(ptrval) pfn=0 order=2 migratetype=0 gfp_flags=GFP_ATOMIC' \
	'            bash-2041  [000] ....   512.334503: mm_page_free: page=f6f1b380 pfn=186589 order=0' >"$TMP/32bit.txt"
expect 0 "mm_page_alloc +2  1 allocated \(1 pages\), 0 refused by pmm, 1 failed in the trace" -- \
	-m "mem=1G cpus=2" "$TMP/32bit.txt"
grep -Eq "mm_page_free +1  1 freed" "$TMP/out" || fail "32bit.txt: the free was not replayed"

# Linux 4.14 and 3.10: gfp names 6.1 no longer has, pfn= in decimal, free_batched's cold=.
printf '%s\n' \
	'            bash-2041  [000] ....   512.334501: mm_page_alloc: page=ffffea0000b6e740 pfn=186589 order=0 migratetype=2 gfp_flags=GFP_TEMPORARY|__GFP_COLD|__GFP_NOTRACK' \
	'            bash-2041  [000] ....   512.334502: mm_page_alloc: page=ffffea0000b6e780 pfn=186590 order=1 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_REPEAT|__GFP_OTHER_NODE' \
	'            bash-2041  [000] ....   512.334503: mm_page_alloc: page=ffffea0000b6e800 pfn=186592 order=0 migratetype=0 gfp_flags=GFP_HIGH|GFP_WAIT|GFP_IO|GFP_NO_KSWAPD' \
	'            bash-2041  [000] ....   512.334504: mm_page_free: page=ffffea0000b6e740 pfn=186589 order=0' \
	'            bash-2041  [000] ....   512.334504: mm_page_free_batched: page=ffffea0000b6e740 pfn=186589 order=0 cold=0' \
	>"$TMP/old-gfp.txt"
expect 0 "mm_page_alloc +3  3 allocated \(4 pages\), 0 refused by pmm" -- -m "mem=1G cpus=2" "$TMP/old-gfp.txt"
grep -Eq "mm_page_free_batched +1  counted only" "$TMP/out" || fail "old-gfp.txt: 4.14's mm_page_free_batched not read"

# trace-cmd report -l: the comm cut to 8 columns, the CPU without brackets, latency flags.
expect 0 "trace-cmd-report-l-6.1.txt: 159 events \(end of input\), 53 allocations, 17 frees, .*pmm_validate: ok" -- \
	-q -m "mem=1G cpus=2" "$SRC/tests/data/trace-cmd-report-l-6.1.txt"

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all pmm replay checks passed"
