# What the cross toolchain files share: Debian's ${PMM_CROSS_ARCH}-linux-gnu
# gcc and C library, and qemu-user's qemu-${PMM_CROSS_ARCH} to run the tests
# (ctest puts CMAKE_CROSSCOMPILING_EMULATOR before each test program).
#
# Two kinds of build use them:
#  - the freestanding library alone (-DPMM_FREESTANDING_ONLY=ON), which
#    needs only the cross gcc and its C library (gcc-${PMM_CROSS_ARCH}-linux-gnu);
#  - the whole hosted library, whose dependencies come from Debian's
#    multiarch packages of that architecture (libdw-dev:arm64 and the rest,
#    scripts/install-deps.sh --test), found in /usr/lib/<triple>
#    by CMake and pkg-config.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${PMM_CROSS_ARCH})
set(PMM_CROSS_TRIPLE ${PMM_CROSS_ARCH}-linux-gnu)
set(CMAKE_C_COMPILER ${PMM_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${PMM_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH /usr/${PMM_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The target's .pc files only, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${PMM_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
# qemu-user's -L looks for the target's loader and libraries under the
# cross C library's root first and falls back to the host's paths.  Once
# the multiarch C library of the same architecture is installed (the
# hosted build's packages pull in libc6:arm64), that loader would find
# the multiarch libc.so.6 in /lib/<triple> before its own: a loader and a
# libc of two glibc builds, and threads hang in pthread_create().  So with
# the multiarch C library, the programs run on it alone, without -L.
if(EXISTS /lib/${PMM_CROSS_TRIPLE}/libc.so.6)
	set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${PMM_CROSS_ARCH})
else()
	set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${PMM_CROSS_ARCH} -L /usr/${PMM_CROSS_TRIPLE})
endif()
