// The fused update loop: one pass over all variables of a population per step, in xsimd batches.
//
// For each batch of neurons the loop loads every variable once, counts down
// the refractory period, calls the model's update, gates the spike condition
// by refractoriness, applies the reset where a neuron fired, stores every
// variable once and appends the indices of the neurons that fired, in
// ascending order. The last, partial batch runs on padding, so every neuron
// goes through the same instructions wherever it sits: results do not depend
// on how a population is split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "column.hpp"

namespace spikeweave::kernel {

/// Everything one call of the loop needs besides the state.
template <class Neuron>
struct step_args {
  const model::parameters_t<Neuron>& p;
  const model::derived_t<Neuron>& d;
  double dt;
  double t;
  std::uint64_t step;
  random::key rng;
  double refractory_steps;  // steps a neuron stays refractory after a spike
};

/// Advances neurons [begin, end) of `columns` by one step. `begin` must be a
/// multiple of the batch size; `size` is the number of real neurons.
/// Appends the neurons that fired to `spikes`.
template <class Neuron, class Real>
void advance(model::variables_t<Neuron, column<Real>>& columns, column<Real>* refractory,
             const step_args<Neuron>& a, std::size_t begin, std::size_t end, std::size_t size,
             std::vector<std::uint32_t>& spikes) {
  using batch = xsimd::batch<Real>;
  using mask = xsimd::batch_bool<Real>;
  constexpr std::size_t lanes = batch::size;
  constexpr bool has_refractory = model::has_refractory<Neuron>;

  // Local copies: xsimd's stores may alias anything as far as GCC knows, so
  // values read through references would be reloaded (and dt / tau divided
  // again) in every batch.
  const model::parameters_t<Neuron> p = a.p;
  const model::derived_t<Neuron> d = a.d;
  const double dt = a.dt, t = a.t;
  const std::uint64_t step = a.step;
  const random::key rng = a.rng;
  const batch refractory_steps(static_cast<Real>(a.refractory_steps));
  model::variables_t<Neuron, Real*> base;
  reflect::for_each_field_of([](auto, Real*& b, column<Real>& c) { b = c.data(); }, base, columns);
  Real* const counters = has_refractory ? refractory->data() : nullptr;

  for (std::size_t i = begin; i < end; i += lanes) {
    model::variables_t<Neuron, batch> x;
    reflect::for_each_field_of([&](auto, batch& xb, Real* b) { xb = batch::load_aligned(b + i); }, x, base);

    batch counter(Real(0));
    mask refr(false);
    if constexpr (has_refractory) {
      counter = xsimd::max(batch::load_aligned(counters + i) - Real(1), batch(Real(0)));
      refr = counter > Real(0);
    }
    const step_info<batch> s{dt, t, refr, rng, i, step, 0};

    if constexpr (model::spiking<Neuron>) {
      const mask fired = mask(model::update<Neuron, batch>(x, p, d, s)) && !refr;
      if (xsimd::any(fired)) {
        if constexpr (model::resettable<Neuron, batch>) {
          model::variables_t<Neuron, batch> after = x;
          model::reset<Neuron, batch>(after, p, d);
          reflect::for_each_field_of(
              [&](auto, batch& xb, const batch& rb) { xb = xsimd::select(fired, rb, xb); }, x, after);
        }
        if constexpr (has_refractory) counter = xsimd::select(fired, refractory_steps, counter);
        alignas(64) bool lane_fired[lanes];
        fired.store_aligned(lane_fired);
        for (std::size_t l = 0; l < lanes && i + l < size; ++l)
          if (lane_fired[l]) spikes.push_back(static_cast<std::uint32_t>(i + l));
      }
    } else {
      model::update<Neuron, batch>(x, p, d, s);
    }

    reflect::for_each_field_of([&](auto, const batch& xb, Real* b) { xb.store_aligned(b + i); }, x, base);
    if constexpr (has_refractory) counter.store_aligned(counters + i);
  }
}

}  // namespace spikeweave::kernel
