// Izhikevich (2003) simple spiking neuron.
//
//   dv/dt = 0.04 v^2 + 5 v + 140 - u + I_ext + I
//   du/dt = a (b v - u)
//   spike when v >= v_peak; then v = c, u = u + d.
//
// v in mV, t in ms, currents in the model's own units (Izhikevich 2003,
// IEEE Trans. Neural Netw. 14:1569). The defaults are a regular-spiking
// cortical cell; the paper's Fig. 2 gives the other classes (see docs).
// `I` is a synaptic target that holds the input of one step and is cleared
// after use. Forward Euler.
#pragma once

#include <cmath>

#include "../model/neuron.hpp"

namespace spikeweave::models {

struct izhikevich {
  struct parameters {
    double a = 0.02;      // [1/ms] recovery rate
    double b = 0.2;       // [1] sensitivity of u to v
    double c = -65;       // [mV] reset potential
    double d = 8;         // [mV/ms] reset increment of u
    double v_peak = 30;   // [mV] spike cut-off
    double I_ext = 0;     // [mV/ms] constant input
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, v),   // [mV] membrane potential
                             (T, u),   // [mV/ms] recovery variable
                             (T, I));  // [mV/ms] input of this step, a synaptic target
  };
  static constexpr variables<std::string_view> units{.v = "mV", .u = "mV/ms", .I = "mV/ms"};

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const step_info<T>& s) {
    const T dv = (0.04 * x.v * x.v + 5.0 * x.v + 140.0 - x.u + p.I_ext + x.I) * s.dt;
    const T du = p.a * (p.b * x.v - x.u) * s.dt;
    x.v += dv;
    x.u += du;
    x.I = 0;
    return x.v >= p.v_peak;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.v = p.c;
    x.u += p.d;
  }
  // The resting state (the lower root of dv/dt = 0 on u = b v) when there is one.
  static variables<double> initial(const parameters& p) {
    const double disc = (5 - p.b) * (5 - p.b) - 4 * 0.04 * (140 + p.I_ext);
    const double v = disc >= 0 ? (-(5 - p.b) - std::sqrt(disc)) / (2 * 0.04) : -65.0;
    return {v, p.b * v, 0};
  }
  static void check(const parameters& p, rules& r) {
    r.positive(p.a);
    r.less(p.c, p.v_peak);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::izhikevich::parameters, a, b, c, d, v_peak, I_ext);
