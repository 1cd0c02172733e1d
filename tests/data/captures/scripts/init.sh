#!/bin/sh
# /init of the capture initramfs (busybox ash). Runs the workload, snapshots
# /proc after every phase, dumps /sys/kernel/debug/page_owner where the kernel
# has it, then writes everything as /capture.tar into the
# ext4 file system on /dev/vda and powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
. /capture.conf
T=/sys/kernel/tracing
O=/out
log() { echo "capture: $*"; }

log "init start $(cut -d' ' -f1 /proc/uptime)"
# Debian's kernel needs its modules; the page_owner kernel has them built in (none here).
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	 virtio_blk crc16 mbcache jbd2 crc32c_generic ext4; do
	[ -f /lib/modules/$m.ko ] || continue
	insmod /lib/modules/$m.ko || log "insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p /mnt/data /work $O/phases
mount -t ext4 /dev/vda /mnt/data || log "mount /dev/vda failed"
mount -t tmpfs -o size=1536m out $O
mkdir -p $O/phases
mount -t tmpfs -o size=75% work /work

phase() {
	n=$1
	echo "CAPTURE_PHASE $n" > $T/trace_marker
	d=$O/phases/$n
	mkdir -p $d
	for f in buddyinfo pagetypeinfo zoneinfo vmstat meminfo; do
		cat /proc/$f > $d/$f
	done
	cut -d' ' -f1 /proc/uptime > $d/uptime
	echo $n >> $O/phases/order
	log "phase $n at $(cat $d/uptime)"
}
kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

phase 00_boot_done

/bin/workload fork $FORKS
phase 01_fork

/bin/workload smallfiles /work/small $SMALLFILES
phase 02_tmpfs_small_files

/bin/workload bigfile /work/big $BIGFILE_MB
phase 03_tmpfs_big_file

/bin/workload anon 4 32 thp
phase 04_anon_4x32M

/bin/workload bigfile /mnt/data/pagecache $PAGECACHE_MB
sync
/bin/workload readfile /mnt/data/pagecache
phase 05_pagecache_${PAGECACHE_MB}M

/bin/workload pipes $PIPE_PAIRS $PIPE_MB
phase 06_pipes

sync
echo 3 > /proc/sys/vm/drop_caches
phase 07_drop_caches

# anonymous pressure: fill up to PRESSURE_PCT % of MemTotal
total=$(kb MemTotal); avail=$(kb MemAvailable)
want=$(( total * PRESSURE_PCT / 100 - (total - avail) ))
nchunks=$(( want / (PRESSURE_CHUNK_MB * 1024) ))
[ $nchunks -lt 1 ] && nchunks=1
log "pressure: MemTotal ${total}K MemAvailable ${avail}K -> $nchunks x ${PRESSURE_CHUNK_MB}M ($PRESSURE_MODE)"
/bin/workload anon $nchunks $PRESSURE_CHUNK_MB $PRESSURE_MODE
phase 08_anon_pressure_${nchunks}x${PRESSURE_CHUNK_MB}M

echo 1 > /proc/sys/vm/compact_memory
phase 09_compact

rm -rf /work/small /work/big /mnt/data/pagecache
sync
phase 10_cleanup

echo 0 > $T/tracing_on
d=$O/phases/99_trace_stopped
mkdir -p $d
for f in buddyinfo pagetypeinfo zoneinfo vmstat meminfo; do cat /proc/$f > $d/$f; done
cut -d' ' -f1 /proc/uptime > $d/uptime
echo 99_trace_stopped >> $O/phases/order
log "tracing stopped at $(cat $d/uptime)"

# page_owner dump right after tracing stops (before the big trace read fills tmpfs)
if [ -r /sys/kernel/debug/page_owner ]; then
	log "reading page_owner at $(cut -d' ' -f1 /proc/uptime)"
	cat /sys/kernel/debug/page_owner > $O/page_owner.txt
	log "page_owner read at $(cut -d' ' -f1 /proc/uptime): $(grep -c '^Page allocated via' $O/page_owner.txt) records"
fi

# ---- end-of-run captures ----
cat /proc/cmdline > $O/cmdline.txt
uname -a > $O/uname.txt
for f in zoneinfo buddyinfo pagetypeinfo vmstat meminfo iomem cpuinfo slabinfo vmallocinfo; do
	cat /proc/$f > $O/$f.txt
done
for n in /sys/devices/system/node/node[0-9]*; do
	nd=$O/nodes/$(basename $n)
	mkdir -p $nd
	for f in cpulist distance meminfo numastat vmstat; do cat $n/$f > $nd/$f; done
done
mkdir -p $O/sysctl_vm
for f in /proc/sys/vm/*; do
	b=$(basename $f)
	if cat $f > $O/sysctl_vm/$b 2>/dev/null; then :; else rm -f $O/sysctl_vm/$b; fi
done
mkdir -p $O/thp
for f in enabled defrag shmem_enabled use_zero_page hpage_pmd_size; do
	cat /sys/kernel/mm/transparent_hugepage/$f > $O/thp/$f
done
mkdir -p $O/extfrag
cat /sys/kernel/debug/extfrag/extfrag_index > $O/extfrag/extfrag_index
cat /sys/kernel/debug/extfrag/unusable_index > $O/extfrag/unusable_index
cat /proc/kpageflags > $O/kpageflags.bin
cat /proc/kpagecount > $O/kpagecount.bin

M=$O/trace_meta
mkdir -p $M
for ev in kmem/mm_page_alloc kmem/mm_page_free kmem/mm_page_free_batched \
	  kmem/mm_page_alloc_zone_locked kmem/mm_page_pcpu_drain kmem/mm_page_alloc_extfrag \
	  compaction/mm_compaction_begin compaction/mm_compaction_end \
	  compaction/mm_compaction_migratepages migrate/mm_migrate_pages ftrace/print; do
	cat $T/events/$ev/format > $M/format_$(echo $ev | tr / _)
done
cat $T/set_event > $M/set_event
cat $T/trace_clock > $M/trace_clock
cat $T/buffer_size_kb > $M/buffer_size_kb
for c in $T/per_cpu/cpu[0-9]*; do cat $c/stats > $M/stats_$(basename $c); done
log "reading trace at $(cut -d' ' -f1 /proc/uptime)"
cat $T/trace > $O/trace.txt
log "trace read at $(cut -d' ' -f1 /proc/uptime): $(wc -l < $O/trace.txt) lines"
dmesg -s 4194304 > $O/dmesg.txt
echo done > $O/COMPLETE

tar cf /mnt/data/capture.tar -C $O .
sync
umount /mnt/data
sync
log "capture written, powering off at $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
