#!/bin/bash
# run_capture.sh NAME TRACE_BUF_SIZE  -> boots the page_owner kernel and fills /tmp/cap/NAME/
# Variant of ../scripts/run_capture.sh: own kernel (/tmp/cap/kimg-po, built by build_kernel.sh),
# page_owner=on, no modules in the initramfs, page_owner dump + page_owner_sort in postprocess.
set -euo pipefail
NAME=$1 TBUF=$2
CAP=/tmp/cap; S=$CAP/scripts-po; B=$CAP/build-po; W=$CAP/work-$NAME; OUT=$CAP/$NAME
KERNEL=$CAP/kimg-po/bzImage
EVENTS=kmem:mm_page_alloc,kmem:mm_page_free,kmem:mm_page_free_batched,kmem:mm_page_alloc_zone_locked,kmem:mm_page_pcpu_drain,kmem:mm_page_alloc_extfrag,compaction:mm_compaction_begin,compaction:mm_compaction_end,compaction:mm_compaction_migratepages,migrate:mm_migrate_pages
APPEND="console=ttyS0 page_owner=on trace_event=$EVENTS trace_buf_size=$TBUF trace_clock=global log_buf_len=4M panic=-1 loglevel=6"
case $NAME in
  f-2g-2node-pageowner)
    # two nodes of 1 GiB, one CPU each
    MACH=(-machine pc -accel tcg,thread=multi -smp 2 -m 2048
          -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G
          -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1) ;;
  g-3g-1node-pageowner)
    MACH=(-machine q35 -accel tcg,thread=multi -smp 2 -m 3072) ;;
  *) echo "unknown machine $NAME"; exit 1 ;;
esac
$S/build_initrd.sh $NAME $S/$NAME.conf
rm -rf $W; mkdir -p $W
truncate -s 2G $W/data.img
mkfs.ext4 -q -F -L capdata $W/data.img
rm -f $W/console.log
CMD=(qemu-system-x86_64 "${MACH[@]}" -kernel $KERNEL -initrd $B/initrd-$NAME.cpio.gz
     -append "$APPEND" -drive file=$W/data.img,format=raw,if=virtio,cache=unsafe
     -nic none -display none -monitor none -serial file:$W/console.log -no-reboot)
{ q=""; for a in "${CMD[@]}"; do case $a in *' '*) q="$q \"$a\"" ;; *) q="$q $a" ;; esac; done; echo "${q# }"; } > $W/qemu_cmdline.txt
date -u +"start %FT%TZ" > $W/time.txt
set +e
timeout 3600 "${CMD[@]}" > $W/qemu.stdout 2> $W/qemu.stderr
echo "qemu exit $?" >> $W/time.txt
set -e
date -u +"end %FT%TZ" >> $W/time.txt
debugfs -R "dump /capture.tar $W/capture.tar" $W/data.img
$S/postprocess.sh $NAME
