#!/usr/bin/env bash
# Every header compiles on its own (includes what it uses), public ones also
# as C++ declarations-wise plain C99 consumers would see them.
set -u
src=${2:-.}
cc=${CC:-cc}
fail=0 n=0
for h in "$src"/include/pmm/*.h "$src"/src/*/*.h; do
	n=$((n + 1))
	rel=${h#"$src"/}
	if ! printf '#include "%s"\n' "$h" | $cc -std=gnu11 -D_GNU_SOURCE -fsyntax-only -Wall -Wextra -Werror \
		-I"$src/include" -I"$src/src" -x c - 2>/tmp/hdr.$$; then
		echo "FAIL: $rel does not compile on its own:"; sed 's/^/    /' /tmp/hdr.$$ | head -5
		fail=$((fail + 1))
	fi
done
rm -f /tmp/hdr.$$
for h in "$src"/include/pmm/*.h; do
	if ! printf '#include "%s"\nint main(void){return 0;}\n' "$h" | $cc -std=c99 -fsyntax-only -Wall -Werror \
		-I"$src/include" -x c - 2>/tmp/hdr.$$; then
		echo "FAIL: ${h#"$src"/} is not plain C99:"; sed 's/^/    /' /tmp/hdr.$$ | head -5
		fail=$((fail + 1))
	fi
done
rm -f /tmp/hdr.$$
echo "headers: $n checked, $fail failed"
[ $fail -eq 0 ]
