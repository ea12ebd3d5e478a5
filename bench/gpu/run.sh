#!/usr/bin/env bash
# The device check (issue 8), run on a lent GPU machine (nvcc, cmake, python3 with PyTorch; no
# Node): builds native/ with cmake, runs the C++ harness (every CUDA kernel checked against the CPU
# on random inputs, then timed device- and host-resident next to the copy and H2D bandwidth of the
# same run), then PyTorch's anchors on the same card. Everything lands in $OUT.
#
#   here, before the call:  cp ../shared/device/torch_anchors.py bench/gpu/   (git-ignored)
#   device call:            bash bench/gpu/run.sh            (--quick: smaller shapes)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  nvcc --version | tail -2
} 2>&1 | tee "$OUT/card.txt"

# the resource report (registers, spills) of every kernel goes to build.txt
if ! { cmake -S . -B build-gpu -DINFOGAIN_HARNESS=ON -DINFOGAIN_VERBOSE=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 &&
       cmake --build build-gpu -j "$(nproc)" --target infogain_gpu_bench infogain_core_test; } > "$OUT/build.txt" 2>&1; then
  tail -30 "$OUT/build.txt"
  echo "build failed"
  exit 1
fi
./build-gpu/test/native/infogain_core_test | tail -1 | tee "$OUT/core_test.txt"
./build-gpu/bench/gpu/infogain_gpu_bench "$@" 2>&1 | tee "$OUT/gpu_bench.txt"
status=${PIPESTATUS[0]}

anchors=bench/gpu/torch_anchors.py
[ -f "$anchors" ] || anchors=../shared/device/torch_anchors.py
if [ -f "$anchors" ]; then
  OUT="$OUT" timeout 300 python3 "$anchors" 2>&1 | tee "$OUT/anchors.txt"
else
  echo "torch_anchors.py not found: copy it to bench/gpu/ first" | tee "$OUT/anchors.txt"
fi
exit "$status"
