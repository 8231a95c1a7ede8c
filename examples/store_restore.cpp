// NEST's "store and restore a network" example, done exactly.
//
// A balanced E/I network (4000 excitatory, 1000 inhibitory LIF neurons with
// delta synapses, like NEST's iaf_psc_delta; in-degrees 200 excitatory and 50
// inhibitory, J_E = 1 mV, J_I = -4 mV, delays 1 ms; plastic excitatory
// synapses with multiplicative STDP bounded by 2 J_E; every neuron driven by
// Poisson input at 800 Hz). Five runs, as in NEST's figure:
//   1. the initial run for T, then the full state is saved;
//   2. its continuation for another T;
//   3. a freshly built network loads the file and runs T: the same spikes and
//      weights as the continuation, bit for bit (NEST's restore cannot: it
//      stores only V_m and weights, so its dynamics differ);
//   4. the same once more: identical again;
//   5. loaded, then reseeded: the noise differs, and so do the spikes.
// Writes store_restore.npz (rasters, weights) and, with matplotlib,
// store_restore.png; prints what it checked and exits non-zero if a check fails.
//
// usage: store_restore [T_ms=1000] [N_E=4000]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

auto make(std::size_t n_e, std::uint64_t seed) {
  const std::size_t n_i = n_e / 4;
  const double J_E = 1.0, J_I = -4.0, delay = 1.0;  // [mV], [mV], [ms]
  const lif_delta::parameters neuron{.tau_m = 10, .E_l = -70, .v_th = -55, .v_reset = -70, .t_ref = 2};
  const lif_delta::variables<sw::initial_value> init{.v = sw::normal(-65, 5)};
  const stdp_multiplicative::parameters stdp{.A_plus = 0.01 * 2 * J_E, .A_minus = 0.01 * 2 * J_E, .w_max = 2 * J_E};
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<lif_delta, "E">{n_e, neuron, init},
                     sw::population<lif_delta, "I">{n_i, neuron, init},
                     sw::projection<stdp_multiplicative, "E", "E", "dv", "EE">{sw::fixed_number_pre{200}, {.w = J_E}, delay, stdp},
                     sw::projection<stdp_multiplicative, "E", "I", "dv", "EI">{sw::fixed_number_pre{200}, {.w = J_E}, delay, stdp},
                     sw::projection<static_synapse, "I", "E", "dv", "IE">{sw::fixed_number_pre{50}, {.w = J_I}, delay},
                     sw::projection<static_synapse, "I", "I", "dv", "II">{sw::fixed_number_pre{50}, {.w = J_I}, delay},
                     sw::poisson_input<"E", "dv">{.n = 1, .rate = 800, .weight = J_E},
                     sw::poisson_input<"I", "dv">{.n = 1, .rate = 800, .weight = J_E},
                     sw::spike_monitor<"spikes", "E">{}};
}

struct run_record {
  std::string label;
  std::vector<std::uint64_t> steps;
  std::vector<std::uint32_t> indices;
  std::vector<double> weights;  // EE at the end of the run
};

template <class Net>
run_record record(Net& net, std::string label, std::uint64_t from_step) {
  run_record r{std::move(label), {}, {}, {}};
  const auto& m = net.template monitor<"spikes">();
  for (std::size_t k = 0; k < m.size(); ++k)
    if (m.steps()[k] >= from_step) {
      r.steps.push_back(m.steps()[k]);
      r.indices.push_back(m.index_data()[k]);
    }
  const auto& w = net.template projection<"EE">().columns().w;
  r.weights.assign(w.begin(), w.end());
  return r;
}

bool same_spikes(const run_record& a, const run_record& b) { return a.steps == b.steps && a.indices == b.indices; }

}  // namespace

int main(int argc, char** argv) {
  const double T = argc > 1 ? std::atof(argv[1]) : 1000;
  const std::size_t n_e = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4000;
  const std::string state = "store_restore_state.npz";
  std::vector<run_record> runs;

  auto net = make(n_e, 1);
  net.simulate(T);
  runs.push_back(record(net, "initial run", 0));
  net.save(state, {.monitors = true});  // the spikes so far too, for inspect_state.py
  const std::uint64_t saved_at = net.current_step();
  net.simulate(T);
  runs.push_back(record(net, "continued", saved_at));

  for (const char* label : {"loaded into a fresh network", "loaded again"}) {
    auto fresh = make(n_e, 2);  // built from another seed: the file's connectivity replaces it
    fresh.load(state);
    fresh.simulate(T);
    runs.push_back(record(fresh, label, saved_at));
  }
  auto reseeded = make(n_e, 1);
  reseeded.load(state);
  reseeded.reseed(987654321);
  reseeded.simulate(T);
  runs.push_back(record(reseeded, "loaded, another seed", saved_at));

  const double rate = static_cast<double>(runs[1].steps.size()) / static_cast<double>(n_e) / (T * 1e-3);
  std::printf("store_restore: %zu + %zu neurons, %zu plastic E->E synapses, T = %g ms, E rate %.1f Hz\n", n_e, n_e / 4,
              runs[0].weights.size(), T, rate);
  bool ok = true;
  auto check = [&](bool good, const char* what) {
    std::printf("  [%s] %s\n", good ? "ok" : "FAILED", what);
    ok = ok && good;
  };
  check(!runs[1].steps.empty(), "the network fires after the save");
  check(same_spikes(runs[1], runs[2]) && runs[1].weights == runs[2].weights,
        "loaded into a fresh network: spikes and weights are the continuation's, bit for bit");
  check(same_spikes(runs[2], runs[3]) && runs[2].weights == runs[3].weights, "loaded again: identical again");
  check(!same_spikes(runs[1], runs[4]), "loaded and reseeded: the spikes differ");
  check(runs[0].weights != runs[1].weights, "STDP changed the weights during the continuation");

  sw::io::npz_writer out("store_restore.npz");
  std::string labels;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const std::string at = "run" + std::to_string(k) + "/";
    out.add(at + "steps", runs[k].steps);
    out.add(at + "indices", runs[k].indices);
    out.add(at + "weights", runs[k].weights);
    labels += (k ? "\n" : "") + runs[k].label;
  }
  out.add("dt", std::vector<double>{net.dt()});
  out.add_string("labels", labels);
  out.close();
  std::printf("  wrote store_restore.npz (rasters, weights) and %s (the full state at T)\n", state.c_str());
  std::fflush(stdout);
  const std::string plot = std::string(SPIKEWEAVE_EXAMPLES_DIR) + "/python/store_restore.py";
  if (std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0)
    ok = std::system(("/usr/bin/python3 " + plot + " store_restore.npz store_restore.png").c_str()) == 0 && ok;
  return ok ? 0 : 1;
}
