// What benchmarks/compile_time.sh compiles: small_minimal.cpp without files (no io/ header, no save or load):
// the floor that the network, its model and its monitors cost, to which saving and loading add.
#include <cstdio>

#include <spikeweave/core/network.hpp>
#include <spikeweave/models/lif_cond_exp.hpp>

namespace sw = spikeweave;

int main() {
  using sw::models::lif_cond_exp;
  auto make = [] {
    return sw::network{{.dt = 0.1, .seed = 1},
                       sw::population<lif_cond_exp, "E">{100, {}, {.v = sw::uniform(-60, -50)}},
                       sw::poisson_input<"E", "g_e">{.n = 100, .rate = 5.0, .weight = 0.04},
                       sw::spike_monitor<"spikes", "E">{},
                       sw::state_monitor<"v", "E", "v">{{.neurons = {0, 1}}}};
  };
  auto net = make();
  net.simulate(100);
  auto fresh = make();
  fresh.simulate(100);
  std::printf("%zu spikes, %zu samples\n", fresh.monitor<"spikes">().size(), fresh.monitor<"v">().steps().size());
  return fresh.monitor<"spikes">().size() == net.monitor<"spikes">().size() ? 0 : 1;
}
