// How a user writes a neuron model: a struct and one update function.
#include <cmath>
#include <cstdio>

#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;

// Leaky integrate-and-fire with a constant input current, forward Euler.
struct my_lif {
  struct parameters {
    double tau_m = 10;     // [ms]
    double v_rest = -65;   // [mV]
    double v_th = -50;     // [mV]
    double v_reset = -70;  // [mV]
    double t_ref = 2;      // [ms]
    double RI = 20;        // [mV] input current times membrane resistance
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v));  // [mV]
  };
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    x.v = sw::select(s.refractory, x.v, x.v + (p.v_rest - x.v + p.RI) * (s.dt / p.tau_m));
    return x.v > p.v_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) { x.v = p.v_reset; }
  static double refractory(const parameters& p) { return p.t_ref; }
};
BOOST_HANA_ADAPT_STRUCT(my_lif::parameters, tau_m, v_rest, v_th, v_reset, t_ref, RI);

int main() {
  auto net = sw::network{{.dt = 0.1}, sw::population<my_lif, "cells">{100, {.RI = 20}, {.v = -65}}};
  net.simulate(1000);
  auto& cells = net.population<"cells">();
  // Analytic period: t_ref + tau_m ln((v_rest + RI - v_reset) / (v_rest + RI - v_th)).
  const my_lif::parameters& p = cells.parameters();
  const double period = p.t_ref + p.tau_m * std::log((p.v_rest + p.RI - p.v_reset) / (p.v_rest + p.RI - p.v_th));
  std::printf("my_lif: %.1f spikes per neuron in 1 s (analytic, continuous time: %.1f)\n",
              static_cast<double>(cells.spike_count()) / static_cast<double>(cells.size()), 1000 / period);
  return cells.spike_count() > 0 ? 0 : 1;
}
