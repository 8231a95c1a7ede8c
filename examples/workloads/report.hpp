// Shared by the workload examples: command-line options and the summary they print.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace workload {

/// `program [N] [duration_ms] [seed] [--float] [--threads K]`
struct options {
  std::size_t n;
  double duration;
  std::uint64_t seed = 1;
  bool single = false;
  std::size_t threads = 1;  // 0: every core; more than 1 needs spikeweave::tbb

  options(int argc, char** argv, std::size_t default_n, double default_duration)
      : n(default_n), duration(default_duration) {
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--float") == 0) {
        single = true;
        continue;
      }
      if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
        threads = std::strtoull(argv[++i], nullptr, 10);
        continue;
      }
      switch (positional++) {
        case 0: n = std::strtoull(argv[i], nullptr, 10); break;
        case 1: duration = std::strtod(argv[i], nullptr); break;
        default: seed = std::strtoull(argv[i], nullptr, 10); break;
      }
    }
  }
};

using clock = std::chrono::steady_clock;
inline double seconds(clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// run(), errors aside.
template <class Make>
int run_and_report(const char* title, const options& o, Make make) {
  const auto t0 = clock::now();
  auto net = make();
  const auto t1 = clock::now();
  net.simulate(o.duration);
  const auto t2 = clock::now();
  std::uint64_t spikes = 0;
  net.for_each_population([&](auto& pop) { spikes += pop.spike_count(); });
  std::size_t bytes = 0, synapse_bytes = 0;
  net.for_each_projection([&](auto& proj) {
    bytes += proj.bytes();
    synapse_bytes += proj.synapse_bytes();
  });
  const std::size_t synapses = net.synapse_count();
  auto per_synapse = [&](std::size_t b) { return synapses ? static_cast<double>(b) / static_cast<double>(synapses) : 0.0; };
  const double rate = static_cast<double>(spikes) / static_cast<double>(net.neuron_count()) / (o.duration * 1e-3);
  std::printf("%s (%s precision, seed %llu, %zu thread%s)\n", title, o.single ? "single" : "double",
              static_cast<unsigned long long>(o.seed), net.threads(), net.threads() == 1 ? "" : "s");
  std::printf("  neurons          %zu\n", net.neuron_count());
  std::printf("  synapses         %zu\n", synapses);
  std::printf("  bytes/synapse    %.2f (%.2f with the row pointers)\n", per_synapse(synapse_bytes), per_synapse(bytes));
  std::printf("  simulated time   %.1f ms in steps of %.2f ms\n", net.current_time(), net.dt());
  std::printf("  spikes           %llu\n", static_cast<unsigned long long>(spikes));
  std::printf("  mean rate        %.2f Hz\n", rate);
  std::printf("  build time       %.3f s\n", seconds(t0, t1));
  std::printf("  simulation time  %.3f s\n", seconds(t1, t2));
  return spikes > 0 ? 0 : 1;
}

/// Builds the network with `make`, simulates it, prints the summary.
template <class Make>
int run(const char* title, const options& o, Make make) {
  try {
    return run_and_report(title, o, make);
  } catch (const std::exception& e) {  // a config_error, e.g. --threads 2 without TBB
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}

}  // namespace workload
