#!/usr/bin/env bash
# valgrind --leak-check=full over 10k calls of every native/core entry point the binding uses: each
# fuzz harness (test/fuzz/harness/) driven by test/fuzz/replay.cpp on pseudo-random inputs, built
# without sanitizers. Fails on any definite or indirect leak, or any valgrind error.
#   test/leaks.sh [calls] [harness...]     default: 10000 calls, every harness
# (LeakSanitizer also runs inside every libFuzzer run of test/fuzz/run.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-10000}
shift || true
CXX=${FUZZ_CXX:-clang++-14}
out=build-leaks
mkdir -p "$out/obj" "$out/bin"
flags=(-std=c++17 -O1 -g -gdwarf-4 -fno-math-errno)  # valgrind 3.19 does not read DWARF 5
lib=$out/libcore.a
if [ ! -f "$lib" ] || [ -n "$(find native/core -newer "$lib" -print -quit)" ]; then
  echo "== building native/core with $CXX -O1 -g"
  rm -f "$out"/obj/*.o
  for src in native/core/*.cpp native/core/shapley/*.cpp; do
    [ "$(basename "$src")" = isa_fallback.cpp ] && continue
    case "$src" in
      *_avx2.cpp) isa=(-mavx2 -mfma -mf16c) ;;
      *_avx512.cpp) isa=(-mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mf16c) ;;
      *) isa=() ;;
    esac
    nice "$CXX" "${flags[@]}" "${isa[@]}" -c "$src" -o "$out/obj/$(basename "$src" .cpp).o"
  done
  ar rcs "$lib" "$out"/obj/*.o
fi
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in test/fuzz/harness/*.cpp; do harnesses+=("$(basename "$f" .cpp)"); done
fi
status=0
for h in "${harnesses[@]}"; do
  bin=$out/bin/$h
  nice "$CXX" "${flags[@]}" test/fuzz/harness/$h.cpp test/fuzz/replay.cpp "$lib" -lpthread -o "$bin"
  log=$out/$h.valgrind.log
  if nice valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
      --error-exitcode=1 "$bin" "$calls" >"$log" 2>&1; then
    echo "$h: $(grep -o '[0-9]* calls' "$log"), $(grep -m1 'ERROR SUMMARY' "$log" | sed 's/==[0-9]*== //'), $(grep -m1 'total heap usage' "$log" | sed 's/==[0-9]*== *//')"
  else
    echo "$h: valgrind reported errors or leaks, see $log"
    grep -E 'definitely lost|indirectly lost|Invalid|uninitialised|ERROR SUMMARY' "$log" | head -5
    status=1
  fi
done
exit $status
