// poisson_input: independent Poisson spike trains added to a variable of every neuron (Brian2's PoissonInput).
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "../error.hpp"
#include "../model/fixed_string.hpp"
#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "detail/philox_simd.hpp"
#include "random.hpp"

namespace spikeweave {

/// Marks the network elements that drive populations from outside.
struct input_tag {};

namespace detail {

// The inversion regime (n p <= 5) in SIMD batches. Per neuron and step the
// sample is invert_word(x) for the 32-bit word x = word (step mod 4) of the
// Philox block random::bits(key, neuron, step / 4, 1), as it always was; here
// the blocks of a group of neurons come from one vectorised Philox call, and
// the sample is a count of the thresholds t_j <= x (binomial::word_thresholds),
// compared in batches, instead of the loop over the cumulative probabilities.
namespace poisson {

using words_batch = xsimd::batch<std::uint64_t>;
/// Neurons per group: one 32-bit word each in a batch of 64-bit lanes.
inline constexpr std::size_t group = 2 * words_batch::size;
static_assert(xsimd::batch<float>::size == group && xsimd::batch<double>::size * 2 == group);
/// At most this many thresholds go into a table; beyond, the inversion loop runs per neuron.
inline constexpr std::size_t max_thresholds = 64;

/// The thresholds of Binomial(n, p), built once per (n, p) by prepare.
struct table {
  std::uint64_t n = 0;
  double p = -1;                // the table is for (n, p); -1: not built
  bool counts = false;          // the thresholds below hold; else the inversion loop per neuron
  std::size_t size = 0;         // thresholds
  std::size_t sure = 0;         // compared always; the rest only when a lane of the batch reaches them
  std::array<double, max_thresholds> as_double{};       // t_j, exact
  std::array<std::int32_t, max_thresholds> flipped{};  // t_j ^ 2^31, for signed 32-bit compares

  void build(const random::binomial& sample, std::uint64_t n_, double p_) {
    n = n_;
    p = p_;
    const auto t = sample.word_thresholds(max_thresholds);
    counts = t.has_value();
    size = counts ? t->size() : 0;
    sure = size;
    for (std::size_t j = 0; j < size; ++j) {
      const std::uint32_t x = (*t)[j];
      as_double[j] = static_cast<double>(x);
      flipped[j] = std::bit_cast<std::int32_t>(x ^ 0x80000000u);
      // Past a count that fewer than 2^-10 of the words reach, a batch
      // compares further only when one of its lanes needs it.
      if (sure == size && x >= 0xFFFFFFFFu - (0xFFFFFFFFu >> 10)) sure = j;
    }
  }
};

/// The Philox words of the current four steps, per group of neurons: a
/// cache, a pure function of (key, neuron, step / 4) computed when a group is
/// first needed in a quad of steps; never saved.
struct words {
  // Group g, word w: `words_batch` at (4 g + w) * words_batch::size. Its
  // 32-bit lanes hold the group's neurons in natural order for float, and
  // neurons (m, m + half) in lanes (2m, 2m + 1) for double, so that the two
  // halves of a word widen into double batches in neuron order.
  std::vector<std::uint64_t, xsimd::aligned_allocator<std::uint64_t>> data;
  std::vector<std::uint64_t> quad;  // per group: the quad its words belong to (~0: none)
  random::key key{};
  std::size_t neurons = 0;
  std::size_t real_size = 0;  // sizeof the population's real type: the lane order

  void reset(random::key k, std::size_t size, std::size_t real) {
    key = k;
    neurons = size;
    real_size = real;
    quad.assign(size / group, ~std::uint64_t{0});
    data.resize(quad.size() * 4 * words_batch::size);
  }
  [[nodiscard]] bool matches(random::key k, std::size_t size, std::size_t real) const {
    return key.seed == k.seed && key.stream == k.stream && neurons == size && real_size == real;
  }
};

// Neuron offsets within a group of the lanes of the two 64-bit-lane halves.
template <class Real>
words_batch offsets(std::size_t half) {
  alignas(64) std::uint64_t o[words_batch::size];
  for (std::size_t m = 0; m < words_batch::size; ++m)
    o[m] = sizeof(Real) == 4 ? 2 * m + half : m + half * words_batch::size;
  return words_batch::load_aligned(o);
}

// Fills the words of groups [g, g + G) for quad q.
template <class Real, std::size_t G>
void fill(words& c, random::key rng, std::uint64_t q, std::size_t g) {
  const words_batch first = offsets<Real>(0), second = offsets<Real>(1);
  std::array<std::array<words_batch, 4>, 2 * G> ctr;
  for (std::size_t k = 0; k < G; ++k) {
    const words_batch base(static_cast<std::uint64_t>((g + k) * group));
    ctr[2 * k] = random::detail::bits_counter(rng, base + first, q, 1);
    ctr[2 * k + 1] = random::detail::bits_counter(rng, base + second, q, 1);
  }
  random::detail::philox4x32_10<2 * G, xsimd::default_arch>(ctr, rng.seed);
  const words_batch low(std::uint64_t{0xFFFFFFFFu});
  for (std::size_t k = 0; k < G; ++k) {
    for (std::size_t w = 0; w < 4; ++w)
      ((ctr[2 * k][w] & low) | (ctr[2 * k + 1][w] << 32))
          .store_aligned(c.data.data() + (4 * (g + k) + w) * words_batch::size);
    c.quad[g + k] = q;
  }
}

using bits = xsimd::batch<std::int32_t>;
using bits_mask = xsimd::batch_bool<std::int32_t>;
// AVX-512 keeps masks in mask registers (a masked add or xor is one
// instruction); elsewhere a mask is a vector of all-ones lanes (-1).
#if XSIMD_WITH_AVX512F
inline constexpr bool mask_registers = std::is_base_of_v<xsimd::avx512f, xsimd::default_arch>;
#else
inline constexpr bool mask_registers = false;
#endif

// acc - 1 in the lanes of m.
inline bits minus_where(const bits& acc, const bits_mask& m) {
  if constexpr (mask_registers)
    return xsimd::select(m, acc - bits(1), acc);
  else
    return acc + xsimd::bitwise_cast(m);
}
// v ^ d in the lanes of m.
inline bits xor_where(const bits& v, const bits_mask& m, const bits& d) {
  if constexpr (mask_registers)
    return xsimd::select(m, v ^ d, v);
  else
    return v ^ (xsimd::bitwise_cast(m) & d);
}

// The words of a group, as signed 32-bit lanes that compare like the words.
inline bits flipped(const words_batch& P) {
  return xsimd::bitwise_cast<bits>(P) ^ bits(std::bit_cast<std::int32_t>(0x80000000u));
}

// Adds the samples of one group, its words in P, to col[0 .. group): per
// lane k = #{j : t_j <= x}, and where k > 0, value(k) = (real)(k weight).
inline void add_counts(double* col, const words_batch& P, const table& t, double weight) {
  using real = xsimd::batch<double>;
  const bits x = flipped(P);
  // acc = -#{j < compared : x < t_j}, so k = compared + acc.
  bits acc(0);
  std::size_t compared = t.sure;
  for (std::size_t j = 0; j < t.sure; ++j) acc = minus_where(acc, x < bits(t.flipped[j]));
  if (t.sure < t.size && !xsimd::all(x < bits(t.flipped[t.sure]))) {
    for (std::size_t j = t.sure; j < t.size; ++j) acc = minus_where(acc, x < bits(t.flipped[j]));
    compared = t.size;
  }
  // The two halves of k widened to doubles (exactly: 2^52 + k - 2^52), in neuron order.
  const words_batch k = xsimd::bitwise_cast<words_batch>(acc + bits(static_cast<std::int32_t>(compared)));
  const words_batch magic(std::uint64_t{0x4330000000000000});
  const real two52(0x1.0p52);
  const real ka = xsimd::bitwise_cast<real>((k & words_batch(std::uint64_t{0xFFFFFFFFu})) | magic) - two52;
  const real kb = xsimd::bitwise_cast<real>((k >> 32) | magic) - two52;
  // Only where a spike came, as the scalar code adds only then (x + 0 is not x for x = -0).
  const real ca = real::load_aligned(col), cb = real::load_aligned(col + real::size);
  xsimd::select(ka > real(0.0), ca + ka * real(weight), ca).store_aligned(col);
  xsimd::select(kb > real(0.0), cb + kb * real(weight), cb).store_aligned(col + real::size);
}

// The per-spike values of one deliver call, as float bits: value(k) =
// (float)(k weight); delta[j] = value(j + 1) ^ value(j).
struct float_values {
  std::array<std::int32_t, max_thresholds + 1> at{};
  std::array<std::int32_t, max_thresholds> delta{};
  float_values(const table& t, double weight) {
    for (std::size_t k = 0; k <= t.size; ++k)
      at[k] = std::bit_cast<std::int32_t>(static_cast<float>(static_cast<double>(k) * weight));
    for (std::size_t j = 0; j < t.size; ++j) delta[j] = at[j + 1] ^ at[j];
  }
};

inline void add_counts(float* col, const words_batch& P, const table& t, const float_values& value) {
  using real = xsimd::batch<float>;
  // v = value(k) by xors: value(J) ^ delta[j] for every 1 <= j < J with x < t_j.
  const bits x = flipped(P);
  const auto none = x < bits(t.flipped[0]);
  bits v = xor_where(bits(0), none, bits(value.at[1]));
  for (std::size_t j = 1; j < t.sure; ++j) v = xor_where(v, x < bits(t.flipped[j]), bits(value.delta[j]));
  std::size_t compared = t.sure;
  if (t.sure < t.size && !xsimd::all(x < bits(t.flipped[t.sure]))) {
    for (std::size_t j = t.sure > 0 ? t.sure : 1; j < t.size; ++j)
      v = xor_where(v, x < bits(t.flipped[j]), bits(value.delta[j]));
    compared = t.size;
  }
  v = v ^ bits(value.at[compared]);
  const real c = real::load_aligned(col);
  const bits sum = xsimd::bitwise_cast<bits>(c + xsimd::bitwise_cast<real>(v));
  xsimd::bitwise_cast<real>(xsimd::select(none, xsimd::bitwise_cast<bits>(c), sum)).store_aligned(col);
}

// The neuron of lane l (of 2 half lanes) of a group's words.
template <class Real>
std::size_t neuron_of_lane(std::size_t l) {
  return sizeof(Real) == 4 ? l : l / 2 + (l % 2) * words_batch::size;
}

}  // namespace poisson

struct poisson_cache {
  poisson::table table;
  poisson::words words;
};

}  // namespace detail

/// Every neuron of population `Population` receives `n` independent Poisson
/// trains of `rate` Hz; each spike adds `weight` to its variable `Target`.
/// The number of spikes per neuron and step is drawn from Binomial(n, rate dt)
/// with the network's counter-based generator. Delivered after the neurons'
/// update, so it acts from the next step on (Brian2's order).
template <fixed_string Population, fixed_string Target>
struct poisson_input {
  using element_kind = input_tag;
  static constexpr fixed_string population_name = Population;
  static constexpr fixed_string target_name = Target;

  std::size_t n = 1;   ///< number of independent trains per neuron
  double rate = 0;     ///< [Hz] rate of each train
  double weight = 0;   ///< added to the target per spike, in the target's unit

  /// Throws config_error on a negative or non-finite rate or a non-finite weight.
  void validate() const {
    const std::string where = "poisson_input onto '" + std::string(Population.view()) + "." +
                              std::string(Target.view()) + "': ";
    if (!(rate >= 0) || !std::isfinite(rate))
      throw config_error(where + "rate = " + detail::number(rate) + " Hz, must be finite and >= 0");
    if (!std::isfinite(weight)) throw config_error(where + "weight = " + detail::number(weight) + ", must be finite");
  }

  /// True if `Target` is a variable of the model of population type Pop.
  template <class Pop>
  static constexpr bool targets_a_variable_of() {
    return reflect::has_field<typename Pop::columns_type>(Target.view());
  }

  /// Adds this step's input to the target column of `pop`.
  template <class Pop>
  void deliver(Pop& pop, random::key rng, double dt, std::uint64_t step) {
    prepare(pop, rng, dt, step);
    deliver(pop, rng, dt, step, 0, pop.size());
  }

  /// deliver() in parts, for a step split among threads: prepare once, then
  /// deliver for pieces [lo, hi) of the neurons that cover them all, in any
  /// order or at once. Every neuron's draws are its own, so the result does
  /// not depend on the split.
  template <class Pop>
  void prepare(const Pop& pop, random::key rng, double dt, std::uint64_t) {
    if (n == 0 || rate == 0 || weight == 0) return;
    const double p = rate * dt * 1e-3;
    const random::binomial sample(n, p);
    if (sample.needs_block()) return;
    // Inversion needs one uniform number: a block of neuron i serves its
    // steps 4q .. 4q+3 with 32 bits each. The blocks are a cache, a pure
    // function of (seed, neuron, q), refilled (by deliver) per group of
    // neurons when q changes; a new key or population starts it afresh.
    if (cache_.table.n != n || cache_.table.p != p) cache_.table.build(sample, n, p);
    using real = typename Pop::real_type;
    if (!cache_.words.matches(rng, pop.size(), sizeof(real))) cache_.words.reset(rng, pop.size(), sizeof(real));
  }
  template <class Pop>
  void deliver(Pop& pop, random::key rng, double dt, std::uint64_t step, std::size_t lo, std::size_t hi) {
    static_assert(targets_a_variable_of<Pop>(),
                  "spikeweave: poisson_input targets a variable the population's model does not have");
    if constexpr (targets_a_variable_of<Pop>()) {
      if (n == 0 || rate == 0 || weight == 0) return;
      constexpr std::size_t target = reflect::field_index<typename Pop::columns_type>(Target.view());
      auto& col = reflect::get<target>(pop.columns());
      const double p = rate * dt * 1e-3;
      const random::binomial sample(n, p);
      using real = typename Pop::real_type;
      const auto add = [&](std::size_t i, std::uint64_t k) {
        if (k != 0) col[i] += static_cast<real>(static_cast<double>(k) * weight);
      };
      if (sample.needs_block()) {
        for (std::size_t i = lo; i < hi; ++i) add(i, sample(random::bits(rng, i, step, 0)));
        return;
      }
      namespace pd = detail::poisson;
      const std::uint64_t quad = step / 4;
      const std::size_t word = step % 4;
      const auto direct = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) add(i, sample.invert_word(random::bits(rng, i, quad, 1)[word]));
      };
      pd::table& t = cache_.table;
      pd::words& c = cache_.words;
      // Without prepare for this (n, p) and population, and for neurons outside
      // whole groups (the ends of an unaligned piece), no cache.
      const std::size_t g_lo = (lo + pd::group - 1) / pd::group, g_hi = hi / pd::group;
      if (t.n != n || t.p != p || !c.matches(rng, pop.size(), sizeof(real)) || g_lo >= g_hi) {
        direct(lo, hi);
        return;
      }
      if (t.counts && t.size == 0) return;  // no word gives a spike
      direct(lo, g_lo * pd::group);
      // What add_counts needs besides the table: the weight, or for float the values as bits.
      const auto values = [&] {
        if constexpr (sizeof(real) == 4)
          return pd::float_values(t, weight);
        else
          return weight;
      }();
      for (std::size_t g = g_lo; g < g_hi;) {
        std::size_t take = 1;
        if (c.quad[g] != quad) {
          // Two groups at once keep more multiplies in flight.
          if (g + 1 < g_hi && c.quad[g + 1] != quad) {
            pd::fill<real, 2>(c, rng, quad, g);
            take = 2;
          } else {
            pd::fill<real, 1>(c, rng, quad, g);
          }
        }
        for (std::size_t k = g; k < g + take; ++k) {
          const pd::words_batch P = pd::words_batch::load_aligned(c.data.data() + (4 * k + word) * pd::words_batch::size);
          if (t.counts) {
            pd::add_counts(col.data() + k * pd::group, P, t, values);
          } else {
            alignas(64) std::uint64_t x[pd::words_batch::size];
            P.store_aligned(x);
            for (std::size_t l = 0; l < pd::group; ++l)
              add(k * pd::group + pd::neuron_of_lane<real>(l),
                  sample.invert_word(static_cast<std::uint32_t>(x[l / 2] >> (32 * (l % 2)))));
          }
        }
        g += take;
      }
      direct(g_hi * pd::group, hi);
    }
  }

  // Internal (public only so that the struct stays an aggregate): the
  // thresholds of the current (n, p) and the random words of the current 4
  // steps, recomputable, never saved.
  detail::poisson_cache cache_{};
};

}  // namespace spikeweave
