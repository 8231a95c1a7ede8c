// What recording costs: COBA (4000 neurons) with and without a spike monitor, and with a rate monitor.
//
// usage: monitor_overhead [duration_ms=10000] [repetitions=3]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::fixed_probability;
using sw::models::lif_cond_exp;
using sw::models::static_synapse;

namespace {

const lif_cond_exp::variables<sw::initial_value> init{
    .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};

template <class... Extra>
auto coba(Extra... extra) {
  return sw::network{{.dt = 0.1, .seed = 1},
                     sw::population<lif_cond_exp, "E">{3200, {}, init},
                     sw::population<lif_cond_exp, "I">{800, {}, init},
                     sw::projection<static_synapse, "E", "E", "g_e", "EE">{fixed_probability{0.02, true}, {.w = 0.6}},
                     sw::projection<static_synapse, "E", "I", "g_e", "EI">{fixed_probability{0.02, true}, {.w = 0.6}},
                     sw::projection<static_synapse, "I", "E", "g_i", "IE">{fixed_probability{0.02, true}, {.w = 6.7}},
                     sw::projection<static_synapse, "I", "I", "g_i", "II">{fixed_probability{0.02, true}, {.w = 6.7}},
                     extra...};
}

template <class Make>
double best_of(int repetitions, double duration, Make make) {
  double best = 1e300;
  for (int r = 0; r < repetitions; ++r) {
    auto net = make();
    best = std::min(best, net.simulate(duration));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const double duration = argc > 1 ? std::strtod(argv[1], nullptr) : 10000;
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 3;
  // Interleave the variants so load on the machine hits them alike.
  double none = 1e300, spikes = 1e300, rates = 1e300;
  for (int r = 0; r < repetitions; ++r) {
    none = std::min(none, best_of(1, duration, [] { return coba(); }));
    spikes = std::min(spikes, best_of(1, duration, [] {
                        return coba(sw::spike_monitor<"SE", "E">{}, sw::spike_monitor<"SI", "I">{});
                      }));
    rates = std::min(rates, best_of(1, duration, [] { return coba(sw::rate_monitor<"RE", "E">{}); }));
  }
  std::printf("COBA 4000, %.0f ms, best of %d (simulation wall time)\n", duration, repetitions);
  std::printf("  no monitor                 %.3f s\n", none);
  std::printf("  spike monitors on E and I  %.3f s  (%+.1f%%)\n", spikes, 100 * (spikes / none - 1));
  std::printf("  rate monitor on E          %.3f s  (%+.1f%%)\n", rates, 100 * (rates / none - 1));
  return 0;
}
