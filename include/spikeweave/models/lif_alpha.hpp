// Leaky integrate-and-fire neuron with alpha-shaped synaptic currents, integrated exactly.
//
//   tau_m dv/dt   = E_l - v + I_e + I_i             (unless refractory)
//   tau_e dI_e/dt = -I_e + e y_e,   tau_e dy_e/dt = -y_e
//   tau_i dI_i/dt = -I_i + e y_i,   tau_i dy_i/dt = -y_i
//   spike when v > v_th; then v = v_reset and v is held for t_ref.
//
// A spike adds its weight J to the auxiliary variable y_e (or y_i), the
// synaptic target; the current that follows is the alpha function
//   I(t) = J (t / tau) e^(1 - t / tau),
// which peaks at J when t = tau (NEST's iaf_psc_alpha normalisation). As in
// lif_curr_exp, currents are the voltage they cause at the membrane
// resistance (R I, in mV); inhibitory weights are negative.
//
// The system is linear with constant coefficients, so each step applies its
// exact propagator (Rotter & Diesmann 1999, Biol Cybern 81:381); nothing
// here depends on dt being small. The defaults of the synaptic time
// constants are NEST's (2 ms).
#pragma once

#include <cmath>
#include <numbers>

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct lif_alpha {
  struct parameters {
    double tau_m = 20;     // [ms] membrane time constant
    double E_l = -60;      // [mV] resting potential
    double v_th = -50;     // [mV] spike threshold
    double v_reset = -60;  // [mV] reset potential
    double t_ref = 5;      // [ms] refractory period
    double tau_e = 2;      // [ms] rise time (time to peak) of an excitatory current
    double tau_i = 2;      // [ms] rise time of an inhibitory current
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),     // [mV] membrane potential
                             (T, I_e),   // [mV] excitatory current (R I)
                             (T, y_e),   // [mV] its auxiliary variable, a synaptic target
                             (T, I_i),   // [mV] inhibitory current (R I)
                             (T, y_i));  // [mV] its auxiliary variable, a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .I_e = "mV", .y_e = "mV", .I_i = "mV", .y_i = "mV"};

  /// The propagator of one step for a synapse with time constant tau.
  struct synapse_propagator {
    double P_vI;  // I's contribution to v
    double P_vy;  // y's contribution to v
    double P_II;  // = P_yy = e^(-dt/tau)
    double P_Iy;  // y's contribution to I: e dt/tau e^(-dt/tau)
  };
  struct derived {
    double P_vv;  // e^(-dt/tau_m)
    synapse_propagator e, i;
  };

  static synapse_propagator propagator(double tau_m, double tau, double dt) {
    // With c = 1/tau_m - 1/tau and z = c dt:
    //   P_vI = dt/tau_m e^(-dt/tau_m) (e^z - 1)/z
    //   P_vy = e dt^2/(tau_m tau) e^(-dt/tau_m) (e^z (z - 1) + 1)/z^2,
    // both continuous at tau = tau_m (z = 0), where the fractions are 1 and 1/2;
    // near there they come from their series, elsewhere with expm1.
    const double z = dt * (tau - tau_m) / (tau_m * tau);
    const double decay = std::exp(-dt / tau_m);
    double exprel = 1, q = 0.5;
    if (std::abs(z) < 0.5) {
      // exprel(z) = sum z^k/(k+1)!, q(z) = sum (k+1) z^k/(k+2)!, k >= 0; 20 terms are exact to rounding here.
      double a = 1, b = 0.5;  // z^k/(k+1)! and z^k/(k+2)! at k = 0
      for (int k = 1; k < 20; ++k) {
        a *= z / (k + 1);
        b *= z / (k + 2);
        exprel += a;
        q += (k + 1) * b;
      }
    } else {
      const double em1 = std::expm1(z);
      exprel = em1 / z;
      q = (z + (z - 1) * em1) / (z * z);
    }
    const double e = std::numbers::e;
    return {dt / tau_m * decay * exprel, e * dt * dt / (tau_m * tau) * decay * q, std::exp(-dt / tau),
            e * dt / tau * std::exp(-dt / tau)};
  }
  static derived derive(const parameters& p, double dt) {
    return {std::exp(-dt / p.tau_m), propagator(p.tau_m, p.tau_e, dt), propagator(p.tau_m, p.tau_i, dt)};
  }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const derived& d, const step_info<T>& s) {
    const T v = p.E_l + (x.v - p.E_l) * d.P_vv + (x.I_e * d.e.P_vI + x.y_e * d.e.P_vy) +
                (x.I_i * d.i.P_vI + x.y_i * d.i.P_vy);
    x.v = select(s.refractory, x.v, v);
    x.I_e = x.I_e * d.e.P_II + x.y_e * d.e.P_Iy;
    x.y_e *= d.e.P_II;
    x.I_i = x.I_i * d.i.P_II + x.y_i * d.i.P_Iy;
    x.y_i *= d.i.P_II;
    return x.v > p.v_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.v = p.v_reset;
  }
  static double refractory(const parameters& p) { return p.t_ref; }
  static variables<double> initial(const parameters& p) { return {p.E_l, 0, 0, 0, 0}; }
  static void check(const parameters& p, rules& r) {
    r.positive(p.tau_m);
    r.positive(p.tau_e);
    r.positive(p.tau_i);
    r.non_negative(p.t_ref);
    r.less(p.v_reset, p.v_th);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::lif_alpha::parameters, tau_m, E_l, v_th, v_reset, t_ref, tau_e, tau_i);
