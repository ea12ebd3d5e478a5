#!/usr/bin/env bash
# The whole device check in one call (bench/gpu/README.md has the exact `run` invocation): on a lent
# GPU machine (nvcc, cmake, python3 with PyTorch; no Node), in the repository root,
#   1. card.txt       card, driver, toolkit
#   2. build.txt      cmake build of native/ and the harness for sm_90 (with every kernel's registers)
#   3. cpu_tests.txt  the C++ core tests and the CUDA paths' host-side checks (no GPU needed)
#   4. anchors.txt    PyTorch's anchors on the same card (+ anchors.json), from torch_anchors.py
#   5. gpu_bench.txt  infogain_gpu_bench: every CUDA entry point checked, then timed, targets with verdicts
#   6. summary.md     bench/gpu/summarize.py: targets, checks, infogain next to PyTorch
# into $OUT (bench/out when unset). Every step is bounded by `timeout` and the whole run by BUDGET_S
# (default 450 s): the anchors run before the harness, and the harness gets what time is left, so a
# hang in new code cannot eat the anchors or the summary. Output is line-buffered throughout.
#
#   bash bench/gpu/run.sh [--skip-anchors] [harness options: --quick --skip-checks --skip-timings]
#
# torch_anchors.py is reference material kept outside the repository: copy it to
# bench/gpu/torch_anchors.py (git-ignored) and name that path in the call's carry list. Else the
# script looks in ../shared/device/ and shared/device/.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/out}
BUDGET_S=${BUDGET_S:-450}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
anchors=1
harness_args=()
for a in "$@"; do
  if [ "$a" = --skip-anchors ]; then anchors=0; else harness_args+=("$a"); fi
done
step() { printf '\n### %s (t = %d s)\n' "$1" "$SECONDS"; }
# a step's timeout: at most $1 s, and what the budget leaves after keeping $2 s for later steps (>= 30)
bound() {
  local t=$((BUDGET_S - SECONDS - $2))
  [ "$t" -gt "$1" ] && t=$1
  [ "$t" -lt 30 ] && t=30
  echo "$t"
}

step "card"
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm,temperature.gpu --format=csv
  nvcc --version | tail -2
  cmake --version | head -1
  echo "cpus: $(nproc)"
} 2>&1 | tee "$OUT/card.txt"

step "build"
# the resource report (registers, spills) of every kernel goes to build.txt
if ! timeout 300 bash -c 'cmake -S . -B build-gpu -DINFOGAIN_HARNESS=ON -DINFOGAIN_VERBOSE=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 &&
       cmake --build build-gpu -j "$(nproc)" --target infogain_gpu_bench infogain_cuda_host_checks infogain_core_test' \
     > "$OUT/build.txt" 2>&1; then
  tail -40 "$OUT/build.txt"
  echo "build failed (or over 300 s): see $OUT/build.txt"
  exit 1
fi
# registers per kernel (issue 21 item 12: the semivalue kernel's occupancy), most first
awk '/Compiling entry function/ { name = $0; sub(/.*function .?/, "", name); sub(/.? for .*/, "", name) }
     /Used [0-9]+ registers/ { for (i = 1; i <= NF; i++) if ($i == "Used") print $(i + 1), name }' "$OUT/build.txt" |
  (command -v c++filt > /dev/null && c++filt || cat) | sort -rn | awk '!seen[$0]++' | head -8 |
  sed 's/^/  registers: /'

step "CPU-side tests"
{
  timeout 120 ./build-gpu/test/native/infogain_core_test 2>&1 | tail -3
  timeout 60 ./build-gpu/bench/gpu/infogain_cuda_host_checks
} 2>&1 | tee "$OUT/cpu_tests.txt"

if [ "$anchors" = 1 ]; then
  step "PyTorch anchors"
  script=""
  for f in bench/gpu/torch_anchors.py ../shared/device/torch_anchors.py shared/device/torch_anchors.py; do
    [ -f "$f" ] && { script=$f; break; }
  done
  if [ -n "$script" ]; then
    OUT="$OUT" timeout "$(bound 240 150)" python3 "$script" 2>&1 | tee "$OUT/anchors.txt"
  else
    echo "torch_anchors.py not found: copy ../shared/device/torch_anchors.py to bench/gpu/ and carry it" | tee "$OUT/anchors.txt"
  fi
fi

step "GPU harness"
budget=$(bound 100000 20)
echo "(timeout ${budget} s)"
timeout "$budget" ./build-gpu/bench/gpu/infogain_gpu_bench "${harness_args[@]}" 2>&1 | tee "$OUT/gpu_bench.txt"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "TIMEOUT: the harness ran past ${budget} s; the last '==' line above is the phase it was in" |
  tee -a "$OUT/gpu_bench.txt"

step "summary"
timeout 30 python3 bench/gpu/summarize.py "$OUT" 2>&1 | tee "$OUT/summary.md"
echo "harness exit status: $status"
exit "$status"
