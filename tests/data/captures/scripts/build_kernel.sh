#!/bin/bash
# build_kernel.sh: configure + build the page_owner test kernel in /tmp/kbuild/linux-source-6.1
# (Debian's linux-source-6.1 6.1.192-2, unpacked from /usr/src/linux-source-6.1.tar.xz),
# and tools/vm/page_owner_sort.
set -euo pipefail
K=/tmp/kbuild/linux-source-6.1
cd $K
make x86_64_defconfig
make kvm_guest.config
C=scripts/config
$C --set-str LOCALVERSION "-pageowner-kvm" -d LOCALVERSION_AUTO
# page_owner + stacks
$C -e DEBUG_KERNEL -e PAGE_OWNER -e PAGE_EXTENSION -e STACKTRACE -e STACKDEPOT \
   -e UNWINDER_ORC -d UNWINDER_FRAME_POINTER -d UNWINDER_GUESS -e PRINTK -e DEBUG_FS -e DEBUG_FS_ALLOW_ALL
# tracing
$C -e FTRACE -e FUNCTION_TRACER -e TRACING -e EVENT_TRACING
# NUMA / topology, like the model (Debian) config
$C -e SMP -e NUMA -e ACPI_NUMA -e X86_64_ACPI_NUMA -e NUMA_EMU --set-val NODES_SHIFT 10 \
   -e NUMA_BALANCING -e NUMA_BALANCING_DEFAULT_ENABLED -e MAXSMP -e CPUMASK_OFFSTACK \
   -e X86_5LEVEL
# memory management, like the model config
$C -e DEFERRED_STRUCT_PAGE_INIT -e ZONE_DMA -e ZONE_DMA32 -e ZONE_DEVICE -e MEMORY_HOTPLUG \
   -d MEMORY_HOTPLUG_DEFAULT_ONLINE -e MEMORY_HOTREMOVE -e SPARSEMEM -e SPARSEMEM_VMEMMAP \
   -e MEMORY_ISOLATION -e COMPACTION -e MIGRATION -e PAGE_REPORTING -e SHUFFLE_PAGE_ALLOCATOR \
   -e TRANSPARENT_HUGEPAGE -e TRANSPARENT_HUGEPAGE_ALWAYS -d TRANSPARENT_HUGEPAGE_MADVISE \
   -e HUGETLBFS -e HUGETLB_PAGE -e HUGETLB_PAGE_OPTIMIZE_VMEMMAP \
   -e INIT_ON_ALLOC_DEFAULT_ON -d INIT_ON_FREE_DEFAULT_ON -e PAGE_POISONING \
   -e SLUB -e SLUB_CPU_PARTIAL -e SLUB_DEBUG -e SLAB_MERGE_DEFAULT -e SLAB_FREELIST_RANDOM -e SLAB_FREELIST_HARDENED \
   -e MEMCG -e MEMCG_KMEM -e SWAP -e KSM -e LRU_GEN -d LRU_GEN_ENABLED -d CMA \
   -d DEBUG_VM -d DEBUG_PAGEALLOC -d KFENCE -d KASAN
# scheduling, like the model
$C -e PREEMPT_VOLUNTARY -d PREEMPT_NONE -d PREEMPT -e PREEMPT_DYNAMIC -e HZ_250 -d HZ_1000 -d HZ_100 -d HZ_300
# built-in guest drivers / file systems (no modules needed in the initramfs)
$C -e VIRTIO -e VIRTIO_MENU -e VIRTIO_PCI -e VIRTIO_PCI_LEGACY -e VIRTIO_BLK -e BLK_DEV \
   -e EXT4_FS -e TMPFS -e SHMEM -e BLK_DEV_INITRD -e RD_GZIP -e DEVTMPFS \
   -e SERIAL_8250 -e SERIAL_8250_CONSOLE -e PROC_FS -e PROC_PAGE_MONITOR -e SYSFS
# cheap extra matches with the model config
$C -d WERROR -e ZSWAP -e ZBUD -e AMD_MEM_ENCRYPT -e PSI -e X86_X2APIC -e FTRACE_SYSCALLS -e TMPFS_INODE64 \
   --set-val DEFAULT_MMAP_MIN_ADDR 65536 -d X86_MCE -d KEXEC -d CRASH_DUMP -e PARAVIRT_SPINLOCKS -d EFI
make olddefconfig
make -j2 bzImage
gcc -O2 -o /tmp/kbuild/page_owner_sort tools/vm/page_owner_sort.c
