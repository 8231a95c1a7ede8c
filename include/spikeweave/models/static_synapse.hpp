// Static synapse: every pre-synaptic spike adds the weight w to the target variable.
//
// The target is chosen by the projection: a conductance (g_e, in units of g_L
// for lif_cond_exp), a current (I_e, in mV for lif_curr_exp), or an input
// such as izhikevich's I.
#pragma once

#include "../model/synapse.hpp"

namespace spikeweave::models {

struct static_synapse {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w));  // added to the target per spike, in its unit
  };
  static constexpr variables<std::string_view> units{.w = "{target}"};
  template <class T>
  static T on_pre(const variables<T>& s, const parameters&) {
    return s.w;
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::static_synapse::parameters);
