// Initial values of a variable: the model's default, a constant, per-neuron values, or random.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "random.hpp"

namespace spikeweave {

/// How a variable starts (and restarts at `reset()`). Assign a number, a
/// std::vector with one value per neuron, `uniform(lo, hi)` or `normal(mean, sd)`;
/// left alone, it is the model's `initial` value (or 0).
struct initial_value {
  enum class kind { model_default, constant, array, uniform, normal };

  kind how = kind::model_default;
  double a = 0, b = 0;
  std::vector<double> values;

  initial_value() = default;
  template <class A>
    requires std::is_arithmetic_v<A>
  initial_value(A value) : how(kind::constant), a(static_cast<double>(value)) {}  // NOLINT
  initial_value(std::vector<double> per_neuron)                                  // NOLINT
      : how(kind::array), values(std::move(per_neuron)) {}

  /// Value for neuron i; `fallback` is the model's default.
  [[nodiscard]] double value(std::size_t i, double fallback, random::key k, std::uint32_t field) const {
    switch (how) {
      case kind::constant: return a;
      case kind::array: return values[i];
      case kind::uniform: return a + (b - a) * random::uniform01<double>(random::bits(k, i, field, 0));
      case kind::normal: return a + b * random::normal01<double>(random::bits(k, i, field, 0));
      case kind::model_default: break;
    }
    return fallback;
  }
};

/// Uniformly distributed initial values in [lo, hi).
inline initial_value uniform(double lo, double hi) {
  initial_value v;
  v.how = initial_value::kind::uniform;
  v.a = lo;
  v.b = hi;
  return v;
}

/// Normally distributed initial values.
inline initial_value normal(double mean, double sd) {
  initial_value v;
  v.how = initial_value::kind::normal;
  v.a = mean;
  v.b = sd;
  return v;
}

}  // namespace spikeweave
