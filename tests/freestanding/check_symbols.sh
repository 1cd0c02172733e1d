#!/bin/bash
# libpmm_freestanding needs nothing from outside but what docs/freestanding.md
# lets it: the C library's memory and string functions a kernel has,
# snprintf/vsnprintf, and the compiler's own runtime (libgcc/compiler-rt).
# Any other undefined symbol (an OS call, stdio streams, malloc, pthreads,
# liburcu, __tls_get_addr) fails this test, naming the object that wants it.
# Usage: check_symbols.sh LIBPMM_FREESTANDING_A [NM]  (NM: a cross build's nm)
set -u
lib=$1
NM=${2:-nm}
allowed='^(memcpy|memmove|memset|memcmp|memchr|strlen|strcmp|strncmp|snprintf|vsnprintf|__(popcount|clz|ctz)[sdt]i2|__(u)?(div|mod)[td]i3|_GLOBAL_OFFSET_TABLE_)$'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$NM" --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/defined"
"$NM" -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u >"$tmp/undefined"
comm -23 "$tmp/undefined" "$tmp/defined" >"$tmp/external"
[ -s "$tmp/defined" ] || { echo "FAIL: $lib defines nothing"; exit 1; }
bad=0
while read -r sym; do
	if ! [[ $sym =~ $allowed ]]; then
		users=$("$NM" -A -u "$lib" | awk -v s="$sym" '$NF == s { sub(/:.*/, "", $1); sub(/.*\//, "", $1); print $1 }' |
			sort -u | tr '\n' ' ')
		echo "FAIL: $sym (wanted by ${users% })"
		bad=$((bad + 1))
	fi
done <"$tmp/external"
echo "freestanding: $(wc -l <"$tmp/external") external symbols, $bad not allowed: $(tr '\n' ' ' <"$tmp/external")"
[ "$bad" -eq 0 ]
