// Leaky integrate-and-fire neuron with exponential synaptic currents in pA, integrated exactly (NEST's iaf_psc_exp).
//
//   C_m dV_m/dt      = -C_m / tau_m (V_m - E_L) + I_syn_ex + I_syn_in + I_e   (unless refractory)
//   tau_syn_ex dI_syn_ex/dt = -I_syn_ex
//   tau_syn_in dI_syn_in/dt = -I_syn_in
//   spike when V_m >= V_th; then V_m = V_reset, held for t_ref.
//
// The model of the Potjans & Diesmann (2014) cortical microcircuit. Each step
// propagates the linear system exactly (Rotter & Diesmann 1999): V_m with
// the currents at the start of the step, then the currents decay; input that
// arrives in a step (a weight in pA added to I_syn_ex or I_syn_in) acts from
// the next step on, as in NEST. Excitatory weights are positive, inhibitory
// ones negative; the two targets only differ by their time constant.
#pragma once

#include <cmath>
#include <string_view>

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct iaf_psc_exp {
  struct parameters {
    double C_m = 250;         // [pF] membrane capacitance
    double tau_m = 10;        // [ms] membrane time constant
    double tau_syn_ex = 2;    // [ms] excitatory current time constant
    double tau_syn_in = 2;    // [ms] inhibitory current time constant
    double t_ref = 2;         // [ms] refractory period
    double E_L = -70;         // [mV] resting potential
    double V_th = -55;        // [mV] spike threshold
    double V_reset = -70;     // [mV] reset potential
    double I_e = 0;           // [pA] constant input current
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, V_m),        // [mV] membrane potential
                             (T, I_syn_ex),   // [pA] excitatory synaptic current, a synaptic target
                             (T, I_syn_in));  // [pA] inhibitory synaptic current, a synaptic target
  };
  static constexpr variables<std::string_view> units{.V_m = "mV", .I_syn_ex = "pA", .I_syn_in = "pA"};
  struct derived {
    double P22;          // exp(-dt / tau_m)
    double P21ex, P21in; // [mV/pA] V_m after dt per pA of current at the start
    double P20;          // [mV/pA] V_m after dt per pA of constant current
    double P11ex, P11in; // current decay over dt
  };

  static derived derive(const parameters& p, double dt) {
    // tau_m / C_m * tau_s / (tau_s - tau_m) (e^(-dt/tau_s) - e^(-dt/tau_m)), with
    // expm1 so that it stays accurate as tau_s approaches tau_m.
    const double R = p.tau_m / p.C_m;  // [GOhm] = [mV/pA]
    auto coupling = [&](double tau_s) {
      const double h = tau_s - p.tau_m;
      if (h == 0) return R * dt / p.tau_m * std::exp(-dt / p.tau_m);
      return R * std::exp(-dt / p.tau_m) * tau_s / h * std::expm1(dt * h / (p.tau_m * tau_s));
    };
    return {std::exp(-dt / p.tau_m), coupling(p.tau_syn_ex), coupling(p.tau_syn_in), -R * std::expm1(-dt / p.tau_m),
            std::exp(-dt / p.tau_syn_ex), std::exp(-dt / p.tau_syn_in)};
  }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const derived& d, const step_info<T>& s) {
    const T v = p.E_L + (x.V_m - p.E_L) * d.P22 + x.I_syn_ex * d.P21ex + x.I_syn_in * d.P21in + p.I_e * d.P20;
    x.V_m = select(s.refractory, x.V_m, v);
    x.I_syn_ex *= d.P11ex;
    x.I_syn_in *= d.P11in;
    return x.V_m >= p.V_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.V_m = p.V_reset;
  }
  static double refractory(const parameters& p) { return p.t_ref; }
  static variables<double> initial(const parameters& p) { return {p.E_L, 0, 0}; }
  static void check(const parameters& p, rules& r) {
    r.positive(p.C_m);
    r.positive(p.tau_m);
    r.positive(p.tau_syn_ex);
    r.positive(p.tau_syn_in);
    r.non_negative(p.t_ref);
    r.less(p.V_reset, p.V_th);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::iaf_psc_exp::parameters, C_m, tau_m, tau_syn_ex, tau_syn_in, t_ref, E_L,
                        V_th, V_reset, I_e);
