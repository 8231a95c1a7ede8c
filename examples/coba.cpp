// COBA: Brette et al. (2007) benchmark 1, after Vogels & Abbott (2005).
//
// 4000 conductance-based LIF neurons, 80% excitatory, 20% inhibitory,
// connected with probability 0.02 (self-connections allowed), weights 0.6
// (excitatory) and 6.7 (inhibitory) in units of the leak conductance,
// refractory period 5 ms, forward Euler at dt = 0.1 ms. Initial values as in
// the benchmark's reference script; without them the network stays silent.
// Synaptic delay: one step (0.1 ms), spikeweave's minimum.
//
// usage: coba [N=4000] [duration_ms=1000] [seed=1] [--float] [--threads K (default 1; 0: all cores)]
#include <spikeweave/spikeweave.hpp>

#include "workloads/report.hpp"

namespace sw = spikeweave;
using sw::fixed_probability;
using sw::models::lif_cond_exp;
using sw::models::static_synapse;

template <class Real>
int coba(const workload::options& o) {
  const std::size_t n_e = o.n * 4 / 5, n_i = o.n - n_e;
  // Mean in-degree 80 at every N, as in the benchmark at N = 4000.
  const double p = 80.0 / static_cast<double>(o.n);
  const lif_cond_exp::variables<sw::initial_value> init{
      .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};
  return workload::run("COBA", o, [&] {
    return sw::network{
        sw::precision<Real>,
        {.dt = 0.1, .seed = o.seed, .threads = o.threads},
        sw::population<lif_cond_exp, "E">{n_e, {}, init},
        sw::population<lif_cond_exp, "I">{n_i, {}, init},
        sw::projection<static_synapse, "E", "E", "g_e", "EE">{fixed_probability{p, true}, {.w = 0.6}},
        sw::projection<static_synapse, "E", "I", "g_e", "EI">{fixed_probability{p, true}, {.w = 0.6}},
        sw::projection<static_synapse, "I", "E", "g_i", "IE">{fixed_probability{p, true}, {.w = 6.7}},
        sw::projection<static_synapse, "I", "I", "g_i", "II">{fixed_probability{p, true}, {.w = 6.7}}};
  });
}

int main(int argc, char** argv) {
  const workload::options o(argc, argv, 4000, 1000);
  return o.single ? coba<float>(o) : coba<double>(o);
}
