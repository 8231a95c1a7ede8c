// Leaky integrate-and-fire neuron with exponentially decaying synaptic conductances (the COBA neuron).
//
//   tau_m dv/dt   = (E_l - v) + g_e (E_e - v) + g_i (E_i - v)   (unless refractory)
//   tau_e dg_e/dt = -g_e
//   tau_i dg_i/dt = -g_i
//   spike when v > v_th; then v = v_reset and v is held for t_ref.
//
// Conductances are in units of the leak conductance g_L, as in Brette et al.
// (2007), benchmark 1 (after Vogels & Abbott 2005), where a 6 nS synapse on a
// 10 nS leak is a weight of 0.6. Integrated with forward Euler, as in that
// benchmark (Brian2: `method='euler'`).
#pragma once

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct lif_cond_exp {
  struct parameters {
    double tau_m = 20;     // [ms] membrane time constant
    double E_l = -60;      // [mV] leak reversal potential
    double v_th = -50;     // [mV] spike threshold
    double v_reset = -60;  // [mV] reset potential
    double t_ref = 5;      // [ms] refractory period
    double tau_e = 5;      // [ms] excitatory conductance time constant
    double tau_i = 10;     // [ms] inhibitory conductance time constant
    double E_e = 0;        // [mV] excitatory reversal potential
    double E_i = -80;      // [mV] inhibitory reversal potential
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),     // [mV] membrane potential
                             (T, g_e),   // [g_L] excitatory conductance, a synaptic target
                             (T, g_i));  // [g_L] inhibitory conductance, a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .g_e = "g_L", .g_i = "g_L"};

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const step_info<T>& s) {
    const T dv = (p.E_l - x.v + x.g_e * (p.E_e - x.v) + x.g_i * (p.E_i - x.v)) * (s.dt / p.tau_m);
    x.v = select(s.refractory, x.v, x.v + dv);
    x.g_e -= x.g_e * (s.dt / p.tau_e);
    x.g_i -= x.g_i * (s.dt / p.tau_i);
    return x.v > p.v_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.v = p.v_reset;
  }
  static double refractory(const parameters& p) { return p.t_ref; }
  static variables<double> initial(const parameters& p) { return {p.E_l, 0, 0}; }
  static void check(const parameters& p, rules& r) {
    r.positive(p.tau_m);
    r.positive(p.tau_e);
    r.positive(p.tau_i);
    r.non_negative(p.t_ref);
    r.less(p.v_reset, p.v_th);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::lif_cond_exp::parameters, tau_m, E_l, v_th, v_reset,
                        t_ref, tau_e, tau_i, E_e, E_i);
