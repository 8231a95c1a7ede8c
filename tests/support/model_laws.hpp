// The laws every neuron model obeys, as a test helper run over every built-in model.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

namespace laws {

namespace sw = spikeweave;
namespace reflect = sw::reflect;

template <class N, class T>
using vars = sw::model::variables_t<N, T>;

// State of lane l: the model's initial state, each variable moved by
// spread * (some fraction that differs per lane and per variable).
template <class N>
vars<N, double> perturbed(const typename N::parameters& p, std::size_t lane, double spread) {
  vars<N, double> x = [&] {
    if constexpr (sw::model::has_initial<N>) return N::initial(p);
    else return vars<N, double>{};
  }();
  std::size_t k = 0;
  reflect::for_each_field(x, [&](std::string_view, double& v) {
    const double f = std::sin(1.7 * static_cast<double>(lane + 1) + 0.9 * static_cast<double>(++k));
    v += spread * f;
  });
  return x;
}

/// Law 1: one step of the scalar update equals every SIMD lane, bit for bit
/// (double) or to float rounding (float: the scalar path rounds double
/// parameters after, the batch path before, the arithmetic). Lanes alternate
/// refractory and not; the spike condition and the reset are compared too.
template <class N, class Real = double>
void scalar_equals_lanes(const typename N::parameters& p, double spread, double dt = 0.1) {
  using batch = xsimd::batch<Real>;
  constexpr std::size_t lanes = batch::size;
  const auto d = sw::model::derive<N>(p, dt);
  const sw::random::key rng{7, 3};
  const std::uint64_t first = 64, step = 11;

  alignas(64) Real lane_values[lanes];
  alignas(64) bool lane_refractory[lanes];
  vars<N, batch> xb;
  constexpr std::size_t nvars = reflect::field_count<vars<N, double>>;
  for (std::size_t l = 0; l < lanes; ++l) lane_refractory[l] = (l % 2 == 1);
  reflect::for_each_index<vars<N, double>>([&](auto i) {
    for (std::size_t l = 0; l < lanes; ++l)
      lane_values[l] = static_cast<Real>(reflect::get<i>(perturbed<N>(p, l, spread)));
    reflect::get<i>(xb) = batch::load_aligned(lane_values);
  });
  const auto refr = xsimd::batch_bool<Real>::load_aligned(lane_refractory);
  const sw::step_info<batch> sb{dt, 1.0, refr, rng, first, step, 0};
  auto fired_b = sw::model::update<N, batch>(xb, p, d, sb);
  vars<N, batch> reset_b = xb;
  sw::model::reset<N, batch>(reset_b, p, d);

  for (std::size_t l = 0; l < lanes; ++l) {
    vars<N, Real> xs;
    const auto start = perturbed<N>(p, l, spread);
    reflect::for_each_field_of([](auto, Real& s, const double& v) { s = static_cast<Real>(v); }, xs, start);
    const sw::step_info<Real> ss{dt, 1.0, lane_refractory[l], rng, first + l, step, 0};
    auto fired_s = sw::model::update<N, Real>(xs, p, d, ss);
    vars<N, Real> reset_s = xs;
    sw::model::reset<N, Real>(reset_s, p, d);
    if constexpr (sw::model::spiking<N>) {
      INFO("lane " << l << " spike condition");
      CHECK(static_cast<bool>(fired_s) == fired_b.get(l));
    }
    auto compare = [&](std::string_view what, const vars<N, Real>& s, const vars<N, batch>& b) {
      reflect::for_each_field_of(
          [&](std::string_view name, const Real& sv, const batch& bv) {
            INFO(what << " of " << name << " in lane " << l << ": scalar " << sv << ", batch " << bv.get(l));
            if constexpr (std::is_same_v<Real, double>)
              CHECK(std::bit_cast<std::uint64_t>(sv) == std::bit_cast<std::uint64_t>(bv.get(l)));
            else
              CHECK(sv == Approx(bv.get(l)).epsilon(1e-5).margin(1e-5));
          },
          s, b);
    };
    compare("update", xs, xb);
    compare("reset", reset_s, reset_b);
  }
  (void)nvars;
}

/// Law 2: the same state gives the same bits in every lane (any precision):
/// where a neuron sits in a batch does not change its result.
template <class N, class Real>
void lanes_agree(const typename N::parameters& p, double spread, double dt = 0.1) {
  using batch = xsimd::batch<Real>;
  const auto d = sw::model::derive<N>(p, dt);
  vars<N, batch> xb;
  const auto start = perturbed<N>(p, 0, spread);
  reflect::for_each_field_of([](auto, batch& b, const double& v) { b = batch(static_cast<Real>(v)); }, xb, start);
  // Random numbers are keyed by neuron: give every lane the same index by
  // using a model-free check only for models that draw none.
  const sw::step_info<batch> sb{dt, 0.0, false, {}, 0, 0, 0};
  sw::model::update<N, batch>(xb, p, d, sb);
  if (sb.draw != 0) return;  // draws differ per neuron by design
  reflect::for_each_field(xb, [](std::string_view name, const batch& b) {
    for (std::size_t l = 1; l < batch::size; ++l) {
      INFO(name << " lane " << l);
      CHECK(std::bit_cast<std::conditional_t<sizeof(Real) == 8, std::uint64_t, std::uint32_t>>(b.get(l)) ==
            std::bit_cast<std::conditional_t<sizeof(Real) == 8, std::uint64_t, std::uint32_t>>(b.get(0)));
    }
  });
}

/// Law 3: the model's initial state, without input, is a fixed point of the
/// update (within `tolerance`) and does not fire.
template <class N>
void rest_is_fixed_point(const typename N::parameters& p, double tolerance, int steps = 1000) {
  static_assert(sw::model::has_initial<N>);
  const auto d = sw::model::derive<N>(p, 0.1);
  const auto rest = N::initial(p);
  auto x = rest;
  for (int k = 0; k < steps; ++k) {
    const sw::step_info<double> s{0.1, 0.1 * k, false, {1, 1}, 0, static_cast<std::uint64_t>(k), 0};
    const bool fired = static_cast<bool>(sw::model::update<N, double>(x, p, d, s));
    REQUIRE_FALSE(fired);
  }
  reflect::for_each_field_of(
      [&](std::string_view name, const double& a, const double& b) {
        INFO(name);
        CHECK(a == Approx(b).margin(tolerance));
      },
      x, rest);
}

/// Law 4: the reflected names are the ones the struct declares.
template <class S>
void names_are(std::initializer_list<std::string_view> expected) {
  const auto names = reflect::field_names<S>();
  REQUIRE(names.size() == expected.size());
  std::size_t i = 0;
  for (auto e : expected) CHECK(names[i++] == e);
}

}  // namespace laws
