// The math a model's update may call: one generic spelling for scalars and xsimd batches.
//
// A scalar call computes exactly what one lane of a batch computes (for
// double: bit for bit), so a model gives the same numbers whichever way the
// kernel runs it. Debian's xsimd 8.1 lacks a scalar `select`; it lives here.
#pragma once

#include <cstddef>
#include <type_traits>

#include <xsimd/xsimd.hpp>

namespace spikeweave {

/// Lane count, element type and mask type of a scalar or an xsimd batch.
template <class T>
struct simd_traits {
  using value_type = T;
  using mask_type = bool;
  static constexpr std::size_t size = 1;
};
template <class R, class A>
struct simd_traits<xsimd::batch<R, A>> {
  using value_type = R;
  using mask_type = xsimd::batch_bool<R, A>;
  static constexpr std::size_t size = xsimd::batch<R, A>::size;
};

/// Type of `a < b` for values of type T: bool or xsimd::batch_bool.
template <class T>
using mask_t = typename simd_traits<T>::mask_type;

/// Element type of T: T itself for scalars.
template <class T>
using value_t = typename simd_traits<T>::value_type;

template <class T>
inline constexpr bool is_batch_v = simd_traits<T>::size > 1 || !std::is_arithmetic_v<T>;

namespace detail {
template <class M>
struct batch_of_mask;
template <class R, class A>
struct batch_of_mask<xsimd::batch_bool<R, A>> {
  using type = xsimd::batch<R, A>;
};

// One lane of the batch algorithm, so scalars round like the SIMD lanes do.
template <class R, class F>
R through_batch(R x, F f) {
  return f(xsimd::batch<R>(x)).get(0);
}
}  // namespace detail

/// `mask ? a : b` lane by lane; a and b may be scalars or batches.
template <class A, class B>
auto select(bool mask, const A& a, const B& b) {
  using T = std::common_type_t<A, B>;
  return mask ? T(a) : T(b);
}
template <class R, class Arch, class A, class B>
xsimd::batch<R, Arch> select(const xsimd::batch_bool<R, Arch>& mask, const A& a, const B& b) {
  using T = xsimd::batch<R, Arch>;
  return xsimd::select(mask, T(a), T(b));
}

/// e^x, with xsimd's algorithm for scalars too.
template <class T>
T exp(const T& x) {
  if constexpr (is_batch_v<T>)
    return xsimd::exp(x);
  else
    return detail::through_batch(x, [](auto b) { return xsimd::exp(b); });
}

/// Natural logarithm, with xsimd's algorithm for scalars too.
template <class T>
T log(const T& x) {
  if constexpr (is_batch_v<T>)
    return xsimd::log(x);
  else
    return detail::through_batch(x, [](auto b) { return xsimd::log(b); });
}

/// Square root (correctly rounded in both forms).
template <class T>
T sqrt(const T& x) {
  if constexpr (is_batch_v<T>)
    return xsimd::sqrt(x);
  else
    return detail::through_batch(x, [](auto b) { return xsimd::sqrt(b); });
}

/// Absolute value.
template <class T>
T abs(const T& x) {
  return select(x < T(0), -x, x);
}

/// Smaller of a and b (b if either is NaN, as for `a < b ? a : b`).
template <class T, class U>
auto min(const T& a, const U& b) {
  return select(a < b, a, b);
}

/// Larger of a and b.
template <class T, class U>
auto max(const T& a, const U& b) {
  return select(a > b, a, b);
}

/// x limited to [lo, hi].
template <class T, class L, class H>
T clip(const T& x, const L& lo, const H& hi) {
  return T(min(max(x, lo), hi));
}

/// True if any lane of the mask is set.
inline bool any(bool m) { return m; }
template <class R, class A>
bool any(const xsimd::batch_bool<R, A>& m) {
  return xsimd::any(m);
}

}  // namespace spikeweave
