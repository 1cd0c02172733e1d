#!/bin/bash
# postprocess.sh NAME: unpack work-NAME/capture.tar into /tmp/cap/NAME, run the kernel's
# page_owner_sort on a page_owner dump, count, compress.
set -euo pipefail
NAME=$1
CAP=/tmp/cap; W=$CAP/work-$NAME; OUT=$CAP/$NAME
POS=$CAP/kimg-po/page_owner_sort            # gcc -O2 of the source below (build_kernel.sh)
POS_SRC=/tmp/kbuild/linux-source-6.1/tools/vm/page_owner_sort.c
rm -rf $OUT; mkdir -p $OUT
tar xf $W/capture.tar -C $OUT
chmod 755 $OUT
[ -f $OUT/COMPLETE ] || { echo "capture incomplete"; exit 1; }
cp $W/qemu_cmdline.txt $OUT/qemu_cmdline.txt
cp $W/console.log $OUT/console.log
PO=$OUT/page_owner.txt
if [ -f $PO ]; then
	cp $CAP/kimg-po/kernel-config $OUT/kernel-config
	# page_owner_sort with the model's six option sets (a-*.out, like a-1g-1node-mixed)
	P=$OUT/page_owner_sort; mkdir -p $P
	{
	  echo "page_owner_sort: $POS"
	  echo "built with: gcc -O2 -o page_owner_sort $POS_SRC"
	  echo "source: $POS_SRC (Linux $(make -s -C /tmp/kbuild/linux-source-6.1 kernelversion), Debian linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1)), md5 $(md5sum < $POS_SRC | cut -d' ' -f1)"
	  echo "input: page_owner.txt (uncompressed); each output xz -9 compressed"
	  echo "commands (run in $OUT):"
	} > $P/COMMANDS.txt
	run() { out=$1; shift; echo "  $(basename $POS) $* page_owner.txt page_owner_sort/$out.out" >> $P/COMMANDS.txt
	        (cd $OUT && $POS "$@" page_owner.txt page_owner_sort/$out.out > /dev/null 2>&1); }
	run a-default
	run a-m -m
	run a-cull-stacktrace --cull stacktrace
	run a-cull-pid-name-m -m --cull pid,name
	run a-sort-pid --sort=-p,n
	run a-name --name swapper/0
fi
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
  if [ -f $PO ]; then printf '%-28s %s\n' page_owner_records "$(grep -c '^Page allocated via' $PO)"; fi
  printf '%-28s %s\n' trace_lines "$(grep -vc '^#' $T)"
  printf '%-28s %s\n' trace_overruns "$(grep -hE '^(overrun|commit overrun):' $OUT/trace_meta/stats_cpu* | tr '\n' ' ')"
  echo "sizes (uncompressed bytes):"
  tot=0
  for f in page_owner.txt trace.txt kpageflags.bin kpagecount.bin; do
    [ -f $OUT/$f ] || continue
    s=$(stat -c %s $OUT/$f); tot=$((tot+s)); printf '%9d %s\n' $s $f
  done
  printf '%9d total\n' $tot
} > $OUT/stats.txt
for f in trace.txt dmesg.txt console.log kpageflags.bin kpagecount.bin page_owner.txt; do
  if [ -f $OUT/$f ]; then xz -T2 -9 $OUT/$f; fi
done
if [ -d $OUT/page_owner_sort ]; then xz -T2 -9 $OUT/page_owner_sort/*.out; fi
cat $OUT/stats.txt
