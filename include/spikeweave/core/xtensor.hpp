// Monitor results as xtensor expressions: the opt-in bridge (core/monitor.hpp does not include xtensor).
//
//   #include <spikeweave/core/xtensor.hpp>
//   const auto v = sw::to_xtensor(net.monitor<"v">().data("v"));  // xt::xtensor<double, 2>
//   const double mean = xt::mean(sw::adapt(net.monitor<"rate">().rates()))();
#pragma once

#include <cstddef>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>

#include "array.hpp"

namespace spikeweave {

/// A read-only xtensor view of `a`, without a copy: valid while `a` lives unchanged.
template <class T, std::size_t Rank>
auto adapt(const array<T, Rank>& a) {
  return xt::adapt(a.data(), a.size(), xt::no_ownership(), a.shape());
}
/// Not on a temporary: the view would outlive it (use to_xtensor).
template <class T, std::size_t Rank>
void adapt(const array<T, Rank>&&) = delete;
/// A read-only xtensor view of the values a monitor keeps, without a copy.
template <class T>
auto adapt(array_view<T> v) {
  return xt::adapt(v.data(), v.size(), xt::no_ownership(), v.shape());
}

/// A copy of `a` as an xt::xtensor.
template <class T, std::size_t Rank>
xt::xtensor<T, Rank> to_xtensor(const array<T, Rank>& a) {
  return xt::xtensor<T, Rank>(adapt(a));
}
/// A copy of the values a monitor keeps as an xt::xtensor.
template <class T>
xt::xtensor<T, 1> to_xtensor(array_view<T> v) {
  return xt::xtensor<T, 1>(adapt(v));
}

}  // namespace spikeweave
