#!/bin/bash
# run_capture.sh NAME TRACE_BUF_SIZE  -> boots the guest and fills /tmp/cap/NAME/
# NAME ending in -pageowner: the page_owner kernel of build_kernel.sh (/tmp/cap/kimg-po,
# everything built in: no modules), page_owner=on; others: Debian's kernel (/tmp/cap/kimg).
set -euo pipefail
NAME=$1 TBUF=$2
CAP=/tmp/cap; S=$CAP/scripts; B=$CAP/build; W=$CAP/work-$NAME; OUT=$CAP/$NAME
KERNEL=$CAP/kimg/boot/vmlinuz-6.1.0-50-amd64 MODULES=1 EXTRA=
# two_nodes MACHINE GIB [QEMU ARGS...]: two NUMA nodes of GIB GiB each, CPU 0 on node 0, CPU 1
# on node 1 (the ARGS go before -smp)
two_nodes() {
  local machine=$1 gib=$2; shift 2
  MACH=(-machine "$machine" -accel tcg,thread=multi "$@" -smp 2 -m $((2 * gib * 1024))
        -object memory-backend-ram,id=m0,size=${gib}G -object memory-backend-ram,id=m1,size=${gib}G
        -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1)
}
case $NAME in
  *-pageowner) KERNEL=$CAP/kimg-po/bzImage MODULES=0 EXTRA=" page_owner=on" ;;
esac
EVENTS=kmem:mm_page_alloc,kmem:mm_page_free,kmem:mm_page_free_batched,kmem:mm_page_alloc_zone_locked,kmem:mm_page_pcpu_drain,kmem:mm_page_alloc_extfrag,compaction:mm_compaction_begin,compaction:mm_compaction_end,compaction:mm_compaction_migratepages,migrate:mm_migrate_pages
APPEND="console=ttyS0$EXTRA trace_event=$EVENTS trace_buf_size=$TBUF trace_clock=global log_buf_len=4M panic=-1 loglevel=6"
case $NAME in
  b-4g-2node-mixed)
    two_nodes pc 2 ;;
  c-3g-q35-movable)
    MACH=(-machine q35 -accel tcg,thread=multi -smp 2 -m 3072)
    APPEND="$APPEND movablecore=512M" ;;
  d-6g-4node-blocks)
    # node 0: 1G cpus 0-1; node 1: 2G cpu 2; node 2: no memory, cpu 3; node 3: 3G, no cpus
    MACH=(-machine pc -accel tcg,thread=multi -smp 4 -m 6144
          -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=2G
          -object memory-backend-ram,id=m3,size=3G
          -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2,memdev=m1
          -numa node,nodeid=2,cpus=3 -numa node,nodeid=3,memdev=m3) ;;
  e-2g-shuffle-thpnever)
    MACH=(-machine pc -accel tcg,thread=multi -smp 2 -m 2048)
    APPEND="$APPEND page_alloc.shuffle=1 transparent_hugepage=never init_on_free=1" ;;
  f-2g-2node-pageowner)
    # two nodes of 1 GiB, one CPU each
    two_nodes pc 1 ;;
  g-3g-1node-pageowner)
    MACH=(-machine q35 -accel tcg,thread=multi -smp 2 -m 3072) ;;
  h-8g-8cpu-2node-pageowner)
    # q35 (2 GiB below 4 GiB): node 0 the low 2G with CPUs 0-2, node 1 6G above 4G with
    # CPUs 3-7; a crash kernel reservation
    MACH=(-machine q35 -accel tcg,thread=multi -smp 8 -m 8192
          -object memory-backend-ram,id=m0,size=2G -object memory-backend-ram,id=m1,size=6G
          -numa node,nodeid=0,cpus=0-2,memdev=m0 -numa node,nodeid=1,cpus=3-7,memdev=m1)
    APPEND="$APPEND crashkernel=128M" ;;
  i-1536m-4cpu-memmap)
    # mem= truncates the RAM map and memmap= reserves a range in the middle of it
    MACH=(-machine pc -accel tcg,thread=multi -smp 4 -m 1536)
    APPEND="$APPEND mem=1400M memmap=64M\$0x30000000" ;;
  j-3g-q35-hugetlb-crash)
    # boot-time huge pages of both sizes (1G from memblock, 2M from the buddy) and a crash
    # kernel reservation
    MACH=(-machine q35 -accel tcg,thread=multi -smp 2 -m 3072)
    APPEND="$APPEND crashkernel=192M hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=64" ;;
  k-16g-4cpu-pageowner)
    # one node of 16 GiB (q35: 2 GiB below 4 GiB, 14 above) and four CPUs
    MACH=(-machine q35 -accel tcg,thread=multi -smp 4 -m 16384) ;;
  l-5g-3node-movable-pageowner)
    # three nodes of 1, 3 and 1 GiB with 1, 2 and 0 CPUs; ZONE_MOVABLE on nodes 1 and 2 from
    # movablecore=
    MACH=(-machine pc -accel tcg,thread=multi -smp 3 -m 5120
          -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=3G
          -object memory-backend-ram,id=m2,size=1G
          -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1-2,memdev=m1
          -numa node,nodeid=2,memdev=m2)
    APPEND="$APPEND movablecore=1G" ;;
  m-2g-2node-numaoff)
    # two NUMA nodes in the firmware tables, numa=off on the command line
    two_nodes pc 1
    APPEND="$APPEND numa=off" ;;
  n-3g-numafake-pageowner)
    # one node in the firmware tables, split in three by NUMA emulation
    MACH=(-machine pc -accel tcg,thread=multi -smp 3 -m 3072)
    APPEND="$APPEND numa=fake=3" ;;
  o-4g-2node-mem-pmem)
    # two nodes of 2 GiB; mem=3G cuts the second, memmap=256M!1G makes a persistent-memory
    # range inside the first, nokaslr puts the kernel image at its default address
    two_nodes pc 2
    APPEND="$APPEND mem=3G memmap=256M!1G nokaslr" ;;
  p-3g-3node-dist-shuffle-pageowner)
    # three nodes of 1 GiB at SLIT distances 10/15/30, CPUs 0, 1 and none; shuffling,
    # init_on_free and THP madvise
    MACH=(-machine pc -accel tcg,thread=multi -smp 2 -m 3072
          -object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G
          -object memory-backend-ram,id=m2,size=1G
          -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1
          -numa node,nodeid=2,memdev=m2
          -numa dist,src=0,dst=1,val=15 -numa dist,src=0,dst=2,val=30 -numa dist,src=1,dst=2,val=30)
    APPEND="$APPEND page_alloc.shuffle=1 init_on_free=1 transparent_hugepage=madvise" ;;
  q-8g-gigantic-pageowner)
    # two 1 GiB huge pages taken from memblock at boot (a CPU model with pdpe1gb)
    MACH=(-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 8192)
    APPEND="$APPEND hugepagesz=1G hugepages=2" ;;
  q-3g-gigantic-pageowner)
    # the same on q35's 2 GiB + 1 GiB: no free 1 GiB-aligned GiB, the kernel takes none
    MACH=(-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 3072)
    APPEND="$APPEND hugepagesz=1G hugepages=2" ;;
  r-6g-2node-kernelcore-pageowner)
    # two nodes of 3 GiB, kernelcore=2G: ZONE_MOVABLE spread over the nodes
    two_nodes pc 3
    APPEND="$APPEND kernelcore=2G" ;;
  s-512m-1cpu)
    # a small one-CPU machine
    MACH=(-machine pc -accel tcg,thread=multi -smp 1 -m 512) ;;
  t-6g-2node-gigantic-pernode-pageowner)
    # 1 GiB pages counted per node: one on node 0, two on node 1
    two_nodes pc 3 -cpu max
    APPEND="$APPEND hugepagesz=1G hugepages=0:1,1:2" ;;
  v-2g-dimm|w-2g-dimm-online)
    # 2 GiB of boot memory and a 1 GiB DIMM plugged in before boot: ACPI adds it as
    # hotplugged memory, left offline (CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE is not set);
    # w onlines it as it is added
    MACH=(-machine pc -accel tcg,thread=multi -smp 2 -m 2G,slots=2,maxmem=4G
          -object memory-backend-ram,id=d1,size=1G -device pc-dimm,id=dimm1,memdev=d1)
    if [ "$NAME" = w-2g-dimm-online ]; then APPEND="$APPEND memhp_default_state=online"; fi ;;
  *) echo "unknown machine $NAME"; exit 1 ;;
esac
$S/build_initrd.sh $NAME $S/$NAME.conf $MODULES
rm -rf $W; mkdir -p $W
truncate -s 2G $W/data.img
mkfs.ext4 -q -F -L capdata $W/data.img
rm -f $W/console.log
CMD=(qemu-system-x86_64 "${MACH[@]}" -kernel $KERNEL -initrd $B/initrd-$NAME.cpio.gz
     -append "$APPEND" -drive file=$W/data.img,format=raw,if=virtio,cache=unsafe
     -nic none -display none -monitor none -serial file:$W/console.log -no-reboot)
# the exact command, one line, runnable by a shell (only -append needs quoting)
{ q=""; for a in "${CMD[@]}"; do case $a in *' '*) q="$q \"$a\"" ;; *) q="$q $a" ;; esac; done; echo "${q# }"; } > $W/qemu_cmdline.txt
date -u +"start %FT%TZ" > $W/time.txt
set +e
timeout 3600 "${CMD[@]}" > $W/qemu.stdout 2> $W/qemu.stderr
echo "qemu exit $?" >> $W/time.txt
set -e
date -u +"end %FT%TZ" >> $W/time.txt
debugfs -R "dump /capture.tar $W/capture.tar" $W/data.img
$S/postprocess.sh $NAME
