#!/usr/bin/env bash
# Loads an addon the way Node's dlopen does, but with Debian 11's glibc 2.31 and libstdc++ from the
# sysroot that scripts/bullseye-sysroot.sh makes: a small C program built against that sysroot runs
# under its dynamic loader. It fails as Node would on such a system ("version `GLIBC_2.34' not
# found"). The Node-API symbols stay unresolved (lazy binding), so no JS runs.
# Usage: scripts/load-on-bullseye.sh SYSROOT FILE.node
set -euo pipefail
sysroot=${1:?usage: scripts/load-on-bullseye.sh SYSROOT FILE.node}
file=$(realpath "${2:?usage: scripts/load-on-bullseye.sh SYSROOT FILE.node}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/load.c" <<'EOF'
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *addon = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
  printf("glibc %s: %s %s\n", gnu_get_libc_version(), addon ? "loaded" : "could not load", addon ? argv[1] : dlerror());
  return addon ? 0 : 1;
}
EOF
"$sysroot/usr/bin/x86_64-linux-gnu-gcc-10" --sysroot="$sysroot" "$work/load.c" -o "$work/load" -ldl
"$sysroot/lib64/ld-linux-x86-64.so.2" --library-path "$sysroot/lib/x86_64-linux-gnu:$sysroot/usr/lib/x86_64-linux-gnu" \
  "$work/load" "$file"
