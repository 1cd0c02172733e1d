#!/usr/bin/env bash
# Installs the Debian packages pmm needs to build, test and benchmark, when any
# is missing. Safe to run again: it does nothing once everything is present.
# Usage: scripts/install-deps.sh [--bench | --test]
#   --test   also the cross compilers and qemu-user that ./dev test runs the
#            freestanding library's arm64 and RISC-V builds with, and the
#            arm64 (multiarch) libraries of the hosted library's arm64 build
set -euo pipefail

foreign=()

pkgs=(cmake ninja-build gcc clang pkg-config libcmocka-dev liburcu-dev
      libdw-dev libunwind-dev libtraceevent-dev libtracecmd-dev libtracefs-dev liblzma-dev libzstd-dev zlib1g-dev
      libnuma-dev libclang-rt-14-dev xz-utils zstd librsvg2-bin valgrind trace-cmd)
case "${1:-}" in
--bench) pkgs+=(libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev) ;;
--test)
	pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
	       qemu-user)
	# The hosted library's dependencies, built for arm64 (Debian multiarch).
	# Not libtracecmd: Debian 12's libtracecmd1 is not Multi-Arch: same, and
	# its arm64 package would replace the build machine's.  The arm64 build
	# then refuses trace.dat input, as any build without libtracecmd does.
	foreign=(arm64)
	for p in libc6-dev libcmocka-dev liburcu-dev libdw-dev libunwind-dev libtraceevent-dev \
		 libtracefs-dev liblzma-dev libzstd-dev zlib1g-dev libnuma-dev; do
		pkgs+=("$p:arm64")
	done
	;;
esac

missing=()
add_arch=()
for a in "${foreign[@]}"; do
	dpkg --print-foreign-architectures | grep -qx "$a" || add_arch+=("$a")
done
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
for a in "${add_arch[@]}"; do
	$sudo dpkg --add-architecture "$a"
done
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
