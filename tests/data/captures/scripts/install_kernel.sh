#!/bin/bash
# copy the built kernel, its config and page_owner_sort to /tmp/cap/kimg-po
set -euo pipefail
K=/tmp/kbuild/linux-source-6.1
mkdir -p /tmp/cap/kimg-po
cp $K/arch/x86/boot/bzImage /tmp/cap/kimg-po/bzImage
cp $K/.config /tmp/cap/kimg-po/kernel-config
cp $K/System.map /tmp/cap/kimg-po/System.map
cp /tmp/kbuild/page_owner_sort /tmp/cap/kimg-po/page_owner_sort
cat $K/include/config/kernel.release > /tmp/cap/kimg-po/kernel.release
ls -la /tmp/cap/kimg-po
