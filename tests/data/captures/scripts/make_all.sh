#!/bin/bash
# Re-make all captures (sequentially; each boot takes ~1 min under TCG here).
set -euo pipefail
apt-get install -y qemu-system-x86 xz-utils cpio e2fsprogs gcc >/dev/null
/tmp/cap/scripts/run_capture.sh b-4g-2node-mixed 128M
/tmp/cap/scripts/run_capture.sh c-3g-q35-movable 128M
/tmp/cap/scripts/run_capture.sh d-6g-4node-blocks 128M
/tmp/cap/scripts/run_capture.sh e-2g-shuffle-thpnever 96M   # 128M fails: see README
