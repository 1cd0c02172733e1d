#!/bin/bash
# postprocess.sh NAME: unpack work-NAME/capture.tar into /tmp/cap/NAME, compress, count.
set -euo pipefail
NAME=$1
CAP=/tmp/cap; W=$CAP/work-$NAME; OUT=$CAP/$NAME
rm -rf $OUT; mkdir -p $OUT
tar xf $W/capture.tar -C $OUT
chmod 755 $OUT
[ -f $OUT/COMPLETE ] || { echo "capture incomplete"; exit 1; }
cp $W/qemu_cmdline.txt $OUT/qemu_cmdline.txt
cp $W/console.log $OUT/console.log
# stats from the uncompressed trace
T=$OUT/trace.txt
{
  echo "capture: $NAME   kernel: $(cat $OUT/uname.txt)"
  echo "qemu: $(cat $OUT/qemu_cmdline.txt)"
  for e in mm_page_alloc mm_page_free mm_page_free_batched mm_page_alloc_zone_locked \
           mm_page_pcpu_drain mm_page_alloc_extfrag mm_compaction_begin mm_compaction_end \
           mm_compaction_migratepages mm_migrate_pages; do
    printf '%-28s %s\n' $e "$(grep -c " $e: " $T || true)"
  done
  printf '%-28s %s\n' trace_lines "$(grep -vc '^#' $T)"
  printf '%-28s %s\n' trace_overruns "$(grep -hE '^(overrun|commit overrun):' $OUT/trace_meta/stats_cpu* | tr '\n' ' ')"
  echo "sizes (uncompressed bytes):"
  tot=0
  for f in trace.txt kpageflags.bin kpagecount.bin; do
    s=$(stat -c %s $OUT/$f); tot=$((tot+s)); printf '%9d %s\n' $s $f
  done
  printf '%9d total\n' $tot
} > $OUT/stats.txt
for f in trace.txt dmesg.txt console.log kpageflags.bin kpagecount.bin; do xz -T2 -9 $OUT/$f; done
cat $OUT/stats.txt
