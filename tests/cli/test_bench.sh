#!/bin/bash
# pmm bench: the table it prints (never its timings), its options, and its
# exit codes and messages.
# Usage: test_bench.sh PMM_BINARY SOURCE_DIR
set -u
PMM=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CMD=bench
. "$SRC/tests/cli/lib.sh"
cd "$TMP" || exit 1

NUM='[0-9]+\.[0-9]+'
# row FILE CASE CELLS: FILE has the row of CASE whose cells after the unit match CELLS.
row() {
	grep -Eq "^\| $2 \| [^|]+ \| [a-z]+ \| $3$" "$1" ||
		{ fail "no row /$2 ... $3/"; sed 's/^/    /' "$1"; }
}

# Every case, on a small machine, with and without the per-CPU lists.
"$PMM" bench -m "mem=64M" --runs 1 >"$TMP/all.out" 2>"$TMP/all.err" ||
	{ fail "pmm bench: exit $?"; head "$TMP/all.err"; }
[ -s "$TMP/all.err" ] && { fail "pmm bench wrote to stderr"; head -5 "$TMP/all.err"; }
grep -Eq '^pmm bench: [0-9]+ CPUs, 16384 pages managed; ns per operation, median of 1 run ' "$TMP/all.out" ||
	fail "no heading"
grep -q '^| case | what | unit | per-CPU lists | min-max | pcp=off | lists / off |$' "$TMP/all.out" ||
	fail "no table head"
for c in pair0 pair3 pair9 batch mixed bulk; do
	row "$TMP/all.out" $c "$NUM \| $NUM-$NUM \| $NUM \| $NUM \|"
done
row "$TMP/all.out" threads "$NUM \| $NUM-$NUM \| $NUM \| \|"
[ "$(grep -c '^| [a-z0-9]* | ' "$TMP/all.out")" = 8 ] || fail "not 7 cases and the head"

# --only picks cases, in the table's order; --no-zone drops the pcp=off columns.
expect 0 "" -- -m "mem=64M" --runs 3 --only bulk,pair0 --no-zone
grep '^| [a-z0-9]* | ' "$TMP/out" | cut -d' ' -f2 | tr '\n' ' ' >"$TMP/cases"
[ "$(cat "$TMP/cases")" = "case pair0 bulk " ] || fail "--only bulk,pair0: $(cat "$TMP/cases")"
row "$TMP/out" pair0 "$NUM \| $NUM-$NUM \|"
grep -q 'pcp=off' "$TMP/out" && fail "--no-zone printed the pcp=off column"
grep -q 'median of 3 runs' "$TMP/out" || fail "--runs 3 not said"
# A machine whose config turns the lists off is measured as it is.
expect 0 "per-CPU lists off by the config" -- -m "mem=64M pcp=off" --runs 1 --only pair0
grep -q '^| case | what | unit | pcp=off | min-max |$' "$TMP/out" || fail "pcp=off machine: table head"

# Too small a machine: a case that cannot allocate fails, one that cannot fit is not run.
expect 1 "^pmm bench: an allocation failed: the machine is too small for a case$" -- \
	-m "mem=2M" --runs 1 --only pair9
row "$TMP/out" pair9 "failed \|  \| failed \| \|"
expect 0 "" -- -m "mem=8M" --runs 1 --only mixed
row "$TMP/out" mixed "machine too small \|  \| machine too small \| \|"

# Usage and bad input.
expect 2 "^pmm bench: no case called 'nope' \(see pmm bench --help\)$" -- --only pair0,nope
expect 2 "^pmm bench: --runs wants a number from 1 to 101, not '0'$" -- --runs 0
expect 2 "^pmm bench: --runs wants a number from 1 to 101, not '102'$" -- --runs 102
expect 2 "^pmm bench: unexpected argument 'x'$" -- x
expect 2 "usage: pmm bench" -- --no-such-option
expect 65 "" -- -m "mem=banana"
expect 0 "usage: pmm bench" -- --help

[ $fails -eq 0 ] && echo "bench: all checks passed"
exit $((fails > 0))
