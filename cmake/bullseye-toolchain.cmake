# The prebuilt binary's toolchain: Debian 11's g++ 10 against its glibc 2.31, from the sysroot that
# scripts/bullseye-sysroot.sh makes ($INFOGAIN_SYSROOT), with libstdc++ and libgcc linked in, so
# the addon loads on glibc >= 2.31 and needs no particular libstdc++. scripts/build-native.js
# passes it to cmake-js when INFOGAIN_SYSROOT is set; nvcc uses the same g++ as its host compiler.
set(INFOGAIN_SYSROOT "$ENV{INFOGAIN_SYSROOT}")
if(NOT IS_DIRECTORY "${INFOGAIN_SYSROOT}/usr/include")
  message(FATAL_ERROR "INFOGAIN_SYSROOT='${INFOGAIN_SYSROOT}' is not a sysroot: make one with scripts/bullseye-sysroot.sh DIR")
endif()
set(CMAKE_SYSROOT "${INFOGAIN_SYSROOT}")
set(CMAKE_C_COMPILER "${INFOGAIN_SYSROOT}/usr/bin/x86_64-linux-gnu-gcc-10")
set(CMAKE_CXX_COMPILER "${INFOGAIN_SYSROOT}/usr/bin/x86_64-linux-gnu-g++-10")
set(CMAKE_CUDA_HOST_COMPILER "${CMAKE_CXX_COMPILER}")
# CMake gives neither nvcc's host compiler nor CUDA links a --sysroot of their own
set(CMAKE_CUDA_FLAGS_INIT "-Xcompiler=--sysroot=${INFOGAIN_SYSROOT}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--sysroot=${INFOGAIN_SYSROOT}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "--sysroot=${INFOGAIN_SYSROOT} -static-libstdc++ -static-libgcc")
