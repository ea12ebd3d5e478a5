#!/usr/bin/env bash
# Makes a Debian 11 (bullseye) toolchain sysroot in DIR: glibc 2.31, g++ 10 and its libstdc++,
# unpacked from Debian's archive with apt-get download + dpkg-deb (no chroot, no root, nothing
# installed on this machine; needs a Debian-like host for apt-get and dpkg-deb). The prebuilt addon
# is compiled with it (INFOGAIN_SYSROOT=DIR, cmake/bullseye-toolchain.cmake) so that it loads on
# glibc >= 2.31 with any libstdc++ (libstdc++ is linked in). The compiler programs run on the host
# and use its binutils and its isl/mpc/mpfr/gmp libraries.
# Usage: scripts/bullseye-sysroot.sh DIR   (45 MB of packages, 170 MB unpacked; DIR/.complete marks
# a finished one, which a second call leaves alone)
set -euo pipefail
dir=${1:?usage: scripts/bullseye-sysroot.sh DIR}
[ -e "$dir/.complete" ] && exit 0
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

packages=(
  libc6 libc6-dev linux-libc-dev libcrypt1 libcrypt-dev          # glibc 2.31: headers, crt files, libs
  gcc-10 g++-10 cpp-10 gcc-10-base libgcc-10-dev libstdc++-10-dev # the compiler and its libstdc++.a
  libgcc-s1 libstdc++6                                            # for cmake's test programs
)

apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
echo "deb $mirror bullseye main" > "$apt_dir/sources.list"
: > "$apt_dir/status"
apt_opts=(
  -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::Status="$apt_dir/status"
  -o Dir::Cache="$apt_dir/cache" -o APT::Architecture=amd64 -o Debug::NoLocking=1
  -o APT::Sandbox::User=root  # (else apt, as root, fetches as _apt, who cannot write here)
)
apt-get "${apt_opts[@]}" -qq update
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}")

echo "bullseye sysroot: $(du -sm "$apt_dir/debs" | cut -f1) MB of packages, unpacking into $dir"
mkdir -p "$dir"
for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir"; done
# absolute symlinks inside the tree would point at the host's files: make them relative
find "$dir" -type l -lname '/*' | while read -r link; do
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir$(readlink "$link")")" "$link"
done
"$dir/usr/bin/x86_64-linux-gnu-g++-10" --sysroot="$dir" --version | head -1
touch "$dir/.complete"
