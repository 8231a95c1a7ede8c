// Leaky integrate-and-fire neuron with exponentially decaying synaptic currents, integrated exactly.
//
//   tau_m dv/dt   = E_l - v + I_e + I_i     (unless refractory)
//   tau_e dI_e/dt = -I_e
//   tau_i dI_i/dt = -I_i
//   spike when v > v_th; then v = v_reset and v is held for t_ref.
//
// The synaptic inputs are currents expressed as the voltage they cause at the
// membrane resistance (R I, in mV), as in Brette et al. (2007), benchmark 2
// (CUBA). The linear system is propagated exactly over a step (Rotter &
// Diesmann 1999), which is Brian2's `method='exact'` for these equations.
#pragma once

#include <cmath>

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct lif_curr_exp {
  struct parameters {
    double tau_m = 20;     // [ms] membrane time constant
    double E_l = -60;      // [mV] resting potential
    double v_th = -50;     // [mV] spike threshold
    double v_reset = -60;  // [mV] reset potential
    double t_ref = 5;      // [ms] refractory period
    double tau_e = 5;      // [ms] excitatory current time constant
    double tau_i = 10;     // [ms] inhibitory current time constant
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),     // [mV] membrane potential
                             (T, I_e),   // [mV] excitatory input (R I), a synaptic target
                             (T, I_i));  // [mV] inhibitory input (R I), a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .I_e = "mV", .I_i = "mV"};
  struct derived {
    double P_mm, P_me, P_mi, P_ee, P_ii;  // propagator of one step
  };

  static derived derive(const parameters& p, double dt) {
    // Contribution of a current decaying with tau_s to v after dt:
    // tau_s / (tau_s - tau_m) (e^(-dt/tau_s) - e^(-dt/tau_m)), written with
    // expm1 so it stays accurate as tau_s approaches tau_m.
    auto coupling = [&](double tau_s) {
      const double h = tau_s - p.tau_m;
      if (h == 0) return dt / p.tau_m * std::exp(-dt / p.tau_m);
      return std::exp(-dt / p.tau_m) * tau_s / h * std::expm1(dt * h / (p.tau_m * tau_s));
    };
    return {std::exp(-dt / p.tau_m), coupling(p.tau_e), coupling(p.tau_i), std::exp(-dt / p.tau_e),
            std::exp(-dt / p.tau_i)};
  }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const derived& d, const step_info<T>& s) {
    const T v = p.E_l + (x.v - p.E_l) * d.P_mm + x.I_e * d.P_me + x.I_i * d.P_mi;
    x.v = select(s.refractory, x.v, v);
    x.I_e *= d.P_ee;
    x.I_i *= d.P_ii;
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

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::lif_curr_exp::parameters, tau_m, E_l, v_th, v_reset,
                        t_ref, tau_e, tau_i);
