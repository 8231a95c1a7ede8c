// What benchmarks/compile_time.sh compiles: a small program with monitors and state I/O, written with the
// umbrella header. One population driven by Poisson input, a spike and a state monitor, the state saved to
// .npz and loaded into a second network.
#include <cstdio>

#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

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
  net.save("small_state.npz", {.monitors = true});
  auto fresh = make();
  fresh.load("small_state.npz", {.monitors = true});
  std::printf("%zu spikes, %zu samples\n", fresh.monitor<"spikes">().size(), fresh.monitor<"v">().steps().size());
  return fresh.monitor<"spikes">().size() == net.monitor<"spikes">().size() ? 0 : 1;
}
