#!/bin/bash
set -euo pipefail
[ -f /tmp/cap/kimg-po/bzImage ] || { /tmp/cap/scripts-po/build_kernel.sh; /tmp/cap/scripts-po/install_kernel.sh; }
/tmp/cap/scripts-po/run_capture.sh f-2g-2node-pageowner 64M
/tmp/cap/scripts-po/run_capture.sh g-3g-1node-pageowner 64M
