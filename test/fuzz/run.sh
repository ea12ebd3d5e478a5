#!/usr/bin/env bash
# Builds the libFuzzer harnesses of native/core (clang-14, ASan + UBSan, every UBSan report fatal)
# and runs each for a set time, one at a time, at low priority.
#   test/fuzz/run.sh SECONDS [harness...]      default: every harness in test/fuzz/harness/
#   FUZZ_RUNS=10000000 test/fuzz/run.sh 1200   also stop a harness after that many executions
#   FUZZ_BUILD_ONLY=1 test/fuzz/run.sh 0       build, run nothing
#   FUZZ_RACE=1 test/fuzz/run.sh 300           race mode: float inputs rewritten by a second thread
#                                              while each kernel runs (fuzz.h); logs and crashes get -race
# Inputs it finds go to build-fuzz/corpus/<harness>/ (the committed seeds in test/fuzz/corpus/<harness>/
# are read, never written); a crashing input is saved as build-fuzz/crash-<harness>-*; logs in
# build-fuzz/logs/. Prints one line per harness: executions, seconds, exec/s. Exits 1 on any crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=${1:?usage: test/fuzz/run.sh SECONDS [harness...]}
shift
CXX=${FUZZ_CXX:-clang++-14}
out=$root/build-fuzz
mkdir -p "$out/obj" "$out/bin" "$out/logs" "$out/corpus"

flags=(-std=c++17 -O2 -g -fno-math-errno -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
isaFlags() {
  case "$1" in
    *_avx2.cpp) echo "-mavx2 -mfma -mf16c" ;;
    *_avx512.cpp) echo "-mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mf16c" ;;
  esac
}

# native/core, instrumented for coverage; rebuilt when any core file is newer than the archive
lib=$out/libcore.a
if [ ! -f "$lib" ] || [ -n "$(find native/core -newer "$lib" -print -quit)" ]; then
  echo "== building native/core with $CXX (ASan + UBSan + fuzzer coverage)"
  rm -f "$out"/obj/*.o
  pids=()
  for src in native/core/*.cpp native/core/shapley/*.cpp; do
    [ "$(basename "$src")" = isa_fallback.cpp ] && continue  # non-x86 builds only
    obj=$out/obj/$(basename "$src" .cpp).o
    # shellcheck disable=SC2046
    nice "$CXX" "${flags[@]}" -fsanitize=fuzzer-no-link $(isaFlags "$src") -c "$src" -o "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
  ar rcs "$lib" "$out"/obj/*.o
fi

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in test/fuzz/harness/*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi

for h in "${harnesses[@]}"; do
  src=test/fuzz/harness/$h.cpp
  bin=$out/bin/$h
  if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ] || [ "$lib" -nt "$bin" ] ||
     [ -n "$(find test/fuzz -name '*.h' -newer "$bin" -print -quit)" ]; then
    echo "== building $h"
    nice "$CXX" "${flags[@]}" -fsanitize=fuzzer "$src" "$lib" -lpthread -o "$bin"
  fi
done
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

status=0
for h in "${harnesses[@]}"; do
  corpus=$out/corpus/$h
  mkdir -p "$corpus"
  seeds=()
  [ -d "test/fuzz/corpus/$h" ] && seeds=("test/fuzz/corpus/$h")
  runs=()
  [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
  tag=$h
  [ "${FUZZ_RACE:-0}" = 1 ] && tag=$h-race
  log=$out/logs/$tag.log
  if ! nice -n 10 "$out/bin/$h" "$corpus" "${seeds[@]}" -max_total_time="$seconds" "${runs[@]}" -max_len=2048 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crash-$tag-" >"$log" 2>&1; then
    echo "$tag: CRASH or sanitizer report, see $log"
    grep -m5 -E 'ERROR|runtime error|fuzz check failed|SUMMARY' "$log" || true
    status=1
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  echo "$tag: ${execs:-?} executions in ${time:-?} s ($(( ${execs:-0} / (${time:-1} > 0 ? ${time:-1} : 1) )) exec/s), 0 crashes"
done
exit $status
