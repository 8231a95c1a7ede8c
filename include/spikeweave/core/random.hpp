// Counter-based random numbers: every draw is a pure function of (seed, stream, index, step, draw).
//
// No generator carries state from one call to the next, so the numbers a
// neuron sees do not depend on which thread or rank updates it, nor on what
// was drawn before; a checkpoint needs only the step counter. The generator is
// Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as
// 1, 2, 3"), keyed by the 64-bit seed.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace spikeweave::random {

/// Four 32-bit words of Philox4x32-10 output.
using block = std::array<std::uint32_t, 4>;

/// Philox4x32 with 10 rounds: a bijection of `counter`, keyed by `key`.
constexpr block philox4x32_10(block counter, std::uint64_t key) {
  auto k0 = static_cast<std::uint32_t>(key);
  auto k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * counter[0];
    const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * counter[2];
    counter = {static_cast<std::uint32_t>(p1 >> 32) ^ counter[1] ^ k0,
               static_cast<std::uint32_t>(p1),
               static_cast<std::uint32_t>(p0 >> 32) ^ counter[3] ^ k1,
               static_cast<std::uint32_t>(p0)};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return counter;
}

/// Where a draw comes from. `stream` separates users of the generator (a
/// population's update, its initial values, an input, ...); `index` is the
/// global index of the neuron or synapse; `draw` numbers the draws one
/// element makes within one step.
struct key {
  std::uint64_t seed = 0;
  std::uint32_t stream = 0;
};

/// The raw block for one draw. Steps are limited to 2^48, draws per element and step to 2^16.
constexpr block bits(key k, std::uint64_t index, std::uint64_t step, std::uint32_t draw) {
  return philox4x32_10({static_cast<std::uint32_t>(index),
                        k.stream ^ (static_cast<std::uint32_t>(index >> 32) << 20),
                        static_cast<std::uint32_t>(step),
                        static_cast<std::uint32_t>(step >> 32 << 16) | (draw & 0xFFFFu)},
                       k.seed);
}

/// Uniform in [0, 1) from the first 64 bits of a block, with the precision of R.
template <class R = double>
constexpr R uniform01(const block& b, int half = 0) {
  const std::uint64_t w = (std::uint64_t{b[2 * half]} << 32) | b[2 * half + 1];
  if constexpr (sizeof(R) == 4)
    return static_cast<R>(w >> 40) * 0x1.0p-24f;
  else
    return static_cast<R>(w >> 11) * 0x1.0p-53;
}

/// Standard normal from one block (Box-Muller on its two 64-bit halves).
template <class R = double>
R normal01(const block& b) {
  const double u1 = 1.0 - uniform01<double>(b, 0);  // in (0, 1]: log stays finite
  const double u2 = uniform01<double>(b, 1);
  return static_cast<R>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

/// Binomial(n, p) samples, one per block. Exact inversion while n p <= 5 or
/// n (1 - p) <= 5; otherwise the normal approximation, rounded and clipped to
/// [0, n] (the rule Brian2 uses for its binomial function). The constants are
/// computed once, so a sample costs one Philox call and, mostly, one compare.
class binomial {
 public:
  binomial(std::uint64_t n, double p) : n_(n), p_(p) {
    const double nd = static_cast<double>(n);
    normal_ = nd * p > 5.0 && nd * (1.0 - p) > 5.0;
    mean_ = nd * p;
    sd_ = std::sqrt(nd * p * (1.0 - p));
    odds_ = p / (1.0 - p);
    p0_ = std::pow(1.0 - p, nd);
  }

  /// True when a sample needs a whole block (the normal approximation);
  /// otherwise one uniform number is enough (inversion).
  [[nodiscard]] bool needs_block() const { return normal_ && n_ != 0 && p_ > 0.0 && p_ < 1.0; }

  std::uint64_t operator()(const block& b) const {
    if (needs_block()) {
      const double x = std::round(mean_ + sd_ * normal01<double>(b));
      return x < 0 ? 0 : (x > static_cast<double>(n_) ? n_ : static_cast<std::uint64_t>(x));
    }
    return invert(uniform01<double>(b));
  }

  /// The sample for uniform number u by inversion (when !needs_block()).
  [[nodiscard]] std::uint64_t invert(double u) const {
    if (n_ == 0 || p_ <= 0.0) return 0;
    if (p_ >= 1.0) return n_;
    double f = p0_;
    double cumulative = f;
    std::uint64_t k = 0;
    while (u >= cumulative && k < n_) {
      f *= odds_ * static_cast<double>(n_ - k) / static_cast<double>(k + 1);
      ++k;
      cumulative += f;
    }
    return k;
  }

 private:
  std::uint64_t n_;
  double p_, mean_ = 0, sd_ = 0, odds_ = 0, p0_ = 1;
  bool normal_ = false;
};

}  // namespace spikeweave::random
