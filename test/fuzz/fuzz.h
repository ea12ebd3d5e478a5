// What every libFuzzer harness of native/core shares: turning fuzz bytes into the arguments the
// binding (native/node) would hand a kernel, buffers sized exactly so AddressSanitizer sees any
// read or write past them, and the checks every call must pass whatever the input:
//   - a failing Status is well formed (kind, code, message; TypeError only with ERR_INVALID_ARG_TYPE),
//   - inputs are never written,
//   - on success every output element was written (outputs start poisoned, as the binding's do).
// A broken check calls __builtin_trap(), which libFuzzer reports as a crash with the input saved.
#pragma once
#include <fuzzer/FuzzedDataProvider.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "../../native/core/cpu.h"
#include "../../native/core/dtype.h"
#include "../../native/core/status.h"

namespace fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  __builtin_trap();
}
#define FUZZ_CHECK(cond)              \
  do {                                \
    if (!(cond)) ::fuzz::fail(#cond); \
  } while (0)

// A NaN payload no kernel computes: an output element still holding it was never written.
// Fuzzed floats never take this bit pattern, so no kernel can copy it from an input; it is a
// signalling NaN, and arithmetic only ever yields quiet ones. Float64 outputs use 0x7ff4a5a5a5a5a5a5.
constexpr uint32_t kPoisonBits = 0x7fa5a5a5u;
constexpr uint8_t kPoisonByte = 0xa5;  // masks hold 0 or 1

// Exactly n elements on the heap (malloc, so ASan's redzones sit right after the last one), as a
// typed array's memory is. An empty buffer still has a valid, unreadable address.
template <class T>
class Buffer {
 public:
  explicit Buffer(size_t n = 0) : n_(n), p_(static_cast<T*>(std::malloc(n * sizeof(T) + (n == 0)))) {}
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : n_(o.n_), p_(o.p_) { o.p_ = nullptr, o.n_ = 0; }
  ~Buffer() { std::free(p_); }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  size_t n_;
  T* p_;
};

// An input buffer and a copy of its bytes: unchanged() says the kernel did not write it.
template <class T>
class Input {
 public:
  explicit Input(size_t n) : buf_(n) {}
  T* data() { return buf_.data(); }
  size_t size() const { return buf_.size(); }
  T& operator[](size_t i) { return buf_[i]; }
  void seal() { copy_.assign(reinterpret_cast<const char*>(buf_.data()), reinterpret_cast<const char*>(buf_.data()) + buf_.size() * sizeof(T)); }
  bool unchanged() const { return buf_.size() == 0 || std::memcmp(copy_.data(), buf_.data(), copy_.size()) == 0; }

 private:
  Buffer<T> buf_;
  std::vector<char> copy_;
};

// An output buffer filled with the poison; written() says every element was overwritten.
template <class T>
class Out {
 public:
  explicit Out(size_t n) : buf_(n) {
    for (size_t i = 0; i < n; i++) buf_[i] = poison();
  }
  T* data() { return buf_.data(); }
  size_t size() const { return buf_.size(); }
  T operator[](size_t i) const { return buf_[i]; }
  bool written() const {
    for (size_t i = 0; i < buf_.size(); i++)
      if (std::memcmp(&buf_[i], &kPoison, sizeof(T)) == 0) return false;
    return true;
  }
  bool noNaN() const {
    for (size_t i = 0; i < buf_.size(); i++)
      if (buf_[i] != buf_[i]) return false;
    return true;
  }

 private:
  static T poison() {
    T v;
    std::memcpy(&v, &kPoison, sizeof(T));
    return v;
  }
  static constexpr uint64_t kPoison = sizeof(T) == 4 ? kPoisonBits : 0x7ff4a5a5a5a5a5a5ull;
  Buffer<T> buf_;
};
using FloatOut = Out<float>;
using DoubleOut = Out<double>;

class MaskOut {
 public:
  explicit MaskOut(size_t n) : buf_(n) { std::memset(buf_.data(), kPoisonByte, n); }
  uint8_t* data() { return buf_.data(); }
  bool written() const {
    for (size_t i = 0; i < buf_.size(); i++)
      if (buf_[i] > 1) return false;
    return true;
  }

 private:
  Buffer<uint8_t> buf_;
};

// True when every row of a logits matrix is one the kernels must accept at temperature T: each
// element finite and |x| <= 1e4 or -inf, at least one finite, T in [1e-2, 1e2].
inline bool plainLogits(const uint8_t* data, int64_t rows, int64_t vocab, infogain::DType t, float T) {
  if (!(T >= 1e-2f && T <= 1e2f)) return false;
  for (int64_t r = 0; r < rows; r++) {
    bool finite = false;
    for (int64_t j = 0; j < vocab; j++) {
      const float x = infogain::loadAsFloat(data, t, r * vocab + j);
      if (x == -__builtin_inff()) continue;
      if (!(x >= -1e4f && x <= 1e4f)) return false;
      finite = true;
    }
    if (!finite) return false;
  }
  return true;
}

inline void checkStatus(const infogain::Status& st) {
  using infogain::ErrorKind;
  if (st.ok()) return;
  FUZZ_CHECK(st.kind == ErrorKind::Type || st.kind == ErrorKind::Range || st.kind == ErrorKind::Runtime);
  FUZZ_CHECK(!st.code.empty());
  FUZZ_CHECK(!st.message.empty());
  if (st.kind == ErrorKind::Type) FUZZ_CHECK(st.code == infogain::codes::kType);
  FUZZ_CHECK(st.index >= -1);
}

// Fuzz bytes -> arguments. Sizes stay small (the harness runs tens of thousands of times a second);
// values are drawn from the edges (0, -0, +-inf, NaN, huge, subnormal) as often as from the middle.
class Source {
 public:
  Source(const uint8_t* data, size_t size) : in_(data, size) {}

  bool flag() { return in_.ConsumeBool(); }
  uint8_t byte() { return in_.ConsumeIntegral<uint8_t>(); }
  template <class T>
  T range(T lo, T hi) { return in_.ConsumeIntegralInRange<T>(lo, hi); }
  int32_t anyInt32() { return in_.ConsumeIntegral<int32_t>(); }
  bool empty() { return in_.remaining_bytes() == 0; }

  // A count in [0, max], small most of the time.
  int64_t count(int64_t max) {
    const uint8_t b = byte();
    return b < 224 ? int64_t(b % (max < 8 ? max + 1 : 9)) : int64_t(b - 224) * max / 31;
  }

  // A float from the edges or the middle, never the poison.
  float value() {
    static const float kEdges[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, -2.0f, 1e4f, -1e4f, 1e30f, -1e30f,
                                   3.4028235e38f, -3.4028235e38f, 1e-45f, 1.17549435e-38f, 88.7f, -103.9f,
                                   __builtin_inff(), -__builtin_inff(), __builtin_nanf("")};
    const uint8_t b = byte();
    if (b < 64) return kEdges[b % (sizeof(kEdges) / sizeof(kEdges[0]))];
    if (b < 192) return float(int(range<int32_t>(-1000, 1000))) / 64.0f;  // ordinary, exactly representable
    uint32_t u = in_.ConsumeIntegral<uint32_t>();
    if (u == kPoisonBits) u = 0x7fc00000u;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  // A finite float in [-8, 8] most of the time, an edge value otherwise (valid-input bias).
  float mostlyFinite() { return byte() < 230 ? float(int(range<int32_t>(-512, 512))) / 64.0f : value(); }
  // A log-probability: <= 0 most of the time.
  float logprob() { return byte() < 230 ? -float(int(range<int32_t>(0, 1024))) / 64.0f : value(); }
  double number() {
    static const double kEdges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-6, 1e-8, 2.0, 1e300, -1e300, 1e-320,
                                    __builtin_inf(), -__builtin_inf(), __builtin_nan("")};
    const uint8_t b = byte();
    if (b < 96) return kEdges[b % (sizeof(kEdges) / sizeof(kEdges[0]))];
    if (b < 224) return double(range<int32_t>(-1000, 1000)) / 64.0;
    return in_.ConsumeFloatingPoint<double>();
  }
  // An option: its default most of the time, any double otherwise.
  double option(double fallback) { return byte() < 200 ? fallback : number(); }
  // An index into [0, length), off by one on either side, or any int32.
  int32_t index(int64_t length) {
    const uint8_t b = byte();
    if (b < 200 && length > 0) return int32_t(range<int64_t>(0, length - 1));
    if (b < 215) return -1;
    if (b < 230) return int32_t(length);
    if (b < 240) return int32_t(length + 1);
    return anyInt32();
  }

  // A logits matrix's elements of dtype t, as the bytes a Float32Array or Uint16Array holds:
  // finite most of the time, any bit pattern otherwise (NaN, +-inf, subnormals).
  void logits(Input<uint8_t>& out, infogain::DType t) {
    const size_t n = out.size() / size_t(infogain::dtypeSize(t));
    for (size_t i = 0; i < n; i++) {
      if (t == infogain::DType::Float32) {
        const float f = byte() < 8 ? -__builtin_inff() : mostlyFinite();
        std::memcpy(out.data() + 4 * i, &f, 4);
        continue;
      }
      uint16_t h;
      if (byte() < 230) {
        if (t == infogain::DType::BFloat16) {
          const float f = mostlyFinite();
          uint32_t u;
          std::memcpy(&u, &f, 4);
          h = uint16_t(u >> 16);
        } else {
          h = uint16_t(range<uint16_t>(0, 0x4bff) | (flag() ? 0x8000 : 0));  // |x| < 16 in binary16
        }
      } else {
        h = in_.ConsumeIntegral<uint16_t>();
      }
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
  }

  template <class T, class Gen>
  void fill(Input<T>& buf, Gen gen) {
    for (size_t i = 0; i < buf.size(); i++) buf[i] = T(gen());
  }

  // count + 1 offsets cutting `items` items into groups: valid most of the time, else perturbed.
  void offsets(Input<int32_t>& out, int64_t count, int64_t items) {
    int64_t left = items;
    out[0] = 0;
    for (int64_t k = 1; k <= count; k++) {
      const int64_t take = k == count ? left : range<int64_t>(0, left);
      out[size_t(k)] = out[size_t(k - 1)] + int32_t(take);
      left -= take;
    }
    if (byte() >= 224) out[size_t(range<int64_t>(0, count))] = index(items + 1);
  }

  // Flat [start, end) pairs over `length` items: disjoint and in order most of the time (empty
  // spans allowed), else perturbed; with `shuffle`, in a random order.
  void spans(Input<int32_t>& out, int64_t count, int64_t length) {
    int64_t at = 0;
    for (int64_t k = 0; k < count; k++) {
      const int64_t s = range<int64_t>(at, length > at ? length : at);
      const int64_t e = range<int64_t>(s, length > s ? length : s);
      out[size_t(2 * k)] = int32_t(s);
      out[size_t(2 * k + 1)] = int32_t(e);
      at = e;
    }
    if (count > 1 && flag())
      for (int64_t k = count - 1; k > 0; k--) {
        const int64_t j = range<int64_t>(0, k);
        std::swap(out[size_t(2 * k)], out[size_t(2 * j)]);
        std::swap(out[size_t(2 * k + 1)], out[size_t(2 * j + 1)]);
      }
    if (count > 0 && byte() >= 224) out[size_t(range<int64_t>(0, 2 * count - 1))] = index(length + 1);
  }

 private:
  FuzzedDataProvider in_;
};

// ---- Race mode: float data that changes while a kernel runs ----
// Another thread may write a SharedArrayBuffer input while a call reads it. The binding copies the
// integer inputs (ids, offsets, spans, targets, masks) when a call is made and checks only the
// copy (native/node/call_inputs.h), so what a kernel can see change under it is float data: that
// may give wrong numbers or an error, never an access out of bounds, undefined behaviour or a hang.
// In race mode (FUZZ_RACE=1 in the environment: every input) a second thread rewrites the
// registered float inputs, element by element, with edge values (NaN, +-inf, +-max, 0, negatives,
// subnormals) and their own values, for as long as the kernel runs; afterwards the inputs get their
// values back. A harness then checks only what still holds: a well-formed Status, no sanitizer
// report, no timeout, inputs unchanged by the kernel.
inline bool raceMode() {
  static const bool on = std::getenv("FUZZ_RACE") && std::getenv("FUZZ_RACE")[0] == '1';
  return on;
}

// The writer thread: one for the process, started by the first race. It polls between races (a
// sleeping thread takes milliseconds to wake on a busy machine, longer than most kernels run).
class RaceWriter {
 public:
  struct Region {
    void* data;
    size_t count;
    int width;  // element bytes: 4 (float32), 8 (float64), 2 (16-bit float bits)
  };

  static RaceWriter& get() {
    static RaceWriter* writer = new RaceWriter();  // never destroyed: its thread runs until exit
    return *writer;
  }

  // Returns once the writes into `regions` are under way.
  void start(const std::vector<Region>* regions) {
    regions_ = regions;
    go_.store(true, std::memory_order_release);
    while (!writing_.load(std::memory_order_acquire)) std::this_thread::yield();
  }

  // Returns once no write is under way (the regions may then be freed).
  void stop() {
    go_.store(false, std::memory_order_release);
    while (writing_.load(std::memory_order_acquire)) std::this_thread::yield();
  }

 private:
  RaceWriter() { std::thread([this] { loop(); }).detach(); }

  void loop() {
    for (;;) {
      while (!go_.load(std::memory_order_acquire)) std::this_thread::yield();
      writing_.store(true, std::memory_order_release);
      for (uint32_t round = 0; go_.load(std::memory_order_acquire); round++)
        for (const Region& r : *regions_) write(r, round);
      writing_.store(false, std::memory_order_release);
    }
  }

  // One element of r per round, spread over the region, every value class in turn.
  static void write(const Region& r, uint32_t round) {
    static const uint32_t k32[] = {0x7fc00000u, 0x7f800000u, 0xff800000u, 0x7f7fffffu, 0xff7fffffu,
                                   0x00000000u, 0xbf800000u, 0x00000001u, 0xf149f2cau, 0x3f800000u};
    static const uint64_t k64[] = {0x7ff8000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
                                   0x7fefffffffffffffull, 0xffefffffffffffffull, 0ull, 0xbff0000000000000ull,
                                   1ull, 0xfe37e43c8800759cull, 0x3ff0000000000000ull};
    static const uint16_t k16[] = {0x7e00, 0x7c00, 0xfc00, 0x7bff, 0xfbff, 0x7fc0, 0x7f80, 0xff80, 0x7f7f, 0x8001};
    if (r.count == 0) return;
    const size_t i = size_t((uint64_t(round) * 2654435761u) % r.count);
    const uint32_t v = (round / 7 + uint32_t(i)) % 10;
    char* at = static_cast<char*>(r.data) + i * size_t(r.width);
    if (r.width == 4) __atomic_store_n(reinterpret_cast<uint32_t*>(at), k32[v], __ATOMIC_RELAXED);
    if (r.width == 8) __atomic_store_n(reinterpret_cast<uint64_t*>(at), k64[v], __ATOMIC_RELAXED);
    if (r.width == 2) __atomic_store_n(reinterpret_cast<uint16_t*>(at), k16[v], __ATOMIC_RELAXED);
  }

  const std::vector<Region>* regions_ = nullptr;
  std::atomic<bool> go_{false}, writing_{false};
};

class Race {
 public:
  explicit Race(bool on = raceMode()) : on_(on) {}
  bool on() const { return on_; }

  template <class T>
  void add(Input<T>& in) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "float32 or float64 data");
    add(in.data(), in.size(), int(sizeof(T)));
  }
  // Logits as their bytes: float32 or 16-bit float elements.
  void addLogits(Input<uint8_t>& in, infogain::DType t) {
    const int width = infogain::dtypeSize(t);
    add(in.data(), in.size() / size_t(width), width);
  }

  // kernel(), with the registered inputs rewritten while it runs in race mode.
  template <class Kernel>
  auto run(const Kernel& kernel) -> decltype(kernel()) {
    if (!on_ || regions_.empty()) return kernel();
    RaceWriter& writer = RaceWriter::get();
    writer.start(&regions_);
    auto result = kernel();
    writer.stop();
    for (size_t k = 0; k < regions_.size(); k++)
      std::memcpy(regions_[k].data, originals_[k].data(), originals_[k].size());
    return result;
  }

 private:
  void add(void* data, size_t count, int width) {
    if (count == 0) return;
    regions_.push_back({data, count, width});
    const char* bytes = static_cast<const char*>(data);
    originals_.emplace_back(bytes, bytes + count * size_t(width));
  }

  bool on_;
  std::vector<RaceWriter::Region> regions_;
  std::vector<std::vector<char>> originals_;
};

// The CPU instruction set of this run: every level the machine has, so each SIMD path is fuzzed.
inline void pickIsa(Source& src) {
  const int top = int(infogain::detectedIsa());
  infogain::setActiveIsa(infogain::Isa(src.range<int>(0, top)));
}

// One thread: the inputs are too small to be split, and runs stay deterministic.
inline int singleThread() {
  infogain::setThreadCount(1);
  return 0;
}

}  // namespace fuzz

#define FUZZ_INIT \
  extern "C" int LLVMFuzzerInitialize(int*, char***) { return ::fuzz::singleThread(); }
