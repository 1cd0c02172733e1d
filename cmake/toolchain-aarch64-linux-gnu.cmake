# Cross build for 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu, run
# under qemu-user: the freestanding library and its tests
# (-DPMM_FREESTANDING_ONLY=ON), as ./dev test builds them.
set(PMM_CROSS_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
