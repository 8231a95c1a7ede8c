// User models that integrate their equations with the library's integrators
// (docs/models.md, "Integrating a model's equations"): RK4 and exponential Euler.
// Run by examples/integrators.cpp, tested by tests/model/integrators_example_test.cpp.
#pragma once

#include <cmath>

#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;

// Quadratic integrate-and-fire neuron with an exponential synaptic current, RK4.
struct my_qif {
  struct parameters {
    double tau_m = 10;     // [ms]
    double v_rest = -65;   // [mV]
    double v_c = -50;      // [mV] critical potential: above it v runs away
    double v_peak = 30;    // [mV]
    double v_reset = -70;  // [mV]
    double tau_s = 5;      // [ms]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v), (T, I));  // [mV], [mV] (R I, a synaptic target)
  };
  // dx/dt, as a struct with the same members.
  template <class T>
  static variables<T> derivative(const variables<T>& y, const parameters& p) {
    const T quadratic = (y.v - p.v_rest) * (y.v - p.v_c) / (p.v_c - p.v_rest);
    return {(quadratic + y.I) / p.tau_m, -y.I / p.tau_s};
  }
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    x = sw::integrate<sw::rk4>(x, s.dt, [&](const auto& y) { return derivative(y, p); });
    return x.v >= p.v_peak;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) { x.v = p.v_reset; }
  static variables<double> initial(const parameters& p) { return {p.v_rest, 0}; }
};
BOOST_HANA_ADAPT_STRUCT(my_qif::parameters, tau_m, v_rest, v_c, v_peak, v_reset, tau_s);

// A gating variable in the linear form, for exponential Euler: dq/dt = alpha (1 - q) - beta q.
struct my_gate {
  struct parameters {
    double alpha = 0.5;  // [1/ms] opening rate
    double beta = 0.1;   // [1/ms] closing rate
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, q));  // [1] open fraction
  };
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    x = sw::integrate<sw::exponential_euler>(x, s.dt, [&](const variables<T>&) {
      return variables<sw::linear<T>>{{T(p.alpha), T(p.alpha + p.beta)}};  // A - B q
    });
    return x.q > 2.0;  // never: the gate only relaxes
  }
};
BOOST_HANA_ADAPT_STRUCT(my_gate::parameters, alpha, beta);
