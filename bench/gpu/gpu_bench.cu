// The GPU harness: checks every CUDA entry point against float64 references (the CPU against the
// same, in the same case), then times the kernels device- and host-resident next to the copy and
// host-to-device bandwidth of the same run, and prints the issue's targets with verdicts.
// Output is line-buffered and every phase is marked, so a crash or a hang loses nothing printed.
//
//   infogain_gpu_bench [--quick] [--skip-checks] [--skip-timings]      (bench/gpu/run.sh runs it)
//
// Without a usable device it runs the CPU side of every check (the references and tolerances
// themselves) and exits 3, or 1 when the CPU is over a tolerance or the harness finds a defect of its own. With one it exits 1 on any CUDA
// failure; the CPU over a tolerance is reported but does not fail a device run (it is the CPU's).
#include <cstdio>
#include <cstring>

#include "../../native/cuda/cuda.h"
#include "harness.cuh"
#include "sections.h"

using namespace infogain;
using namespace harness;

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = false, checks = true, timings = true;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[i], "--skip-checks") == 0) checks = false;
    else if (std::strcmp(argv[i], "--skip-timings") == 0) timings = false;
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--skip-checks] [--skip-timings]\n", argv[0]);
      return 64;
    }
  }
  const bool device = cuda::available();
  phase("device");
  if (device) {
    const cuda::DeviceInfo d = cuda::deviceInfo();
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    std::printf("device %d: %s, %d SMs, %.1f GiB, sm_%d; driver API %d, runtime %d\n", d.device, d.name.c_str(),
                d.multiprocessors, d.memoryBytes / double(1 << 30), d.computeCapability, driver, runtime);
  } else {
    std::printf("no usable CUDA device: checking the CPU side of each case only\n");
  }

  if (checks) {
    phase("check tokenLogprobs");
    checkTokenLogprobs(device);
    phase("check klDivergence");
    checkKL(device);
    phase("check shapleyExact");
    checkShapley(device);
    phase("check linearLogprobs and linearKL");
    checkLinearHead(device);
    if (device) {
      phase("check error statuses and zero rows");
      checkErrors();
      phase("check injected faults");
      checkFaults();
      phase("check the caller's CUDA context");
      checkContext();
    }
  }
  if (device && timings) {
    cudaStream_t s;
    CK(cudaStreamCreate(&s));
    phase("bandwidth");
    const Bandwidth bw = measureBandwidth(s);
    phase("timings");
    runTimings(s, bw, quick);
    phase("timings of the fused head");
    timeLinearHead(s, quick);
  }

  phase("summary");
  printTable();
  std::printf("\n");
  for (const std::string& t : report().targets) std::printf("%s\n", t.c_str());
  const Report& r = report();
  if (r.cpuFailures)
    std::printf("\n%d CPU results over tolerance (lines marked CPU OVER TOLERANCE): the CPU kernel, the reference or the tolerance is off\n",
                r.cpuFailures);
  if (!device) {
    std::printf("\nno device: %s on the CPU side\n", r.failures || r.cpuFailures ? "FAILED" : "ok");
    return r.failures || r.cpuFailures ? 1 : 3;
  }
  std::printf("\n%s: %d CUDA failures\n", r.failures ? "FAILED" : "ok", r.failures);
  return r.failures ? 1 : 0;
}
