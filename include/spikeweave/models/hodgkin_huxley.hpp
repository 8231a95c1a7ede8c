// Hodgkin-Huxley neuron with Traub-Miles kinetics and exponential synaptic conductances (the COBAHH neuron).
//
//   C dv/dt = G_l (E_l - v) + g_e (E_e - v) + g_i (E_i - v)
//             + G_na m^3 h (E_Na - v) + G_kd n^4 (E_K - v) + I_e
//   dm/dt = alpha_m (1 - m) - beta_m m     (h and n alike)
//   tau_e dg_e/dt = -g_e,   tau_i dg_i/dt = -g_i
// with u = v - V_T and the rates [1/ms]
//   alpha_m = 0.32 (13 - u) / (e^((13 - u)/4) - 1)   beta_m = 0.28 (u - 40) / (e^((u - 40)/5) - 1)
//   alpha_h = 0.128 e^((17 - u)/18)                   beta_h = 4 / (1 + e^((40 - u)/5))
//   alpha_n = 0.032 (15 - u) / (e^((15 - u)/5) - 1)  beta_n = 0.5 e^((10 - u)/40)
// A spike is an upward crossing of v_th: v > v_th after the step and v <= v_th
// before it (Brian2's `threshold='v > -20*mV', refractory='v > -20*mV'`).
// No reset, no refractory period: the channels make the spike and its recovery.
//
// Brette R et al. (2007) J Comput Neurosci 23:349, benchmark 3, after Traub RD,
// Miles R (1991) Neuronal Networks of the Hippocampus. Membrane parameters are
// densities on a patch of `area` (C_m in uF/cm^2, conductances in mS/cm^2) as
// in the benchmark; G = g area and C = C_m area are in nS and pF, synaptic
// conductances g_e, g_i (targets) in nS (the benchmark's weights: 6 nS
// excitatory, 67 nS inhibitory), currents in pA, v in mV, t in ms.
//
// Integrated with exponential Euler (model/integrators.hpp), as Brian2's
// COBAHH example (`method='exponential_euler'`): every equation is linear in
// its own variable, and the step solves it exactly with the others frozen.
//
// With these parameters and no input the cell has no stable resting state
// and fires at 13 Hz; a hyperpolarising current below -31.8 pA silences it
// (a saddle-node on the invariant circle: the rate starts from zero there).
// The initial state is v = E_l with the gates at their steady state for that v.
#pragma once

#include <cmath>

#include "../model/integrators.hpp"
#include "../model/neuron.hpp"

namespace spikeweave::models {

struct hodgkin_huxley {
  struct parameters {
    double area = 20000;  // [um^2] membrane area
    double C_m = 1;       // [uF/cm^2] specific capacitance
    double g_l = 0.05;    // [mS/cm^2] leak conductance density
    double g_na = 100;    // [mS/cm^2] sodium conductance density
    double g_kd = 30;     // [mS/cm^2] delayed-rectifier potassium conductance density
    double E_l = -60;     // [mV] leak reversal potential
    double E_Na = 50;     // [mV] sodium reversal potential
    double E_K = -90;     // [mV] potassium reversal potential
    double V_T = -63;     // [mV] shifts the rate functions (sets the threshold)
    double v_th = -20;    // [mV] spike detection: upward crossing
    double tau_e = 5;     // [ms] excitatory conductance time constant
    double tau_i = 10;    // [ms] inhibitory conductance time constant
    double E_e = 0;       // [mV] excitatory reversal potential
    double E_i = -80;     // [mV] inhibitory reversal potential
    double I_e = 0;       // [pA] constant injected current
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),     // [mV] membrane potential
                             (T, m),     // [1] sodium activation
                             (T, h),     // [1] sodium inactivation
                             (T, n),     // [1] potassium activation
                             (T, g_e),   // [nS] excitatory conductance, a synaptic target
                             (T, g_i));  // [nS] inhibitory conductance, a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .m = "1", .h = "1", .n = "1", .g_e = "nS", .g_i = "nS"};
  // um^2 * uF/cm^2 = 1e-2 pF and um^2 * mS/cm^2 = 1e-2 nS.
  struct derived {
    double C;     // [pF] capacitance
    double G_l;   // [nS] leak conductance
    double G_na;  // [nS] maximal sodium conductance
    double G_kd;  // [nS] maximal potassium conductance
  };
  static derived derive(const parameters& p, double) {
    const double to_cell = p.area * 1e-2;
    return {p.C_m * to_cell, p.g_l * to_cell, p.g_na * to_cell, p.g_kd * to_cell};
  }

  /// Opening (alpha) and closing (beta) rates of the gates at v [1/ms].
  template <class T>
  struct gate_rates {
    T alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n;
  };
  template <class T>
  static gate_rates<T> rates(const T& v, const parameters& p) {
    const T u = v - p.V_T;
    return {T(0.32 * 4.0 * x_over_expm1(T((13.0 - u) / 4.0))), T(0.28 * 5.0 * x_over_expm1(T((u - 40.0) / 5.0))),
            T(0.128 * exp(T((17.0 - u) / 18.0))),              T(4.0 / (1.0 + exp(T((40.0 - u) / 5.0)))),
            T(0.032 * 5.0 * x_over_expm1(T((15.0 - u) / 5.0))), T(0.5 * exp(T((10.0 - u) / 40.0)))};
  }

  /// dx/dt = A - B x for every variable.
  template <class T>
  static variables<linear<T>> derivative(const variables<T>& y, const parameters& p, const derived& d) {
    const gate_rates<T> r = rates(y.v, p);
    const T g_na = d.G_na * (y.m * y.m * y.m) * y.h;
    const T g_kd = d.G_kd * ((y.n * y.n) * (y.n * y.n));
    const T drive = d.G_l * p.E_l + y.g_e * p.E_e + y.g_i * p.E_i + g_na * p.E_Na + g_kd * p.E_K + p.I_e;
    const T conductance = d.G_l + y.g_e + y.g_i + g_na + g_kd;
    return {{T(drive / d.C), T(conductance / d.C)},
            {r.alpha_m, r.alpha_m + r.beta_m},
            {r.alpha_h, r.alpha_h + r.beta_h},
            {r.alpha_n, r.alpha_n + r.beta_n},
            {T(0), T(1 / p.tau_e)},
            {T(0), T(1 / p.tau_i)}};
  }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const derived& d, const step_info<T>& s) {
    const auto was_above = x.v > p.v_th;
    x = integrate<exponential_euler>(x, s.dt, [&](const variables<T>& y) { return derivative(y, p, d); });
    return (x.v > p.v_th) && !was_above;
  }

  /// v = E_l, the gates at their steady state there, no conductance.
  static variables<double> initial(const parameters& p) {
    const auto r = rates(p.E_l, p);
    return {p.E_l,
            r.alpha_m / (r.alpha_m + r.beta_m),
            r.alpha_h / (r.alpha_h + r.beta_h),
            r.alpha_n / (r.alpha_n + r.beta_n),
            0,
            0};
  }
  static void check(const parameters& p, rules& r) {
    r.positive(p.area);
    r.positive(p.C_m);
    r.non_negative(p.g_l);
    r.non_negative(p.g_na);
    r.non_negative(p.g_kd);
    r.positive(p.tau_e);
    r.positive(p.tau_i);
  }

 private:
  // x / (e^x - 1), 1 at x = 0 (Brian2's 1 / exprel(x)).
  template <class T>
  static T x_over_expm1(const T& x) {
    return select(x == 0.0, T(1), T(x / expm1(x)));
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::hodgkin_huxley::parameters, area, C_m, g_l, g_na, g_kd, E_l, E_Na, E_K,
                        V_T, v_th, tau_e, tau_i, E_e, E_i, I_e);
