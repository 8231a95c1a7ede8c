// Adaptive exponential integrate-and-fire neuron (AdEx; Brette & Gerstner 2005) with exponential synaptic currents.
//
//   C dv/dt       = -g_L (v - E_L) + g_L Delta_T exp((v - V_T) / Delta_T) - w + I_e + I_syn_e + I_syn_i
//   tau_w dw/dt   = a (v - E_L) - w
//   tau_syn_e dI_syn_e/dt = -I_syn_e,   tau_syn_i dI_syn_i/dt = -I_syn_i
//   spike when v >= v_peak; then v = v_reset, w = w + b, and v is held at
//   v_reset for t_ref (w keeps evolving, with v = v_reset).
//
// Units: mV, ms, pF, nS and pA (pF mV/ms = nS mV = pA, so no factor appears;
// Naud et al. 2008 and NEST's aeif models use the same). I_syn_e and I_syn_i
// are synaptic targets [pA]: a spike of weight w adds w to the current, which
// then decays (inhibitory weights are negative). I_e is a constant injected current.
//
// Brette R, Gerstner W (2005) J Neurophysiol 94:3637. The defaults are that
// paper's regular-spiking cell with NEST's v_peak = 0 mV; Naud R, Marcille N,
// Clopath C, Gerstner W (2008) Biol Cybern 99:335, Table 1, gives the
// parameters of the other firing patterns (see docs/models.md).
//
// Integrated with classic RK4 (model/integrators.hpp). The exponential makes
// v run away within a fraction of a millisecond once it passes V_T; so that
// no stage of a step sees an infinite or absurd v, the right-hand side uses
// min(v, v_peak) for v (as NEST's aeif models do), which changes nothing
// below v_peak, and the exponent is clipped at 500.
#pragma once

#include <cmath>

#include "../model/integrators.hpp"
#include "../model/neuron.hpp"

namespace spikeweave::models {

struct adex {
  struct parameters {
    double C = 281;          // [pF] membrane capacitance
    double g_L = 30;         // [nS] leak conductance
    double E_L = -70.6;      // [mV] leak reversal potential
    double V_T = -50.4;      // [mV] threshold slope point of the exponential
    double Delta_T = 2;      // [mV] slope factor
    double a = 4;            // [nS] subthreshold adaptation
    double tau_w = 144;      // [ms] adaptation time constant
    double b = 80.5;         // [pA] spike-triggered adaptation increment
    double v_reset = -70.6;  // [mV] reset potential
    double v_peak = 0;       // [mV] spike detection (the spike is cut here)
    double t_ref = 0;        // [ms] refractory period
    double I_e = 0;          // [pA] constant injected current
    double tau_syn_e = 5;    // [ms] excitatory synaptic current time constant
    double tau_syn_i = 10;   // [ms] inhibitory synaptic current time constant
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),         // [mV] membrane potential
                             (T, w),         // [pA] adaptation current
                             (T, I_syn_e),   // [pA] excitatory synaptic current, a synaptic target
                             (T, I_syn_i));  // [pA] inhibitory synaptic current, a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .w = "pA", .I_syn_e = "pA", .I_syn_i = "pA"};

  /// dx/dt; while refractory, v is v_reset and does not move.
  template <class T>
  static variables<T> derivative(const variables<T>& y, const parameters& p, const mask_t<T>& refractory) {
    const T v = select(refractory, T(p.v_reset), min(y.v, p.v_peak));
    const T spike = p.g_L * p.Delta_T * exp(min((v - p.V_T) / p.Delta_T, 500.0));
    const T dv = (p.g_L * (p.E_L - v) + spike - y.w + p.I_e + y.I_syn_e + y.I_syn_i) / p.C;
    return {select(refractory, T(0), dv), T((p.a * (v - p.E_L) - y.w) / p.tau_w), T(-y.I_syn_e / p.tau_syn_e),
            T(-y.I_syn_i / p.tau_syn_i)};
  }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const step_info<T>& s) {
    x = integrate<rk4>(x, s.dt, [&](const variables<T>& y) { return derivative(y, p, s.refractory); });
    return x.v >= p.v_peak;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.v = p.v_reset;
    x.w += p.b;
  }
  static double refractory(const parameters& p) { return p.t_ref; }

  /// The resting state with the injected current I_e: the lower root of dv/dt = 0
  /// on w = a (v - E_L) when there is one, otherwise v = E_L, w = 0.
  static variables<double> initial(const parameters& p) {
    // F(v) = dv/dt C on the w-nullcline; convex when g_L + a > 0, so its lower
    // root lies below the minimum, where F falls.
    auto F = [&](double v) {
      return -(p.g_L + p.a) * (v - p.E_L) + p.g_L * p.Delta_T * std::exp((v - p.V_T) / p.Delta_T) + p.I_e;
    };
    const double k = p.g_L + p.a;
    if (k > 0 && p.g_L > 0 && p.Delta_T > 0) {
      double hi = p.V_T + p.Delta_T * std::log(k / p.g_L);  // where F is smallest
      double lo = p.E_L + p.I_e / k - 1000;
      if (F(hi) < 0 && F(lo) > 0) {
        for (int i = 0; i < 200 && lo < hi; ++i) {
          const double mid = 0.5 * (lo + hi);
          if (mid <= lo || mid >= hi) break;
          (F(mid) > 0 ? lo : hi) = mid;
        }
        return {lo, p.a * (lo - p.E_L), 0, 0};
      }
    }
    return {p.E_L, 0, 0, 0};
  }
  static void check(const parameters& p, rules& r) {
    r.positive(p.C);
    r.positive(p.g_L);
    r.positive(p.Delta_T);
    r.positive(p.tau_w);
    r.positive(p.tau_syn_e);
    r.positive(p.tau_syn_i);
    r.non_negative(p.t_ref);
    r.less(p.v_reset, p.v_peak);
    r.less(p.V_T, p.v_peak);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::adex::parameters, C, g_L, E_L, V_T, Delta_T, a, tau_w, b, v_reset,
                        v_peak, t_ref, I_e, tau_syn_e, tau_syn_i);
