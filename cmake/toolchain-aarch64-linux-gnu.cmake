# Cross build for 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu, run
# under qemu-user (package qemu-user): the freestanding library and its
# tests (-DPMM_FREESTANDING_ONLY=ON), as ./dev cross builds them.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PMM_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${PMM_CROSS_TRIPLE}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${PMM_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/${PMM_CROSS_TRIPLE})
