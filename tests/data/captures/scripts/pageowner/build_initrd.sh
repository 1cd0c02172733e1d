#!/bin/bash
# build_initrd.sh NAME CONF -> /tmp/cap/build-po/initrd-NAME.cpio.gz
# Variant of ../scripts/build_initrd.sh for the page_owner kernel: virtio, virtio_blk and
# ext4 are built in, so no modules are copied and /init loads none.
set -euo pipefail
NAME=$1 CONF=$2
CAP=/tmp/cap; S=$CAP/scripts-po; B=$CAP/build-po
mkdir -p $B
[ -x $B/bb/bin/busybox ] || dpkg-deb -x $CAP/busybox-static_*.deb $B/bb
gcc -static -O2 -Wall -o $B/workload $S/workload.c
R=$B/root-$NAME
rm -rf $R; mkdir -p $R/{bin,sbin,dev,proc,sys,mnt,etc,tmp}
cp $B/bb/bin/busybox $R/bin/busybox
for a in $($R/bin/busybox --list); do [ -e $R/bin/$a ] || ln -s busybox $R/bin/$a; done
cp $B/workload $R/bin/workload
cp $S/init.sh $R/init; chmod +x $R/init
cp $CONF $R/capture.conf
(cd $R && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 > $B/initrd-$NAME.cpio.gz
ls -la $B/initrd-$NAME.cpio.gz
