// Initial values of a variable: the model's default, a constant, per-neuron values, or random.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <numbers>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../model/neuron.hpp"
#include "random.hpp"

namespace spikeweave {

namespace detail {
// A number, not a character or bool (a std::string is not per-neuron values).
template <class T>
concept plain_number = std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                       !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> &&
                       !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>;
// A range of numbers, e.g. std::vector<float> or std::array<int, 3>.
template <class R>
concept number_range = requires(const R& r) {
  std::begin(r);
  std::end(r);
  requires plain_number<std::remove_cvref_t<decltype(*std::begin(r))>>;
};
template <class>
inline constexpr bool always_false = false;
}  // namespace detail

/// How a variable starts (and restarts at `reset()`). Assign a number, a
/// range with one number per neuron (std::vector<double>, std::vector<float>,
/// std::array ...), `uniform(lo, hi)` or `normal(mean, sd)`;
/// left alone, it is the model's `initial` value (or 0).
struct initial_value {
  enum class kind { model_default, constant, array, uniform, normal };

  /// What a random value outside [lo, hi] becomes: kept (no bounds), clipped
  /// to the nearest bound, or drawn again until it falls inside (NEST's
  /// nest.math.clip and nest.math.redraw).
  enum class bounds { none, clip, redraw };

  kind how = kind::model_default;
  double a = 0, b = 0;
  std::vector<double> values;
  bounds bound = bounds::none;
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();

  /// Draws of at most this many tries per value under `redraw` (then config_error).
  static constexpr std::uint32_t max_redraws = 10000;

  initial_value() = default;
  template <class A>
    requires std::is_arithmetic_v<A>
  initial_value(A value) : how(kind::constant), a(static_cast<double>(value)) {}  // NOLINT
  initial_value(std::vector<double> per_neuron)                                  // NOLINT
      : how(kind::array), values(std::move(per_neuron)) {}
  /// One value per neuron from any range of numbers (std::vector<float>,
  /// std::vector<int>, std::array, std::span ...), converted to double.
  template <detail::number_range R>
    requires(!std::is_same_v<std::remove_cvref_t<R>, std::vector<double>>)
  initial_value(const R& per_neuron) : how(kind::array) {  // NOLINT
    for (const auto& x : per_neuron) values.push_back(static_cast<double>(x));
  }
  /// Anything else fails with a message that says what is accepted (the
  /// compiler's "required from here" points at the member being initialised).
  template <class X>
    requires(!std::is_arithmetic_v<X> && !detail::number_range<X> && !std::is_same_v<X, initial_value>)
  initial_value(const X&) {  // NOLINT
    static_assert(detail::always_false<X>,
                  "spikeweave: an initial value is a number, a range with one number per element "
                  "(std::vector<double>, std::vector<float>, std::vector<int>, std::array, ...), "
                  "sw::uniform(lo, hi) or sw::normal(mean, sd); see `X = ...` above for the type given");
  }

  /// Value for neuron i; `fallback` is the model's default.
  [[nodiscard]] double value(std::size_t i, double fallback, random::key k, std::uint32_t field) const {
    switch (how) {
      case kind::constant: return a;
      case kind::array: return values[i];
      case kind::uniform:
      case kind::normal:
        return draw([&](std::uint32_t attempt) { return from(random::bits(k, i, field, attempt)); });
      case kind::model_default: break;
    }
    return fallback;
  }

  /// The same distribution with values outside [lo, hi] clipped to the bounds.
  [[nodiscard]] initial_value clip(double low, double high) const { return bounded(bounds::clip, low, high); }
  /// The same distribution with values outside [lo, hi] drawn again (the
  /// distribution truncated to [lo, hi], as NEST's redraw).
  [[nodiscard]] initial_value redraw(double low, double high) const { return bounded(bounds::redraw, low, high); }

  /// True for the random kinds (uniform, normal).
  [[nodiscard]] bool random() const { return how == kind::uniform || how == kind::normal; }

  /// The value of a random kind from its draws `raw(attempt)`, attempt = 0,
  /// 1, ...: the first inside the bounds (redraw), or the first clipped.
  /// Throws config_error when `redraw` finds nothing in max_redraws tries.
  template <class Raw>
  [[nodiscard]] double draw(Raw&& raw) const {
    for (std::uint32_t attempt = 0;; ++attempt) {
      const double x = raw(attempt);
      if (bound == bounds::none) return x;
      if (bound == bounds::clip) return x < lo ? lo : (x > hi ? hi : x);
      if (x >= lo && x <= hi) return x;
      if (attempt + 1 == max_redraws)
        throw config_error(describe() + ": no value in [" + detail::number(lo) + ", " + detail::number(hi) + "] in " +
                           std::to_string(max_redraws) + " draws");
    }
  }
  /// The value of a random kind for one block of random bits (no bounds applied).
  [[nodiscard]] double from(const random::block& bits, int half = 0) const {
    return how == kind::uniform ? a + (b - a) * random::uniform01<double>(bits, half)
                                : a + b * random::normal01<double>(bits);
  }
  /// E.g. "normal(1.5, 0.75) redrawn in [0.05, inf]", for messages.
  [[nodiscard]] std::string describe() const {
    std::string s = how == kind::uniform  ? "uniform(" + detail::number(a) + ", " + detail::number(b) + ")"
                    : how == kind::normal ? "normal(" + detail::number(a) + ", " + detail::number(b) + ")"
                    : how == kind::constant ? detail::number(a)
                                            : std::string(how == kind::array ? "per-element values" : "the default");
    if (bound != bounds::none)
      s += std::string(bound == bounds::clip ? " clipped to [" : " redrawn in [") + detail::number(lo) + ", " +
           detail::number(hi) + "]";
    return s;
  }
  /// Empty when the spec can be drawn from, else why not (lo > hi, sd < 0,
  /// a redraw interval of (nearly) no probability, non-finite numbers).
  [[nodiscard]] std::string problem() const {
    if (how == kind::constant && !std::isfinite(a)) return "must be finite";
    if (how == kind::uniform && !(a <= b && std::isfinite(a) && std::isfinite(b))) return "needs finite lo <= hi";
    if (how == kind::normal && !(b >= 0 && std::isfinite(a) && std::isfinite(b))) return "needs a finite sd >= 0";
    if (bound != bounds::none) {
      if (!(lo <= hi) || std::isnan(lo) || std::isnan(hi)) return "bounds need lo <= hi";
      if (bound == bounds::redraw && random() && mass() < 1e-6)
        return "the interval [" + detail::number(lo) + ", " + detail::number(hi) +
               "] has (nearly) no probability: redrawing would not end";
    }
    return {};
  }

 private:
  [[nodiscard]] initial_value bounded(bounds how_bound, double low, double high) const {
    initial_value v = *this;
    v.bound = how_bound;
    v.lo = low;
    v.hi = high;
    return v;
  }
  // Probability of [lo, hi] under the distribution.
  [[nodiscard]] double mass() const {
    if (how == kind::uniform) {
      if (b == a) return a >= lo && a <= hi ? 1 : 0;
      return std::max(0.0, std::min(hi, b) - std::max(lo, a)) / (b - a);
    }
    if (b == 0) return a >= lo && a <= hi ? 1 : 0;
    auto cdf = [&](double x) { return 0.5 * std::erfc(-(x - a) / (b * std::numbers::sqrt2)); };
    return cdf(hi) - cdf(lo);
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
