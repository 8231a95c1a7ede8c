// BrainPy's "saving and loading" tutorial (EINet, save_states / load_states), in spikeweave.
//
// The COBA E/I network of the tutorial (3200 + 800 LIF neurons with
// exponential conductances, connection probability 0.02, 0.6 and 6.7 g_L,
// V = -55 + 2 randn mV at the start), driven here by Poisson input so that it
// keeps firing. It runs T, saves its state, and then:
//   1. load_states with verbose: a fresh network loads the file, lists what it
//      loaded, and continues exactly as the network that was never stopped;
//   2. check_missing: a network whose E neurons have one more variable (a
//      spike-triggered adaptation conductance, a model written in this file)
//      cannot load the file strictly: the error names every missing variable;
//      with .strict = false it loads what there is, keeps the rest, and the
//      report lists the missing variables (BrainPy's warning).
// Writes einet_states.npz and, with matplotlib, einet_states.png.
//
// usage: einet_states [T_ms=200]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

// lif_cond_exp plus a spike-triggered adaptation conductance g_a (towards E_i):
// a user's model, one struct and one update function.
struct adaptive_lif {
  struct parameters {
    double tau_m = 20, E_l = -60, v_th = -50, v_reset = -60, t_ref = 5;  // [ms], [mV]: as lif_cond_exp
    double tau_e = 5, tau_i = 10, E_e = 0, E_i = -80;                    // [ms], [mV]
    double tau_a = 100;  // [ms] adaptation time constant
    double b = 0.5;      // [g_L] conductance added by a spike
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v), (T, g_e), (T, g_i), (T, g_a));
  };
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    const T dv = (p.E_l - x.v + x.g_e * (p.E_e - x.v) + (x.g_i + x.g_a) * (p.E_i - x.v)) * (s.dt / p.tau_m);
    x.v = sw::select(s.refractory, x.v, x.v + dv);
    x.g_e -= x.g_e * (s.dt / p.tau_e);
    x.g_i -= x.g_i * (s.dt / p.tau_i);
    x.g_a -= x.g_a * (s.dt / p.tau_a);
    return x.v > p.v_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) {
    x.v = p.v_reset;
    x.g_a += p.b;
  }
  static double refractory(const parameters& p) { return p.t_ref; }
  static variables<double> initial(const parameters& p) { return {p.E_l, 0, 0, 0}; }
};
BOOST_HANA_ADAPT_STRUCT(adaptive_lif::parameters, tau_m, E_l, v_th, v_reset, t_ref, tau_e, tau_i, E_e, E_i, tau_a, b);

namespace {

const lif_cond_exp::parameters tutorial{.tau_m = 20, .E_l = -60, .v_th = -50, .v_reset = -60, .t_ref = 5};

template <class Neuron>
auto einet(std::uint64_t seed, const typename Neuron::parameters& e_params) {
  const typename Neuron::template variables<sw::initial_value> init{.v = sw::normal(-55, 2)};
  const lif_cond_exp::variables<sw::initial_value> init_i{.v = sw::normal(-55, 2)};
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<Neuron, "E">{3200, e_params, init},
                     sw::population<lif_cond_exp, "I">{800, tutorial, init_i},
                     sw::projection<static_synapse, "E", "E", "g_e", "E2E">{sw::fixed_probability{0.02}, {.w = 0.6}},
                     sw::projection<static_synapse, "E", "I", "g_e", "E2I">{sw::fixed_probability{0.02}, {.w = 0.6}},
                     sw::projection<static_synapse, "I", "E", "g_i", "I2E">{sw::fixed_probability{0.02}, {.w = 6.7}},
                     sw::projection<static_synapse, "I", "I", "g_i", "I2I">{sw::fixed_probability{0.02}, {.w = 6.7}},
                     sw::poisson_input<"E", "g_e">{.n = 100, .rate = 10, .weight = 0.1},
                     sw::poisson_input<"I", "g_e">{.n = 100, .rate = 10, .weight = 0.1},
                     sw::spike_monitor<"spikes", "E">{}};
}

void print_list(const char* what, const std::vector<std::string>& items) {
  std::printf("  %s (%zu):", what, items.size());
  for (const auto& i : items) std::printf(" %s", i.c_str());
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const double T = argc > 1 ? std::atof(argv[1]) : 200;
  bool ok = true;
  auto check = [&](bool good, const char* what) {
    std::printf("  [%s] %s\n", good ? "ok" : "FAILED", what);
    ok = ok && good;
  };

  auto net = einet<lif_cond_exp>(1, tutorial);
  net.simulate(T);
  net.save("einet_states.h5");
  net.save("einet_states_state.npz");
  const auto saved_at = net.current_step();
  net.simulate(T);
  const auto& reference = net.monitor<"spikes">();

  std::printf("load_states(..., verbose=True):\n");
  auto fresh = einet<lif_cond_exp>(2, tutorial);
  const auto report = fresh.load("einet_states.h5", {.verbose = true});
  fresh.simulate(T);
  std::vector<std::uint64_t> steps;
  std::vector<std::uint32_t> indices;
  for (std::size_t k = 0; k < reference.size(); ++k)
    if (reference.steps()[k] >= saved_at) {
      steps.push_back(reference.steps()[k]);
      indices.push_back(reference.index_data()[k]);
    }
  std::printf("einet_states: EINet 3200 + 800, %zu synapses, saved at %g ms, %zu E spikes in the next %g ms\n",
              net.synapse_count(), T, steps.size(), T);
  check(report.complete(), "the file has every variable of the network, and nothing else");
  check(fresh.monitor<"spikes">().steps() == steps && fresh.monitor<"spikes">().index_data() == indices,
        "the loaded network fires exactly as the one that never stopped");

  std::printf("check_missing: E neurons with an adaptation conductance g_a\n");
  auto adaptive = einet<adaptive_lif>(1, {});
  try {
    adaptive.load("einet_states_state.npz");
    check(false, "a strict load refuses the file");
  } catch (const sw::mismatch_error& e) {
    std::printf("%s\n", e.what());
    check(true, "a strict load refuses the file and names what is missing");
  }
  const auto partial = adaptive.load("einet_states_state.npz", {.strict = false});
  print_list("missing (kept their values)", partial.missing);
  print_list("unexpected (ignored)", partial.unexpected);
  check(std::find(partial.missing.begin(), partial.missing.end(), "populations/E/g_a") != partial.missing.end(),
        "the report lists populations/E/g_a as missing");
  adaptive.simulate(T);
  const double rate_plain = static_cast<double>(steps.size()) / 3200 / (T * 1e-3);
  const double rate_adaptive = static_cast<double>(adaptive.monitor<"spikes">().size()) / 3200 / (T * 1e-3);
  std::printf("  E rate after the load: %.1f Hz (EINet), %.1f Hz (adaptive E neurons)\n", rate_plain, rate_adaptive);
  check(rate_adaptive < rate_plain, "adaptation lowers the rate of the continued network");

  sw::io::npz_writer out("einet_states.npz");
  out.add("reference/steps", steps);
  out.add("reference/indices", indices);
  out.add("loaded/steps", fresh.monitor<"spikes">().steps());
  out.add("loaded/indices", fresh.monitor<"spikes">().index_data());
  out.add("adaptive/steps", adaptive.monitor<"spikes">().steps());
  out.add("adaptive/indices", adaptive.monitor<"spikes">().index_data());
  out.add("dt", std::vector<double>{net.dt()});
  std::string missing;
  for (const auto& m : partial.missing) missing += m + "\n";
  out.add_string("missing", missing);
  out.close();
  std::fflush(stdout);
  const std::string plot = std::string(SPIKEWEAVE_EXAMPLES_DIR) + "/python/einet_states.py";
  if (std::system("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null") == 0)
    ok = std::system(("/usr/bin/python3 " + plot + " einet_states.npz einet_states.png").c_str()) == 0 && ok;
  return ok ? 0 : 1;
}
