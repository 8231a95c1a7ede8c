// The user models of docs/models.md, "Integrating a model's equations", compiled and run.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
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

TEST_CASE("the docs' RK4 user model runs in a network and converges with the step", "[integrators][example]") {
  // A current of 40 mV (R I) decaying with 5 ms makes one spike; its time does not depend on dt beyond a step.
  auto first_spike = [](double dt) {
    auto net = sw::network{{.dt = dt}, sw::population<my_qif, "cells">{10, {}, {.I = 40}}};
    for (int k = 0; k < static_cast<int>(50 / dt); ++k) {
      net.step();
      if (!net.population<"cells">().spikes().empty()) {
        CHECK(net.population<"cells">().spikes().size() == 10);
        return net.current_time();
      }
    }
    return -1.0;
  };
  const double coarse = first_spike(0.1), fine = first_spike(0.001);
  INFO("first spike at " << coarse << " ms (dt = 0.1), " << fine << " ms (dt = 0.001)");
  CHECK(fine > 0);
  CHECK(std::abs(coarse - fine) <= 0.1);
}

TEST_CASE("the docs' exponential-Euler user model relaxes exactly", "[integrators][example]") {
  auto net = sw::network{{.dt = 1.0}, sw::population<my_gate, "g">{3}};
  net.simulate(20);
  const double q_inf = 0.5 / 0.6;
  CHECK(net.population<"g">().columns().q[0] == Approx(q_inf * (1 - std::exp(-0.6 * 20))).epsilon(1e-14));
}
