// Runs a fuzz harness without libFuzzer: `calls` calls on pseudo-random inputs (fixed seed, 1 to
// 600 bytes; the harnesses turn most of them into valid calls and the rest into each kind of bad
// input). test/leaks.sh runs it under valgrind --leak-check=full.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::atol(argv[1]) : 10000;
  LLVMFuzzerInitialize(&argc, &argv);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  auto next = [&] {  // xorshift64*
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    return x * 0x2545f4914f6cdd1dull;
  };
  std::vector<uint8_t> input;
  for (long k = 0; k < calls; k++) {
    input.resize(1 + next() % 600);
    for (auto& b : input) b = uint8_t(next() >> 56);
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("%ld calls\n", calls);
  return 0;
}
