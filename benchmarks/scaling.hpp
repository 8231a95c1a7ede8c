// What benchmarks/threads.cpp and benchmarks/mpi.cpp share: the two workloads at any size, and small helpers.
//
// COBA: as examples/coba.cpp (mean in-degree 80 at every N). Brunel: as
// examples/brunel.cpp but with the in-degrees of N = 5000 at every N
// (C_E = 400, C_I = 100), so that the work per neuron stays the same.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <spikeweave/spikeweave.hpp>

namespace spikeweave::bench {

using models::lif_cond_exp;
using models::lif_delta;
using models::static_synapse;

/// "4000,16000" -> {4000, 16000}.
inline std::vector<std::size_t> parse_list(const char* s) {
  std::vector<std::size_t> out;
  for (const char* p = s; *p;) {
    char* end = nullptr;
    out.push_back(std::strtoull(p, &end, 10));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p) break;
  }
  return out;
}

/// The machine's load average (1, 5, 15 minutes), to print beside the times.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

/// COBA with N neurons (4:1 E:I) on `threads` threads.
inline auto coba(std::size_t n, std::size_t threads) {
  const std::size_t n_e = n * 4 / 5, n_i = n - n_e;
  const double p = 80.0 / static_cast<double>(n);
  const lif_cond_exp::variables<initial_value> init{
      .v = uniform(-60, -50), .g_e = normal(4, 1.5), .g_i = normal(20, 12)};
  return network{{.dt = 0.1, .seed = 1, .threads = threads},
                     population<lif_cond_exp, "E">{n_e, {}, init},
                     population<lif_cond_exp, "I">{n_i, {}, init},
                     projection<static_synapse, "E", "E", "g_e", "EE">{fixed_probability{p, true}, {.w = 0.6}},
                     projection<static_synapse, "E", "I", "g_e", "EI">{fixed_probability{p, true}, {.w = 0.6}},
                     projection<static_synapse, "I", "E", "g_i", "IE">{fixed_probability{p, true}, {.w = 6.7}},
                     projection<static_synapse, "I", "I", "g_i", "II">{fixed_probability{p, true}, {.w = 6.7}}};
}

/// Brunel's network with N neurons on `threads` threads.
inline auto brunel(std::size_t n, std::size_t threads) {
  const std::size_t n_e = n * 4 / 5, n_i = n - n_e;
  const std::size_t c_e = 400, c_i = 100;
  const double J = 0.1, g = 5, eta = 2, D = 1.5;
  const lif_delta::parameters params{.tau_m = 20, .E_l = 0, .v_th = 20, .v_reset = 10, .t_ref = 2};
  const double nu_thr = params.v_th / (J * static_cast<double>(c_e) * params.tau_m) * 1000;  // [Hz]
  const lif_delta::variables<initial_value> init{.v = uniform(0, 20)};
  return network{{.dt = 0.1, .seed = 1, .threads = threads},
                     population<lif_delta, "E">{n_e, params, init},
                     population<lif_delta, "I">{n_i, params, init},
                     projection<static_synapse, "E", "E", "dv", "EE">{fixed_number_pre{c_e, true}, {.w = J}, D},
                     projection<static_synapse, "E", "I", "dv", "EI">{fixed_number_pre{c_e, true}, {.w = J}, D},
                     projection<static_synapse, "I", "E", "dv", "IE">{fixed_number_pre{c_i, true}, {.w = -g * J}, D},
                     projection<static_synapse, "I", "I", "dv", "II">{fixed_number_pre{c_i, true}, {.w = -g * J}, D},
                     poisson_input<"E", "dv">{.n = c_e, .rate = eta * nu_thr, .weight = J},
                     poisson_input<"I", "dv">{.n = c_e, .rate = eta * nu_thr, .weight = J}};
}

/// Spikes of every population since the last reset.
template <class Net>
std::uint64_t spike_total(Net& net) {
  std::uint64_t s = 0;
  net.for_each_population([&](auto& pop) { s += pop.spike_count(); });
  return s;
}

}  // namespace spikeweave::bench
