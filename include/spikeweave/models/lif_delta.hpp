// Leaky integrate-and-fire neuron with delta synapses (NEST's iaf_psc_delta; Brunel 2000).
//
//   tau_m dv/dt = E_l - v                      between inputs, integrated exactly
//   an input of weight J makes v jump by J     (the target `dv` collects the
//                                               jumps of one step)
//   spike when v >= v_th; then v = v_reset and v is held for t_ref; inputs
//   arriving while refractory are discarded (NEST's default).
#pragma once

#include <cmath>

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct lif_delta {
  struct parameters {
    double tau_m = 20;    // [ms] membrane time constant
    double E_l = 0;       // [mV] resting potential
    double v_th = 20;     // [mV] spike threshold
    double v_reset = 10;  // [mV] reset potential
    double t_ref = 2;     // [ms] refractory period
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),    // [mV] membrane potential
                             (T, dv));  // [mV] jumps arriving in this step, a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .dv = "mV"};
  struct derived {
    double P;  // exp(-dt / tau_m)
  };

  static derived derive(const parameters& p, double dt) { return {std::exp(-dt / p.tau_m)}; }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const derived& d, const step_info<T>& s) {
    x.v = select(s.refractory, x.v, p.E_l + (x.v - p.E_l) * d.P + x.dv);
    x.dv = 0;
    return x.v >= p.v_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.v = p.v_reset;
  }
  static double refractory(const parameters& p) { return p.t_ref; }
  static variables<double> initial(const parameters& p) { return {p.E_l, 0}; }
  static void check(const parameters& p, rules& r) {
    r.positive(p.tau_m);
    r.non_negative(p.t_ref);
    r.less(p.v_reset, p.v_th);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::lif_delta::parameters, tau_m, E_l, v_th, v_reset, t_ref);
