#!/bin/bash
# Re-make all captures (sequentially; each boot takes ~1-2 min under TCG here).
# The scripts live in /tmp/cap/scripts; Debian's kernel package is extracted to
# /tmp/cap/kimg and busybox-static's .deb sits in /tmp/cap (README).
set -euo pipefail
apt-get install -y qemu-system-x86 xz-utils cpio e2fsprogs gcc >/dev/null
/tmp/cap/scripts/run_capture.sh b-4g-2node-mixed 128M
/tmp/cap/scripts/run_capture.sh c-3g-q35-movable 128M
/tmp/cap/scripts/run_capture.sh d-6g-4node-blocks 128M
/tmp/cap/scripts/run_capture.sh e-2g-shuffle-thpnever 96M   # 128M fails: see README
/tmp/cap/scripts/run_capture.sh i-1536m-4cpu-memmap 64M      # CPU 3 does not come up: see README
/tmp/cap/scripts/run_capture.sh j-3g-q35-hugetlb-crash 64M
/tmp/cap/scripts/run_capture.sh m-2g-2node-numaoff 32M
/tmp/cap/scripts/run_capture.sh o-4g-2node-mem-pmem 32M
# The page_owner kernel (about 40 minutes on 2 CPUs), then its two captures.
[ -f /tmp/cap/kimg-po/bzImage ] || { /tmp/cap/scripts/build_kernel.sh; /tmp/cap/scripts/install_kernel.sh; }
/tmp/cap/scripts/run_capture.sh f-2g-2node-pageowner 64M
/tmp/cap/scripts/run_capture.sh g-3g-1node-pageowner 64M
/tmp/cap/scripts/run_capture.sh h-8g-8cpu-2node-pageowner 64M
/tmp/cap/scripts/run_capture.sh k-16g-4cpu-pageowner 32M
/tmp/cap/scripts/run_capture.sh l-5g-3node-movable-pageowner 32M
/tmp/cap/scripts/run_capture.sh n-3g-numafake-pageowner 32M
/tmp/cap/scripts/run_capture.sh p-3g-3node-dist-shuffle-pageowner 32M
/tmp/cap/scripts/run_capture.sh q-8g-gigantic-pageowner 32M
/tmp/cap/scripts/run_capture.sh q-3g-gigantic-pageowner 32M
/tmp/cap/scripts/run_capture.sh r-6g-2node-kernelcore-pageowner 32M
/tmp/cap/scripts/run_capture.sh s-512m-1cpu 32M
/tmp/cap/scripts/run_capture.sh t-6g-2node-gigantic-pernode-pageowner 32M
/tmp/cap/scripts/run_capture.sh v-2g-dimm 32M
/tmp/cap/scripts/run_capture.sh w-2g-dimm-online 32M
