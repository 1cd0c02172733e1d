# SPDX-License-Identifier: MIT
# Helpers for the command tests (tests/cli/test_*.sh), sourced once PMM (the
# binary), CMD (its subcommand) and TMP (a scratch directory) are set.
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN -- ARGS...: run "pmm CMD ARGS", check the exit status
# and that stdout+stderr (left in $TMP/out) match PATTERN (grep -E; empty:
# anything).
expect() {
	local want=$1 pat=$2
	shift 3
	"$PMM" "$CMD" "$@" >"$TMP/out" 2>&1
	local got=$?
	if [ "$got" != "$want" ]; then
		fail "pmm $CMD $*: exit $got, expected $want"; sed 's/^/    /' "$TMP/out" | head -20
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$TMP/out"; then
		fail "pmm $CMD $*: output lacks /$pat/"; sed 's/^/    /' "$TMP/out" | head -20
	fi
}
