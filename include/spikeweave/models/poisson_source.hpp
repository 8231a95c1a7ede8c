// Poisson spike source: each neuron fires in a step with probability rate * dt.
//
// `rate` is a per-neuron variable, so every neuron can have its own rate (set
// it through the population's initial values or its columns); the parameter
// of the same name is the rate neurons start with. Random numbers come from
// the network's counter-based generator, so a source fires the same spikes
// for the same seed however the work is split.
#pragma once

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct poisson_source {
  struct parameters {
    double rate = 10;  // [Hz] initial rate of every neuron
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, rate));  // [Hz] firing rate
  };
  static constexpr variables<std::string_view> units{.rate = "Hz"};

  template <class T>
  static auto update(variables<T>& x, const parameters&, const step_info<T>& s) {
    return s.uniform() < x.rate * (s.dt * 1e-3);
  }
  static variables<double> initial(const parameters& p) { return {p.rate}; }
  static void check(const parameters& p, rules& r) { r.non_negative(p.rate); }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::poisson_source::parameters, rate);
