// A rate-coded synapse (ANNarchy's rate-coded projections): in every step the
// post-synaptic target receives w r of every pre-synaptic neuron, r its rate.
//
//   target_j += sum_i w_ij r_i     (r after the pre population's update of the step,
//                                   seen by the post neurons in the next step)
#pragma once

#include "../model/fixed_string.hpp"
#include "../model/synapse.hpp"

namespace spikeweave::models {

struct rate_synapse {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w));  // weight, in the target's unit per unit of r
  };
  static constexpr fixed_string source = "r";  // the pre-synaptic variable transmitted
  template <class T>
  static T transmit(const variables<T>& s, T r, const parameters&) {
    return s.w * r;
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::rate_synapse::parameters);
