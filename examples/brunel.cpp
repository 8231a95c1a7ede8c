// Brunel (2000) balanced network with delays, model A (as NEST's brunel_delta example).
//
// N LIF neurons with delta synapses (lif_delta: v jumps by J on arrival), 80%
// excitatory, 20% inhibitory; every neuron receives exactly C_E = 0.1 N_E
// excitatory and C_I = 0.1 N_I inhibitory inputs (fixed in-degree), weights
// J = 0.1 mV and -g J with g = 5, all delays D = 1.5 ms; external drive: C_E
// independent Poisson trains per neuron at eta = 2 times the threshold rate
// nu_thr = theta / (J C_E tau_m). tau_m = 20 ms, theta = 20 mV, V_r = 10 mV,
// t_ref = 2 ms, dt = 0.1 ms: Brunel's Fig. 8C, synchronous irregular with fast
// oscillations (about 60 Hz).
//
// usage: brunel [N=5000] [duration_ms=1000] [seed=1] [--float] [--threads K (default 1; 0: all cores)]
#include <spikeweave/spikeweave.hpp>

#include "workloads/report.hpp"

namespace sw = spikeweave;
using sw::fixed_number_pre;
using sw::models::lif_delta;
using sw::models::static_synapse;

template <class Real>
int brunel(const workload::options& o) {
  const std::size_t n_e = o.n * 4 / 5, n_i = o.n - n_e;
  const std::size_t c_e = n_e / 10, c_i = n_i / 10;
  const double J = 0.1, g = 5, eta = 2, D = 1.5;  // [mV], 1, 1, [ms]
  const lif_delta::parameters params{.tau_m = 20, .E_l = 0, .v_th = 20, .v_reset = 10, .t_ref = 2};
  const double nu_thr = params.v_th / (J * static_cast<double>(c_e) * params.tau_m) * 1000;  // [Hz]
  // Start spread below threshold, so the network does not begin synchronised.
  const lif_delta::variables<sw::initial_value> init{.v = sw::uniform(0, 20)};
  return workload::run("Brunel (2000), model A", o, [&] {
    return sw::network{
        sw::precision<Real>,
        {.dt = 0.1, .seed = o.seed, .threads = o.threads},
        sw::population<lif_delta, "E">{n_e, params, init},
        sw::population<lif_delta, "I">{n_i, params, init},
        sw::projection<static_synapse, "E", "E", "dv", "EE">{fixed_number_pre{c_e, true}, {.w = J}, D},
        sw::projection<static_synapse, "E", "I", "dv", "EI">{fixed_number_pre{c_e, true}, {.w = J}, D},
        sw::projection<static_synapse, "I", "E", "dv", "IE">{fixed_number_pre{c_i, true}, {.w = -g * J}, D},
        sw::projection<static_synapse, "I", "I", "dv", "II">{fixed_number_pre{c_i, true}, {.w = -g * J}, D},
        sw::poisson_input<"E", "dv">{.n = c_e, .rate = eta * nu_thr, .weight = J},
        sw::poisson_input<"I", "dv">{.n = c_e, .rate = eta * nu_thr, .weight = J}};
  });
}

int main(int argc, char** argv) {
  const workload::options o(argc, argv, 5000, 1000);
  return o.single ? brunel<float>(o) : brunel<double>(o);
}
