// poisson_input: independent Poisson spike trains added to a variable of every neuron (Brian2's PoissonInput).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../model/fixed_string.hpp"
#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "random.hpp"

namespace spikeweave {

/// Marks the network elements that drive populations from outside.
struct input_tag {};

namespace detail {
struct block_cache {
  std::vector<random::block> blocks;
  std::uint64_t quad = ~std::uint64_t{0};
  random::key key{};  // the blocks belong to this key (a copy or a load may change the seed)
  bool refill = false;  // set by prepare: deliver fills the blocks of its neurons first
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
  void prepare(const Pop& pop, random::key rng, double dt, std::uint64_t step) {
    if (n == 0 || rate == 0 || weight == 0) return;
    if (random::binomial(n, rate * dt * 1e-3).needs_block()) return;
    // Inversion needs one uniform number: a block of neuron i serves its
    // steps 4q .. 4q+3 with 32 bits each. The blocks are a cache, a pure
    // function of (seed, neuron, q), refilled (by deliver) when q changes.
    const std::uint64_t quad = step / 4;
    cache_.refill = cache_.quad != quad || cache_.key.seed != rng.seed || cache_.key.stream != rng.stream ||
                    cache_.blocks.size() != pop.size();
    if (cache_.refill) {
      cache_.blocks.resize(pop.size());
      cache_.quad = quad;
      cache_.key = rng;
    }
  }
  template <class Pop>
  void deliver(Pop& pop, random::key rng, double dt, std::uint64_t step, std::size_t lo, std::size_t hi) {
    static_assert(targets_a_variable_of<Pop>(),
                  "spikeweave: poisson_input targets a variable the population's model does not have");
    if constexpr (targets_a_variable_of<Pop>()) {
      if (n == 0 || rate == 0 || weight == 0) return;
      constexpr std::size_t target = reflect::field_index<typename Pop::columns_type>(Target.view());
      auto& col = reflect::get<target>(pop.columns());
      const random::binomial sample(n, rate * dt * 1e-3);
      using real = typename Pop::real_type;
      if (sample.needs_block()) {
        for (std::size_t i = lo; i < hi; ++i) {
          const auto k = sample(random::bits(rng, i, step, 0));
          if (k != 0) col[i] += static_cast<real>(static_cast<double>(k) * weight);
        }
        return;
      }
      if (cache_.refill)
        for (std::size_t i = lo; i < hi; ++i) cache_.blocks[i] = random::bits(rng, i, step / 4, 1);
      const std::size_t word = step % 4;
      for (std::size_t i = lo; i < hi; ++i) {
        const double u = (static_cast<double>(cache_.blocks[i][word]) + 0.5) * 0x1.0p-32;
        const auto k = sample.invert(u);
        if (k != 0) col[i] += static_cast<real>(static_cast<double>(k) * weight);
      }
    }
  }

  // Internal (public only so that the struct stays an aggregate): blocks of
  // random bits for the current 4 steps, recomputable, never saved.
  detail::block_cache cache_{};
};

}  // namespace spikeweave
