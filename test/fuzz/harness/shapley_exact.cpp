// shapleyExact (native/node/shapley.cpp): a Float64Array of any length (a power of two up to
// 2^10 most of the time), values from the edges (NaN, +-inf, 1e300), either index; in race mode
// (fuzz.h) the values change while the kernel runs.
#include "../../../native/core/shapley/shapley.h"
#include "../fuzz.h"

using namespace infogain;
FUZZ_INIT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Source src(data, size);
  const int64_t length = src.byte() < 230 ? int64_t(1) << src.range<int>(0, 10) : src.count(300);
  fuzz::Input<double> values(length);
  src.fill(values, [&] { return src.byte() < 240 ? double(src.range<int>(-1000, 1000)) / 16.0 : src.number(); });
  values.seal();
  const ShapleyIndex index = ShapleyIndex(src.range<int>(0, 1));
  fuzz::Race race;
  race.add(values);
  int n = -1;
  Status st = checkShapleyExact(length, &n);
  fuzz::checkStatus(st);
  if (st.ok()) {
    FUZZ_CHECK(n >= 0 && n <= kMaxExactPlayers && (int64_t(1) << n) == length);
    fuzz::DoubleOut phi(n);
    st = race.run([&] { return shapleyExact(values.data(), length, index, phi.data()); });
    fuzz::checkStatus(st);
    if (st.ok() && !race.on()) {
      FUZZ_CHECK(phi.written());
      for (int i = 0; i < n; i++) FUZZ_CHECK(std::isfinite(phi[size_t(i)]));
    }
  }
  FUZZ_CHECK(values.unchanged());
  return 0;
}
