// CUBA: Brette et al. (2007) benchmark 2, as in Brian2's examples/CUBA.py.
//
// 4000 LIF neurons with exponential synaptic currents (integrated exactly),
// 80% excitatory, 20% inhibitory, connected with probability 0.02 (mean
// in-degree 80 at any N), weights 1.62 mV and -9 mV (Brian2's (60 * 0.27 / 10)
// mV and (-20 * 4.5 / 10) mV), E_l = -49 mV above the threshold of -50 mV,
// refractory period 5 ms, dt = 0.1 ms, v starting uniformly in [v_reset, v_th].
// Synaptic delay: one step (0.1 ms), spikeweave's minimum.
//
// usage: cuba [N=4000] [duration_ms=1000] [seed=1] [--float] [--threads K (default 1; 0: all cores)]
#include <spikeweave/spikeweave.hpp>

#include "workloads/report.hpp"

namespace sw = spikeweave;
using sw::fixed_probability;
using sw::models::lif_curr_exp;
using sw::models::static_synapse;

template <class Real>
int cuba(const workload::options& o) {
  const std::size_t n_e = o.n * 4 / 5, n_i = o.n - n_e;
  const double p = 80.0 / static_cast<double>(o.n);
  const lif_curr_exp::parameters params{.E_l = -49};
  const lif_curr_exp::variables<sw::initial_value> init{.v = sw::uniform(-60, -50)};
  return workload::run("CUBA", o, [&] {
    return sw::network{
        sw::precision<Real>,
        {.dt = 0.1, .seed = o.seed, .threads = o.threads},
        sw::population<lif_curr_exp, "E">{n_e, params, init},
        sw::population<lif_curr_exp, "I">{n_i, params, init},
        sw::projection<static_synapse, "E", "E", "I_e", "EE">{fixed_probability{p, true}, {.w = 1.62}},
        sw::projection<static_synapse, "E", "I", "I_e", "EI">{fixed_probability{p, true}, {.w = 1.62}},
        sw::projection<static_synapse, "I", "E", "I_i", "IE">{fixed_probability{p, true}, {.w = -9.0}},
        sw::projection<static_synapse, "I", "I", "I_i", "II">{fixed_probability{p, true}, {.w = -9.0}}};
  });
}

int main(int argc, char** argv) {
  const workload::options o(argc, argv, 4000, 1000);
  return o.single ? cuba<float>(o) : cuba<double>(o);
}
