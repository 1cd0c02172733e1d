# Cross build for 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu, run
# under qemu-user, as ./dev test builds it twice: the freestanding library
# and its tests (-DPMM_FREESTANDING_ONLY=ON), and the whole library against
# Debian's arm64 packages (scripts/install-deps.sh --test installs both).
set(PMM_CROSS_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
