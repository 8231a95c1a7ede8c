// Populations built the documented ways, their state, a spike generator
// driving them, and a population read inside a template (docs/network.md).
#include <cstdio>
#include <span>
#include <vector>

#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::lif_cond_exp;
using sw::models::spike_generator;
using sw::models::static_synapse;

// Inside a template, the network's type depends on a template parameter: write
// `net.template population<"cells">()` so that the compiler reads `<` as the
// start of template arguments.
template <class Net>
double mean_v(const Net& net) {
  const auto& cells = net.template population<"cells">();
  double sum = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) sum += cells.columns().v[i];
  return sum / static_cast<double>(cells.size());
}

int main() {
  // {size}, {size, parameters}, {size, parameters, initial values}; `{}` keeps the defaults.
  sw::population<lif_cond_exp, "A"> a{100};
  sw::population<lif_cond_exp, "B"> b{100, {.tau_m = 10}};
  sw::population<lif_cond_exp, "C"> c{100, {}, {.v = sw::uniform(-60, -50)}};
  sw::population<lif_cond_exp, "D"> d{100, {}, {.v = std::vector<float>(100, -55.0f), .g_e = sw::normal(0.1, 0.01)}};

  // One network in single precision.
  auto net32 = sw::network{sw::precision<float>, {.dt = 0.1, .seed = 42},
                           sw::population<lif_cond_exp, "E">{100, {}, {.v = sw::uniform(-60, -50)}},
                           sw::poisson_input<"E", "g_e">{.n = 1000, .rate = 1.0, .weight = 0.04}};
  net32.simulate(100);

  // The state of a population.
  auto& E = net32.population<"E">();
  E.columns().v[3] = -55;             // typed, checked by the compiler
  std::span<float> g = E.var("g_e");  // by a name known at run time (config_error if unknown)
  const auto fired = E.spikes();      // indices that fired in the last step, ascending
  const auto count = E.spike_count(); // spikes since the last reset
  auto p = E.parameters();
  p.tau_m = 15;
  E.set_parameters(p);                // checked: config_error on a broken rule
  E.set_parameter("tau_m", 15);       // by a name known at run time
  const double tau_m = E.parameter("tau_m");

  // Spikes given in advance: neuron indices[k] fires at times[k] ms.
  auto net = sw::network{
      {.dt = 0.1, .seed = 1},
      sw::population<spike_generator, "in">{2, sw::spike_times{.indices = {0, 1, 0}, .times = {10, 10, 30}}},
      sw::population<lif_cond_exp, "cells">{10, {}, {}},
      sw::projection<static_synapse, "in", "cells", "g_e">{sw::all_to_all{}, {.w = 2.0}},
      sw::spike_monitor<"in_spikes", "in">{},
      sw::spike_monitor<"cell_spikes", "cells">{}};
  net.simulate(50);
  const auto& in = net.monitor<"in_spikes">();
  const auto& out = net.monitor<"cell_spikes">();
  std::printf("populations: %zu input spikes, %zu spikes of 10 cells, mean v %.2f mV\n", in.size(), out.size(),
              mean_v(net));
  const bool first_run = in.size() == 3 && out.size() > 0;

  // Another schedule replaces the first; reset() goes back to time 0 and keeps it.
  net.population<"in">().set_spike_times({.indices = {1}, .times = {20}});
  net.reset();
  net.simulate(50);
  std::printf("populations: after set_spike_times, %zu input spike; E (float): %llu spikes, %zu in the last step, "
              "g_e[0] = %.3f, tau_m = %g ms; sizes %zu %zu %zu %zu\n",
              in.size(), static_cast<unsigned long long>(count), fired.size(), static_cast<double>(g[0]), tau_m,
              a.size(), b.size(), c.size(), d.size());
  return first_run && in.size() == 1 && d.columns().v[0] == -55 && tau_m == 15 && count > 0 ? 0 : 1;
}
