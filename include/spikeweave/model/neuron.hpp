// What a neuron model is: the concept, the per-step context its update receives, and its parameter rules.
//
// A neuron model is a struct with
//   struct parameters { double tau_m = 20; ... };            // + BOOST_HANA_ADAPT_STRUCT
//   template <class T> struct variables {                     // one value per neuron
//     BOOST_HANA_DEFINE_STRUCT(variables, (T, v), ...); };
//   template <class T>
//   static auto update(variables<T>& x, const parameters& p, const spikeweave::step_info<T>& s);
//       // integrates one step of s.dt ms and returns the spike condition
// and optionally
//   template <class T> static void reset(variables<T>& x, const parameters& p);  // after a spike
//   static double refractory(const parameters& p);          // [ms]
//   struct derived { ... }; static derived derive(const parameters& p, double dt);
//       // then update/reset take (x, p, d, s) / (x, p, d)
//   static variables<double> initial(const parameters& p);  // default initial values
//   static void check(const parameters& p, spikeweave::rules& r);  // parameter rules
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/detail/philox_simd.hpp"
#include "../core/random.hpp"
#include "math.hpp"
#include "reflect.hpp"

namespace spikeweave {

/// What a model's update sees besides its variables and parameters.
template <class T>
struct step_info {
  double dt = 0.1;                 ///< time step [ms]
  double t = 0;                    ///< time at the start of the step [ms]
  mask_t<T> refractory = false;    ///< true for neurons inside their refractory period
  random::key rng{};               ///< generator key of this population
  std::uint64_t index = 0;         ///< global index of the first neuron (lane 0)
  std::uint64_t step = 0;          ///< number of the step
  mutable std::uint32_t draw = 0;  ///< draws made so far in this step

  /// A uniform number in [0, 1) per neuron, different at every call and step.
  T uniform() const {
    return fill([](const random::block& b) { return random::uniform01<value_t<T>>(b); });
  }
  /// A standard normal number per neuron, different at every call and step.
  T normal() const {
    return fill([](const random::block& b) { return random::normal01<value_t<T>>(b); });
  }

 private:
  template <class F>
  T fill(F f) const {
    const std::uint32_t d = draw++;
    if constexpr (is_batch_v<T>) {
      constexpr std::size_t size = simd_traits<T>::size;
      const auto blocks = random::detail::bits_of_lanes<size, typename T::arch_type>(rng, index, step, d);
      alignas(64) value_t<T> lanes[size];
      for (std::size_t l = 0; l < size; ++l) lanes[l] = f(blocks[l]);
      return T::load_aligned(lanes);
    } else {
      return f(random::bits(rng, index, step, d));
    }
  }
};

namespace detail {
inline std::string number(double x) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}
}  // namespace detail

/// Collects violations of a model's parameter rules. A model's `check`
/// passes the fields themselves; their names are found by reflection.
class rules {
 public:
  template <class P>
  explicit rules(const P& p)
      : base_(&p), name_of_([](const void* base, const void* field) {
          std::string_view found = "?";
          reflect::for_each_field(*static_cast<const P*>(base), [&](std::string_view n, const auto& m) {
            if (static_cast<const void*>(&m) == field) found = n;
          });
          return found;
        }) {}

  /// x > 0.
  void positive(const double& x) { expect(x > 0, x, "must be > 0"); }
  /// x >= 0.
  void non_negative(const double& x) { expect(x >= 0, x, "must be >= 0"); }
  /// a < b.
  void less(const double& a, const double& b) {
    expect(a < b, a, "must be < " + name(b) + " = " + detail::number(b));
  }
  /// a <= b.
  void at_most(const double& a, const double& b) {
    expect(a <= b, a, "must be <= " + name(b) + " = " + detail::number(b));
  }
  /// lo <= x <= hi.
  void in_range(const double& x, double lo, double hi) {
    expect(lo <= x && x <= hi, x,
           "must be in [" + detail::number(lo) + ", " + detail::number(hi) + "]");
  }
  /// Any other rule: `message` says what is wrong.
  void require(bool ok, std::string message) {
    if (!ok) violations_.push_back(std::move(message));
  }

  [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }

  /// Name of a field of the checked struct, found by its address.
  [[nodiscard]] std::string name(const void* field) const { return std::string(name_of_(base_, field)); }
  [[nodiscard]] std::string name(const double& field) const { return name(static_cast<const void*>(&field)); }

 private:
  void expect(bool ok, const double& x, const std::string& rule) {
    if (!ok) violations_.push_back(name(x) + " = " + detail::number(x) + ", " + rule);
  }

  const void* base_;
  std::string_view (*name_of_)(const void*, const void*);
  std::vector<std::string> violations_;
};

/// Traits of neuron models: what a model declares, and how to call it.
namespace model {

template <class N>
using parameters_t = typename N::parameters;
template <class N, class T>
using variables_t = typename N::template variables<T>;

template <class N>
concept has_derived = requires(const parameters_t<N>& p, double dt) {
  typename N::derived;
  { N::derive(p, dt) } -> std::convertible_to<typename N::derived>;
};

namespace detail {
struct no_derived {};
template <class N>
struct derived_of {
  using type = no_derived;
};
template <has_derived N>
struct derived_of<N> {
  using type = typename N::derived;
};
}  // namespace detail

/// The model's `derived` struct, or an empty struct if it has none.
template <class N>
using derived_t = typename detail::derived_of<N>::type;

template <class N, class T>
concept updatable_with_derived = requires(variables_t<N, T>& x, const parameters_t<N>& p,
                                          const derived_t<N>& d, const step_info<T>& s) {
  N::update(x, p, d, s);
};
template <class N, class T>
concept updatable_plain = requires(variables_t<N, T>& x, const parameters_t<N>& p,
                                   const step_info<T>& s) {
  N::update(x, p, s);
};
template <class N, class T>
concept updatable = updatable_with_derived<N, T> || updatable_plain<N, T>;

template <class N>
concept has_refractory = requires(const parameters_t<N>& p) {
  { N::refractory(p) } -> std::convertible_to<double>;
};
template <class N>
concept has_initial = requires(const parameters_t<N>& p) {
  { N::initial(p) } -> std::convertible_to<variables_t<N, double>>;
};
template <class N>
concept has_check = requires(const parameters_t<N>& p, rules& r) { N::check(p, r); };

/// The model's name in state files: its `static constexpr std::string_view name = "...";` (or a
/// fixed_string) when it declares one, else its C++ type name ("spikeweave::models::lif_curr_exp").
template <class M>
std::string name_of() {
  if constexpr (requires { std::string_view(M::name); })
    return std::string(std::string_view(M::name));
  else if constexpr (requires { M::name.view(); })
    return std::string(M::name.view());
  else
    return std::string(reflect::type_name<M>());
}

namespace detail {
// The unit `units` gives the member `name` ("" if none).
template <class Units>
std::string_view unit_in(const Units& units, std::string_view name) {
  std::string_view out;
  reflect::for_each_field(units, [&](std::string_view n, const std::string_view& u) {
    if (n == name) out = u;
  });
  return out;
}
}  // namespace detail

/// The unit of variable `name` of model M: what its optional
/// `static constexpr variables<std::string_view> units{.v = "mV", ...};` says, "" where it says nothing.
template <class M>
std::string_view unit(std::string_view name) {
  if constexpr (requires { M::units; }) {
    static_assert(std::is_same_v<std::remove_cv_t<decltype(M::units)>, variables_t<M, std::string_view>>,
                  "spikeweave: a model declares its units as `static constexpr variables<std::string_view> "
                  "units{.v = \"mV\", ...};` (members it leaves out have no unit)");
    return detail::unit_in(M::units, name);
  } else {
    return {};
  }
}

/// True when model M lets `name` (a variable, or "pre_trace/x" / "post_trace/y") hold inf or NaN in a
/// loaded state: M declares `static constexpr std::string_view non_finite[] = {"t_last"};` (or a
/// std::array). Loads refuse non-finite values everywhere else.
template <class M>
constexpr bool may_be_non_finite(std::string_view name) {
  if constexpr (requires { M::non_finite; }) {
    for (std::string_view n : M::non_finite)
      if (n == name) return true;
  }
  return false;
}

template <class N, class T>
concept resettable = requires(variables_t<N, T>& x, const parameters_t<N>& p,
                              const derived_t<N>& d) { N::reset(x, p, d); } ||
                     requires(variables_t<N, T>& x, const parameters_t<N>& p) { N::reset(x, p); };

/// Calls the model's update with or without `derived`, whichever it declares.
template <class N, class T>
decltype(auto) update(variables_t<N, T>& x, const parameters_t<N>& p, const derived_t<N>& d,
                      const step_info<T>& s) {
  if constexpr (updatable_with_derived<N, T>)
    return N::update(x, p, d, s);
  else
    return N::update(x, p, s);
}

/// Calls the model's reset, if it has one.
template <class N, class T>
void reset(variables_t<N, T>& x, const parameters_t<N>& p, const derived_t<N>& d) {
  if constexpr (requires { N::reset(x, p, d); })
    N::reset(x, p, d);
  else if constexpr (requires { N::reset(x, p); })
    N::reset(x, p);
}

/// The model's derived values for time step dt.
template <class N>
derived_t<N> derive(const parameters_t<N>& p, double dt) {
  if constexpr (has_derived<N>)
    return N::derive(p, dt);
  else
    return {};
}

/// True if update returns a spike condition (not void).
template <class N>
inline constexpr bool spiking = !std::is_void_v<decltype(update<N, double>(
    std::declval<variables_t<N, double>&>(), std::declval<const parameters_t<N>&>(),
    std::declval<const derived_t<N>&>(), std::declval<const step_info<double>&>()))>;

template <class N>
constexpr bool all_members_are_T() {
  bool ok = true;
  reflect::for_each_index<variables_t<N, double>>([&](auto i) {
    ok = ok && std::is_same_v<reflect::field_type<i, variables_t<N, double>>, double>;
  });
  return ok;
}

}  // namespace model

/// True for a type that satisfies every requirement of a neuron model.
template <class N>
concept neuron_model =
    requires { typename N::parameters; } && reflect::reflected<typename N::parameters> &&
    requires { typename N::template variables<double>; } &&
    reflect::reflected<typename N::template variables<double>> &&
    model::updatable<N, double> && model::updatable<N, xsimd::batch<double>>;

/// Checks a neuron model with one readable message per missing piece.
template <class N>
constexpr bool check_neuron_model() {
  static_assert(requires { typename N::parameters; },
                "spikeweave: a neuron model needs `struct parameters { double name = default; ... };` "
                "followed by `BOOST_HANA_ADAPT_STRUCT(model::parameters, name, ...);`");
  if constexpr (requires { typename N::parameters; }) {
    static_assert(reflect::reflected<typename N::parameters>,
                  "spikeweave: the model's `parameters` is not reflected: add "
                  "`BOOST_HANA_ADAPT_STRUCT(model::parameters, field1, field2, ...);` after the model");
    if constexpr (reflect::reflected<typename N::parameters>)
      static_assert(reflect::lists_every_member<typename N::parameters>(),
                    "spikeweave: BOOST_HANA_ADAPT_STRUCT of the model's `parameters` leaves out a member");
  }
  static_assert(requires { typename N::template variables<double>; },
                "spikeweave: a neuron model needs `template <class T> struct variables { "
                "BOOST_HANA_DEFINE_STRUCT(variables, (T, v), ...); };`");
  if constexpr (requires { typename N::template variables<double>; }) {
    static_assert(reflect::reflected<typename N::template variables<double>>,
                  "spikeweave: the model's `variables<T>` must declare its members with "
                  "BOOST_HANA_DEFINE_STRUCT(variables, (T, name), ...)");
    if constexpr (reflect::reflected<typename N::template variables<double>>) {
      static_assert(model::all_members_are_T<N>(),
                    "spikeweave: every member of `variables<T>` must have type T");
      static_assert(model::updatable<N, double> && model::updatable<N, xsimd::batch<double>>,
                    "spikeweave: a neuron model needs `template <class T> static auto update("
                    "variables<T>& x, const parameters& p, const spikeweave::step_info<T>& s)` "
                    "(or with `const derived& d` before `s`), returning the spike condition");
    }
  }
  return true;
}

}  // namespace spikeweave
