// The main example: LIF neurons driven by Poisson input, with a one-screen summary.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <spikeweave/io/monitors.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;

int main() {
  using sw::models::lif_cond_exp;
  const auto built = std::chrono::steady_clock::now();
  auto net = sw::network{{.dt = 0.1, .seed = 42},
                         sw::population<lif_cond_exp, "E">{4000, {}, {.v = sw::uniform(-60, -50)}},
                         // 1000 excitatory afferents at 1 Hz per neuron, 0.04 g_L each: fluctuation-driven firing
                         sw::poisson_input<"E", "g_e">{.n = 1000, .rate = 1.0, .weight = 0.04},
                         sw::spike_monitor<"spikes", "E">{},
                         sw::rate_monitor<"rate", "E">{},
                         sw::state_monitor<"v", "E", "v">{{.neurons = {0, 1, 2}}}};
  const double duration = 1000;  // [ms]

  const auto start = std::chrono::steady_clock::now();
  net.simulate(duration);
  const auto stop = std::chrono::steady_clock::now();

  auto& E = net.population<"E">();
  const double wall = std::chrono::duration<double>(stop - start).count();
  std::printf("spikeweave %s: LIF (conductance-based) driven by Poisson input\n", sw::version);
  std::printf("  neurons          %zu\n", net.neuron_count());
  std::printf("  simulated time   %.1f ms (%llu steps of %.2f ms)\n", net.current_time(),
              static_cast<unsigned long long>(net.current_step()), net.dt());
  std::printf("  spikes           %llu\n", static_cast<unsigned long long>(E.spike_count()));
  std::printf("  mean rate        %.2f Hz\n",
              static_cast<double>(E.spike_count()) / static_cast<double>(E.size()) / (duration * 1e-3));
  std::printf("  build time       %.3f s\n", std::chrono::duration<double>(start - built).count());
  std::printf("  wall time        %.3f s (%.1fx real time)\n", wall, duration * 1e-3 / wall);

  // Recorded data for Python, and its figures when matplotlib is there.
  sw::io::save_monitors(net, "lif_poisson_monitors.npz");
  std::printf("  monitors         lif_poisson_monitors.npz\n");
  std::fflush(stdout);
  const std::string plot = std::string(SPIKEWEAVE_SOURCE_DIR) + "/tools/plot_monitors.py";
  if (std::filesystem::exists("/usr/bin/python3") &&
      std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0)
    std::system(("/usr/bin/python3 " + plot + " lif_poisson_monitors.npz").c_str());
  return E.spike_count() > 0 ? 0 : 1;
}
