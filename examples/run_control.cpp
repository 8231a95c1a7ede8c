// Stop conditions of simulate_until (docs/running.md): the run ends after the
// first step in which one of them holds.
#include <cstdio>

#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::lif_cond_exp;

int main() {
  auto net = sw::network{{.dt = 0.1, .seed = 3},
                         sw::population<lif_cond_exp, "E">{800, {}, {.v = sw::uniform(-60, -50)}},
                         sw::population<lif_cond_exp, "I">{200, {}, {.v = sw::uniform(-60, -50)}},
                         sw::poisson_input<"E", "g_e">{.n = 1000, .rate = 1.0, .weight = 0.04},
                         sw::poisson_input<"I", "g_e">{.n = 1000, .rate = 1.0, .weight = 0.04}};
  const double t = net.simulate_until(1000, sw::any_of(
      sw::stop_when<"E">([](const auto& pop) { return pop.spike_count() >= 100; }),
      sw::stop_when<"I">([](const auto& pop) { return pop.spikes().size() > 20; })));
  const auto e = net.population<"E">().spike_count();
  std::printf("run_control: stopped after %.1f ms with %llu spikes in E\n", t, static_cast<unsigned long long>(e));
  return t > 0 && t < 1000 ? 0 : 1;
}
