// Numerical integrators for a model's differential equations: explicit Euler, exponential Euler, midpoint, RK4.
//
// A model writes its right-hand side once, as a function of a state `y` (a
// reflected struct such as its `variables<T>`, or a plain scalar or batch)
// that returns the rates dy/dt, field by field, in a struct with the same
// members; `integrate` advances the state by one step:
//
//   template <class T>
//   static variables<T> derivative(const variables<T>& y, const parameters& p) {
//     return {(p.E_l - y.v + y.I) / p.tau_m, -y.I / p.tau_s};
//   }
//   x = integrate<rk4>(x, s.dt, [&](const auto& y) { return derivative(y, p); });
//
// For exponential Euler the derivative gives each rate in the linear form
// dx/dt = A - B x (A and B may depend on the other variables, evaluated at the
// start of the step), as `linear<T>{A, B}`; the step then solves that linear
// equation exactly: x + (A - B x) (1 - e^(-B dt)) / B, or x + A dt where B = 0. Brian2's `exponential_euler` does the same for equations that
// are linear in their own variable (Hodgkin-Huxley gating variables, conductances).
// The explicit methods accept the linear form too (the rate is A - B y), so one
// derivative serves every method.
//
// Every operation is a plain IEEE operation or a math.hpp shim, written once
// for scalars and batches: a scalar step is bit for bit what each lane of an
// xsimd batch computes (double). The step size is rounded to the field's
// precision before use, so float states are integrated in float.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "math.hpp"
#include "reflect.hpp"

namespace spikeweave {

/// The rate of an equation linear in its variable: dx/dt = A - B x.
template <class T>
struct linear {
  T A;  ///< drive: the rate at x = 0
  T B;  ///< decay rate of x [1/time]; B = 0: dx/dt = A
};

/// e^x - 1, accurate near 0, with xsimd's algorithm for scalars too.
template <class T>
T expm1(const T& x) {
  if constexpr (is_batch_v<T>)
    return xsimd::expm1(x);
  else
    return detail::through_batch(x, [](auto b) { return xsimd::expm1(b); });
}

namespace detail {

template <class K>
struct is_linear : std::false_type {};
template <class T>
struct is_linear<linear<T>> : std::true_type {};

// The step size in the precision of a field of type F.
template <class F>
value_t<F> step_in(double h) {
  return static_cast<value_t<F>>(h);
}

// The rate of one field: the derivative's value, or A - B x in the linear form.
template <class X, class K>
X field_rate(const X& x, const K& k) {
  if constexpr (is_linear<K>::value)
    return X(k.A - k.B * x);
  else
    return X(k);
}

// True if K (a derivative's result) gives at least one rate in the linear form.
template <class K>
constexpr bool has_linear_rate() {
  if constexpr (reflect::reflected<K>) {
    bool any = false;
    reflect::for_each_index<K>([&](auto i) { any = any || is_linear<reflect::field_type<i, K>>::value; });
    return any;
  } else {
    return is_linear<K>::value;
  }
}

template <class S, class K>
constexpr bool same_fields() {
  if constexpr (reflect::reflected<S> && reflect::reflected<K>) {
    if constexpr (reflect::field_count<S> != reflect::field_count<K>) {
      return false;
    } else {
      constexpr auto a = reflect::field_names<S>();
      constexpr auto b = reflect::field_names<K>();
      for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return false;
      return true;
    }
  } else {
    return !reflect::reflected<S> && !reflect::reflected<K>;
  }
}

// out.m = op(first.m, rest.m...) for every member m of a reflected S, or
// op(first, rest...) for a plain scalar or batch.
template <class S, class Op, class... R>
S map_fields(Op&& op, const S& first, const R&... rest) {
  if constexpr (reflect::reflected<S>) {
    S out = first;
    reflect::for_each_field_of([&](std::string_view, auto& o, const auto& f, const auto&... r) { o = op(f, r...); },
                               out, first, rest...);
    return out;
  } else {
    return S(op(first, rest...));
  }
}

// dy/dt at y, as a value of y's type (the linear form turned into rates).
template <class S, class F>
S rates(F& f, const S& y) {
  using K = std::remove_cvref_t<decltype(f(y))>;
  static_assert(same_fields<S, K>(),
                "spikeweave::integrate: the derivative must return the rates in a struct with the "
                "state's members, in the same order (e.g. the model's variables<T>, or "
                "variables<spikeweave::linear<T>>), or a value of the state's type for a plain state");
  return map_fields([](const auto& x, const auto& k) { return field_rate(x, k); }, y, f(y));
}

// y + h k, field by field.
template <class S>
S advance(const S& y, double h, const S& k) {
  return map_fields(
      [h](const auto& a, const auto& b) {
        using F = std::remove_cvref_t<decltype(a)>;
        return F(a + step_in<F>(h) * b);
      },
      y, k);
}

}  // namespace detail

/// Explicit (forward) Euler: x + dt f(x). First order.
struct euler {
  template <class S, class F>
  static S step(const S& x, double dt, F& f) {
    return detail::advance(x, dt, detail::rates(f, x));
  }
};

/// Explicit midpoint (RK2): x + dt f(x + dt/2 f(x)). Second order.
struct midpoint {
  template <class S, class F>
  static S step(const S& x, double dt, F& f) {
    const S k1 = detail::rates(f, x);
    const S k2 = detail::rates(f, detail::advance(x, dt / 2, k1));
    return detail::advance(x, dt, k2);
  }
};
/// Brian2's name for the midpoint method.
using rk2 = midpoint;

/// The classic fourth-order Runge-Kutta method.
struct rk4 {
  template <class S, class F>
  static S step(const S& x, double dt, F& f) {
    const S k1 = detail::rates(f, x);
    const S k2 = detail::rates(f, detail::advance(x, dt / 2, k1));
    const S k3 = detail::rates(f, detail::advance(x, dt / 2, k2));
    const S k4 = detail::rates(f, detail::advance(x, dt, k3));
    return detail::map_fields(
        [dt](const auto& a, const auto& b1, const auto& b2, const auto& b3, const auto& b4) {
          using Fd = std::remove_cvref_t<decltype(a)>;
          return Fd(a + detail::step_in<Fd>(dt / 6) * (b1 + 2 * b2 + 2 * b3 + b4));
        },
        x, k1, k2, k3, k4);
  }
};

/// Exponential Euler: each field whose rate is given as linear{A, B} follows
/// dx/dt = A - B x exactly over the step, with A and B frozen at its start;
/// a field given as a plain rate takes an Euler step. Exact for linear
/// equations with constant coefficients, first order otherwise.
struct exponential_euler {
  template <class S, class F>
  static S step(const S& x, double dt, F& f) {
    using K = std::remove_cvref_t<decltype(f(x))>;
    static_assert(detail::same_fields<S, K>(),
                  "spikeweave::integrate<exponential_euler>: the derivative must return a struct with the "
                  "state's members, in the same order, each a spikeweave::linear<T>{A, B} for dx/dt = A - B x "
                  "(e.g. `variables<spikeweave::linear<T>>`)");
    static_assert(detail::has_linear_rate<K>(),
                  "spikeweave::integrate<exponential_euler>: the derivative gives no rate in the linear form "
                  "spikeweave::linear<T>{A, B} (dx/dt = A - B x), so this would be an Euler step: use "
                  "spikeweave::euler, or return variables<spikeweave::linear<T>>");
    return detail::map_fields(
        [dt](const auto& y, const auto& k) {
          using Fd = std::remove_cvref_t<decltype(y)>;
          const Fd h(detail::step_in<Fd>(dt));
          if constexpr (detail::is_linear<std::remove_cvref_t<decltype(k)>>::value) {
            const Fd B(k.B);
            // (1 - e^(-B h)) / B, the time the step lasts for the linear equation; h where B = 0.
            const Fd span = select(B == Fd(0), h, Fd(-expm1(Fd(-(B * h))) / B));
            return Fd(y + (Fd(k.A) - B * y) * span);
          } else {
            return Fd(y + h * k);
          }
        },
        x, f(x));
  }
};

/// True if `Method` can advance a state of type S with the derivative F.
template <class Method, class S, class F>
concept integration_method = requires(const S& x, double dt, F& f) {
  { Method::step(x, dt, f) } -> std::convertible_to<S>;
};

/// The state `x` advanced by one step of `dt` with `Method` (euler, midpoint,
/// rk4, exponential_euler, or a user type with a static `step(x, dt, f)`),
/// for dx/dt = f(x). `f` returns the rates in a struct with x's members (or
/// of x's type for a plain scalar or batch).
template <class Method, class S, class F>
[[nodiscard]] S integrate(const S& x, double dt, F&& f) {
  static_assert(std::is_invocable_v<F&, const S&>,
                "spikeweave::integrate: the derivative must be callable as f(state), e.g. "
                "[&](const auto& y) { return derivative(y, p); }");
  static_assert(integration_method<Method, S, F>,
                "spikeweave::integrate<Method>: Method needs `template <class S, class F> static S "
                "step(const S& x, double dt, F& f)` (spikeweave::euler, midpoint, rk4, exponential_euler)");
  return Method::step(x, dt, f);
}

}  // namespace spikeweave
