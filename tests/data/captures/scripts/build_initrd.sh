#!/bin/bash
# build_initrd.sh NAME CONF [MODULES] -> /tmp/cap/build/initrd-NAME.cpio.gz
# MODULES 1 (default): Debian's virtio/ext4 modules go in; 0: the kernel has them built in.
set -euo pipefail
NAME=$1 CONF=$2 WITH_MODULES=${3:-1}
CAP=/tmp/cap; S=$CAP/scripts; B=$CAP/build
KV=6.1.0-50-amd64; MODS=$CAP/kimg/lib/modules/$KV/kernel
mkdir -p $B
[ -x $B/bb/bin/busybox ] || dpkg-deb -x $CAP/busybox-static_*.deb $B/bb
gcc -static -O2 -Wall -o $B/workload $S/workload.c
R=$B/root-$NAME
rm -rf $R; mkdir -p $R/{bin,sbin,dev,proc,sys,mnt,lib/modules,etc,tmp}
cp $B/bb/bin/busybox $R/bin/busybox
for a in $($R/bin/busybox --list); do [ -e $R/bin/$a ] || ln -s busybox $R/bin/$a; done
cp $B/workload $R/bin/workload
cp $S/init.sh $R/init; chmod +x $R/init
cp $CONF $R/capture.conf
if [ "$WITH_MODULES" = 1 ]; then
  for m in drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_pci_modern_dev \
           drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/block/virtio_blk \
           lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4; do
    f=$MODS/$m.ko; [ -f $f ] || { [ -f $f.xz ] && xz -dc $f.xz > $R/lib/modules/$(basename $m).ko && continue; echo "missing $f"; exit 1; }
    cp $f $R/lib/modules/
  done
fi
(cd $R && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 > $B/initrd-$NAME.cpio.gz
ls -la $B/initrd-$NAME.cpio.gz
