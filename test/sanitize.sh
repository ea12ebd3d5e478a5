#!/usr/bin/env bash
# The whole Node test suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of the
# addon (gcc, CPU only, every UBSan report fatal), built into build-asan/ and loaded through
# $INFOGAIN_NATIVE_PATH with the ASan runtime preloaded into node (node itself is not instrumented).
#   test/sanitize.sh              build, then run every test file
#   test/sanitize.sh test/x.mjs   build, then run the given test files
# ASAN_OPTIONS (see test/RELIABILITY.md):
#   detect_leaks=0   node and V8 keep process-lifetime allocations that only exit frees; leaks of
#                    the kernels are checked by test/leaks.sh instead
#   others: reports are fatal and name the source line
set -euo pipefail
cd "$(dirname "$0")/.."

npx tsc -p tsconfig.json
mkdir -p build-asan
node -e "require('fs').chmodSync('dist/cli.js', 0o755)"
san="-fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer -g"
nice npx cmake-js compile --out build-asan --CDINFOGAIN_CUDA=OFF \
  --CDCMAKE_CXX_FLAGS_RELEASE="-O2 $san" --CDCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >build-asan/build.log 2>&1 ||
  { tail -30 build-asan/build.log; exit 1; }
# (cmake-js sets CMAKE_CXX_FLAGS itself: the sanitizer flags go in through the Release flags.) Make
# sure the code really is instrumented, not just linked against the runtimes:
imports=$(nm -D --undefined-only build-asan/Release/infogain.node)
grep -q __asan_report_load <<<"$imports" || { echo "build-asan/Release/infogain.node is not instrumented by ASan" >&2; exit 1; }
grep -q __ubsan_handle <<<"$imports" || { echo "build-asan/Release/infogain.node is not instrumented by UBSan" >&2; exit 1; }

export INFOGAIN_NATIVE_PATH=$PWD/build-asan/Release/infogain.node
export LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
node -e "
  const ig = require('./dist/index.js');
  if (!require('./dist/native.js').candidatePaths()[0].path.includes('build-asan')) throw new Error('not the ASan build');
  console.log('ASan + UBSan addon:', process.env.INFOGAIN_NATIVE_PATH, JSON.stringify(ig.backends().cpu));
"
if [ $# -gt 0 ]; then
  node --test --test-concurrency=1 "$@"
else
  node --test --test-concurrency=1 test/
fi
