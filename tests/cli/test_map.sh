#!/bin/bash
# pmm map: the memory map of a booted machine, or after a replay with its
# fragmentation chart; the options; exit codes and messages.
# Usage: test_map.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CMD=map
. "$SRC/tests/cli/lib.sh"
cd "$TMP" || exit 1

SLICE=$SRC/data/kmem-6.1-slice.txt.zst
CONF=$SRC/data/kmem-6.1-machine.conf

# svg FILE: a whole, well-formed SVG document.
svg() {
	head -c 200 "$1" | grep -q '<svg' || fail "$1 is not SVG"
	tail -c 20 "$1" | grep -q '</svg>' || fail "$1 is not a whole SVG document"
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1" 2>"$TMP/xml" || { fail "$1 is not well-formed"; head "$TMP/xml"; }
	fi
}

# By default pmm-map.svg in the current directory, of the machine as booted.
expect 0 "" -- -m "mem=2G"
[ -s "$TMP/out" ] && { fail "pmm map printed"; head -5 "$TMP/out"; }
svg pmm-map.svg
grep -Eq '>as booted: [0-9]+ CPUs, 524288 pages managed<' pmm-map.svg || fail "no 'as booted' subtitle"
grep -q '>Physical memory map<' pmm-map.svg || fail "no default title"
grep -q 'one row = 128 MiB' pmm-map.svg || fail "default: not 64 pageblocks a row"

# '-': the map alone on standard output; options shape it.
"$PMM" map -m "mem=2G" --title "Guest 7" --columns 32 - >"$TMP/stdout.svg" 2>"$TMP/err" ||
	fail "pmm map -: exit $?"
[ -s "$TMP/err" ] && { fail "pmm map - wrote to stderr"; head -5 "$TMP/err"; }
svg "$TMP/stdout.svg"
grep -q '>Guest 7<' "$TMP/stdout.svg" || fail "--title not used"
grep -q 'one row = 64 MiB' "$TMP/stdout.svg" || fail "--columns 32: not 64 MiB a row"
# A big machine in few rows: a cell stands for several pageblocks, and says so.
"$PMM" map -m "mem=64G" --rows 16 - >"$TMP/big.svg" 2>/dev/null || fail "pmm map --rows: exit $?"
# 32768 pageblocks in 16 rows of 64 cells: 32 a cell.
grep -q '(32 pageblocks per cell' "$TMP/big.svg" && grep -q 'one cell = 64 MiB' "$TMP/big.svg" ||
	fail "--rows 16 on 64 GiB: not 32 pageblocks a cell"

# After a replay: the map says what was replayed, and the chart is drawn.
expect 0 "" -- -c "$CONF" -t "$SLICE" --chart "$TMP/chart.svg" "$TMP/after.svg"
svg "$TMP/after.svg"
svg "$TMP/chart.svg"
grep -Eq 'after replaying kmem-6\.1-slice\.txt\.zst \([1-9][0-9]* events\)' "$TMP/after.svg" ||
	fail "no 'after replaying' subtitle"
cmp -s "$TMP/after.svg" pmm-map.svg && fail "the replay changed nothing in the map"

# Usage and bad input.
expect 2 "^pmm map: --chart charts a replay: give the trace with -t$" -- --chart "$TMP/c.svg"
expect 2 "^pmm map: --chart wants a file name" -- -t "$SLICE" --chart -
expect 2 "^pmm map: --columns wants a number from 1 to 4096, not '0'$" -- --columns 0
expect 2 "^pmm map: --rows wants a number from 1 to 4096, not 'x'$" -- --rows x
expect 2 "^pmm map: one FILE only$" -- a.svg b.svg
expect 2 "usage: pmm map" -- --no-such-option
expect 2 "^pmm map: --kver: 'x' is not a kernel release \(MAJOR\.MINOR, e\.g\. 6\.12\)$" -- --kver x
expect 65 "" -- -m "mem=banana"
expect 65 "/nonexistent\.txt: " -- -m "mem=1G" -t /nonexistent.txt
expect 1 "^pmm map: $TMP/no/such/dir/m\.svg: cannot write the memory map" -- -m "mem=1G" "$TMP/no/such/dir/m.svg"
expect 1 "^pmm map: $TMP/no/dir/c\.svg: cannot write the chart" -- -c "$CONF" -t "$SLICE" \
	--chart "$TMP/no/dir/c.svg" "$TMP/m2.svg"
expect 0 "usage: pmm map" -- --help

[ $fails -eq 0 ] && echo "map: all checks passed"
exit $((fails > 0))
