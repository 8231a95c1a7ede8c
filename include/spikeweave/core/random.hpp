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
#include <optional>
#include <vector>

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
  [[nodiscard]] std::uint64_t invert(double u) const { return invert_up_to(u, n_); }

  /// The sample by inversion for the 32-bit word x, through u = (x + 1/2) 2^-32.
  [[nodiscard]] std::uint64_t invert_word(std::uint32_t x) const { return invert(word_uniform(x)); }

  /// The uniform number in (0, 1) a 32-bit word stands for: (x + 1/2) 2^-32, exact.
  static constexpr double word_uniform(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * 0x1.0p-32; }

  /// invert_word(x) as a step function of x: thresholds t_0 <= t_1 <= ...
  /// such that invert_word(x) = #{j : t_j <= x} for every 32-bit x, so a
  /// sample is a count of compares. Empty (nullopt) in the normal regime or
  /// when there are more than `limit` of them (some word gives a sample
  /// above `limit`). Each threshold is checked against invert_word itself
  /// (and found by bisection where the cumulative sum does not give it), so
  /// the counts equal the inversion loop's bit for bit.
  [[nodiscard]] std::optional<std::vector<std::uint32_t>> word_thresholds(std::uint64_t limit) const {
    if (needs_block()) return std::nullopt;
    const std::uint64_t cap = limit + 1;  // a count above limit needs no more iterations than this
    const auto count = [&](std::uint64_t x) { return invert_up_to(word_uniform(static_cast<std::uint32_t>(x)), cap); };
    constexpr std::uint64_t top = 0xFFFFFFFFu;
    const std::uint64_t m = count(top);
    if (m > limit) return std::nullopt;
    std::vector<std::uint32_t> t(m);
    double f = p0_, cumulative = f;
    std::uint64_t below = 0;  // t_j >= t_(j-1)
    for (std::uint64_t j = 0; j < m; ++j) {
      if (j > 0) {
        f *= odds_ * static_cast<double>(n_ - (j - 1)) / static_cast<double>(j);
        cumulative += f;
      }
      // The smallest x with (x + 1/2) 2^-32 >= cumulative, if the sum is what
      // the loop computes; checked, and searched for where it is not.
      const double guess = std::ceil(cumulative * 0x1.0p32 - 0.5);
      std::uint64_t x = guess >= 0 ? (guess <= static_cast<double>(top) ? static_cast<std::uint64_t>(guess) : top) : 0;
      if (x < below) x = below;
      if (!(count(x) > j && (x == below || count(x - 1) <= j))) {
        std::uint64_t lo = below, hi = top;  // count(hi) > j
        while (lo < hi) {
          const std::uint64_t mid = lo + (hi - lo) / 2;
          if (count(mid) > j)
            hi = mid;
          else
            lo = mid + 1;
        }
        x = lo;
      }
      t[j] = static_cast<std::uint32_t>(x);
      below = x;
    }
    return t;
  }

 private:
  // Inversion, stopped at min(n, cap) (the loop past cap is not needed when
  // only whether the count exceeds cap - 1 matters).
  [[nodiscard]] std::uint64_t invert_up_to(double u, std::uint64_t cap) const {
    if (n_ == 0 || p_ <= 0.0) return 0;
    if (p_ >= 1.0) return n_ < cap ? n_ : cap;
    const std::uint64_t last = n_ < cap ? n_ : cap;
    double f = p0_;
    double cumulative = f;
    std::uint64_t k = 0;
    while (u >= cumulative && k < last) {
      f *= odds_ * static_cast<double>(n_ - k) / static_cast<double>(k + 1);
      ++k;
      cumulative += f;
    }
    return k;
  }

  std::uint64_t n_;
  double p_, mean_ = 0, sd_ = 0, odds_ = 0, p0_ = 1;
  bool normal_ = false;
};

}  // namespace spikeweave::random
