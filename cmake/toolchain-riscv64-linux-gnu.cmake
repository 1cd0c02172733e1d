# Cross build for 64-bit RISC-V Linux with Debian's gcc-riscv64-linux-gnu,
# run under qemu-user: the freestanding library and its tests
# (-DPMM_FREESTANDING_ONLY=ON), as ./dev test builds them.  Debian 12 has
# no riscv64 packages to build the whole library against (the port became
# an official architecture in Debian 13).
set(PMM_CROSS_ARCH riscv64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
