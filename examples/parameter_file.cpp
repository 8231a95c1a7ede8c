// ANNarchy's parameter-file workflow: save_parameters, edit the JSON with a script, load_parameters.
//
// Two populations of Izhikevich neurons, pop0 driving pop1 through synapses
// with spike-timing-dependent plasticity (a model written here, as a user
// would). The example runs 1 s, writes network.json, lets
// examples/python/edit_parameters.py change two values (pop1 becomes
// fast-spiking, STDP depresses three times more), loads the file back into
// the reset network, runs 1 s again and shows that the behaviour changed.
// The synapses are the built-in models::stdp_additive.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <spikeweave/io/parameters.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::izhikevich;

using sw::models::stdp_additive;

template <class Net>
void report(const char* when, Net& net) {
  const auto& pop1 = net.template population<"pop1">();
  const auto& w = net.template projection<"proj0">().columns().w;
  double mean_w = 0;
  for (double x : w) mean_w += x / static_cast<double>(w.size());
  std::printf("%-28s pop1: %6.2f Hz, a = %.2f; proj0: mean w = %.3f, A_minus = %.3f\n", when,
              static_cast<double>(pop1.spike_count()) / static_cast<double>(pop1.size()) / (net.current_time() * 1e-3),
              pop1.parameters().a, mean_w, net.template projection<"proj0">().parameters().A_minus);
}

int main() {
  auto net = sw::network{{.dt = 0.1, .seed = 3},
                         sw::population<izhikevich>{200, {.a = 0.1}},   // pop0: fast spiking
                         sw::population<izhikevich>{200, {.a = 0.02}},  // pop1: regular spiking
                         // STDP with weights in izhikevich's input unit (one step of current)
                         sw::projection<stdp_additive, "pop0", "pop1", "I">{
                             sw::fixed_probability{0.1}, {.w = 80}, {},
                             {.tau_plus = 20, .tau_minus = 60, .A_plus = 4, .A_minus = 1.5, .w_max = 200}},
                         sw::poisson_input<"pop0", "I">{.n = 100, .rate = 20, .weight = 40}};
  net.simulate(1000);
  report("before editing the file:", net);
  const double rate_before = static_cast<double>(net.population<"pop1">().spike_count());

  const std::string file = "network.json";
  net.save_parameters(file);
  // Edit the file with a script, as a user would (in C++ if Python is absent).
  const std::string script = std::string(SPIKEWEAVE_EXAMPLES_DIR) + "/python/edit_parameters.py";
  if (std::filesystem::exists("/usr/bin/python3")) {
    if (std::system(("/usr/bin/python3 " + script + " " + file).c_str()) != 0) return 1;
  } else {
    std::ifstream in(file);
    auto doc = sw::json::parse(in);
    doc["populations"]["pop1"]["a"] = 0.1;
    doc["projections"]["proj0"]["A_minus"] = doc["projections"]["proj0"]["A_minus"].get<double>() * 3;
    std::ofstream(file) << doc.dump(4);
  }

  net.reset();
  const auto values = net.load_parameters(file, {.verbose = true});
  if (values.contains("edited_by")) std::printf("network dictionary: edited_by = %s\n", values.network()["edited_by"].get<std::string>().c_str());
  net.simulate(1000);
  report("after load_parameters:", net);
  const double rate_after = static_cast<double>(net.population<"pop1">().spike_count());
  std::printf("the behaviour changed: %s\n", rate_after != rate_before ? "yes" : "no");
  return rate_after != rate_before ? 0 : 1;
}
