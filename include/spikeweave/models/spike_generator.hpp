// Neurons that fire only when told to: the model of a spike generator
// (NEST's spike_generator, Brian2's SpikeGeneratorGroup).
//
//   sw::population<spike_generator, "In">{3, sw::spike_times{.indices = {0, 2, 0}, .times = {5, 5, 12.5}}}
//
// The times are the population's (population::set_spike_times): neuron
// indices[k] fires in the step nearest to times[k] ms. The model itself never
// fires; `input` is a target that is cleared every step, so a projection onto
// a generator is harmless.
#pragma once

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct spike_generator {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, input));  // ignored input, cleared every step
  };
  template <class T>
  static auto update(variables<T>& x, const parameters&, const step_info<T>&) {
    x.input = 0;
    return x.input != x.input;  // never: the spikes come from the schedule
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::spike_generator::parameters);
