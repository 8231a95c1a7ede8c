// Builds a small Potjans & Diesmann microcircuit with DC drive, runs it and writes what Brian2 needs to rebuild it.
//
// usage: microcircuit_brian2_export --out DIR [--scale S] [--seed N] [--duration MS] [--extra-dc PA]
//                                   [--samples K]
//
// The network is examples/microcircuit.hpp's, microcircuit::build<double>
// with {.scale, .seed, .dc = true} (every Poisson input at rate 0), then
// `extra-dc` pA (default 0) added to every population's I_e: scaled down
// and driven by DC alone, the circuit falls silent (docs/microcircuit.md,
// "Against Brian2"). The program writes, into DIR (which must exist):
//
//   network.json  dt, steps, samples, scale, seed, extra_dc; the neuron
//                 parameters and the propagators spikeweave derived from them
//                 (iaf_psc_exp::derive);
//                 per population (declaration order): name, size, offset of its
//                 first neuron in the arrays below, I_e, spike count; per
//                 projection (declaration order): name, pre, post, target,
//                 synapse count, offset of its first synapse below;
//                 the names of the files below (types by extension);
//   v0.f64        initial V_m of every neuron, populations one after the other;
//   pre.u32, post.u32, w.f64, delay.u16
//                 every synapse of every projection in storage order (the
//                 order spikeweave delivers them in): pre and post index
//                 within their populations, weight [pA], delay [steps];
//   spikes.u32    (neuron, step) pairs of every spike of the run, neuron
//                 global (population offset + index), in the order the spike
//                 monitors recorded them (by step, then population, then index);
//   state.f64     V_m, I_syn_ex, I_syn_in of every neuron after steps
//                 steps / K, 2 steps / K, ..., steps: [sample][variable][neuron].
//
// Little-endian raw arrays, read by tests/reference/microcircuit_brian2.py,
// which builds the same network in Brian2 and compares spikes and states.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "microcircuit.hpp"

namespace {

using json = nlohmann::json;

template <class T>
void write_array(const std::filesystem::path& file, const std::vector<T>& values) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

struct settings {
  std::filesystem::path out;
  double scale = 0.05, duration = 1000;  // [ms]
  double extra_dc = 0;                   // [pA]
  std::size_t samples = 10;              // states written
  std::uint64_t seed = 55;
};

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(a + " needs a value (see the comment at the top of the source)");
    const char* v = argv[++i];
    if (a == "--out") s.out = v;
    else if (a == "--scale") s.scale = std::strtod(v, nullptr);
    else if (a == "--seed") s.seed = std::strtoull(v, nullptr, 10);
    else if (a == "--duration") s.duration = std::strtod(v, nullptr);
    else if (a == "--extra-dc") s.extra_dc = std::strtod(v, nullptr);
    else if (a == "--samples") s.samples = std::strtoull(v, nullptr, 10);
    else throw std::runtime_error("unknown option " + a);
  }
  if (s.out.empty() || !std::filesystem::is_directory(s.out)) throw std::runtime_error("--out DIR: an existing directory");
  if (!(s.scale > 0 && s.scale <= 1)) throw std::runtime_error("--scale must be in (0, 1]");
  if (!(s.duration > 0)) throw std::runtime_error("--duration must be > 0");
  if (!std::isfinite(s.extra_dc)) throw std::runtime_error("--extra-dc must be finite");
  if (s.samples == 0) throw std::runtime_error("--samples must be > 0");
  return s;
}

int run(const settings& s) {
  using namespace microcircuit;
  const options o{.scale = s.scale, .seed = s.seed, .threads = 1, .dc = true};
  auto net = build<double>(o);
  net.for_each_population([&](auto& pop) { pop.set_parameter("I_e", pop.parameter("I_e") + s.extra_dc); });

  json doc;
  doc["dt"] = o.dt;
  doc["scale"] = s.scale;
  doc["seed"] = s.seed;
  doc["extra_dc"] = s.extra_dc;

  // Populations and their initial membrane potentials.
  std::map<std::string, std::size_t, std::less<>> offset;
  std::vector<double> v0;
  std::size_t neurons = 0;
  json pops = json::array();
  net.for_each_population([&](auto& pop) {
    const std::string name(pop.name());
    offset[name] = neurons;
    for (std::size_t i = 0; i < pop.size(); ++i) v0.push_back(pop.columns().V_m[i]);
    pops.push_back({{"name", name}, {"size", pop.size()}, {"offset", neurons}, {"I_e", pop.parameters().I_e}});
    neurons += pop.size();
  });

  // The neuron parameters (all but I_e are shared) and spikeweave's propagators.
  const auto& p = net.template population<names[0]>().parameters();
  doc["neuron"] = {{"C_m", p.C_m},   {"tau_m", p.tau_m}, {"tau_syn_ex", p.tau_syn_ex}, {"tau_syn_in", p.tau_syn_in},
                   {"t_ref", p.t_ref}, {"E_L", p.E_L},   {"V_th", p.V_th},             {"V_reset", p.V_reset}};
  const auto d = iaf_psc_exp::derive(p, o.dt);
  doc["propagators"] = {{"P22", d.P22}, {"P21ex", d.P21ex}, {"P21in", d.P21in},
                        {"P20", d.P20}, {"P11ex", d.P11ex}, {"P11in", d.P11in}};
  bool shared = true;
  net.for_each_population([&](auto& pop) {
    auto q = pop.parameters();
    q.I_e = p.I_e;
    shared = shared && std::tie(q.C_m, q.tau_m, q.tau_syn_ex, q.tau_syn_in, q.t_ref, q.E_L, q.V_th, q.V_reset) ==
                           std::tie(p.C_m, p.tau_m, p.tau_syn_ex, p.tau_syn_in, p.t_ref, p.E_L, p.V_th, p.V_reset);
  });
  if (!shared) throw std::runtime_error("the populations differ in more than I_e: the export format assumes they do not");

  // Every synapse, in storage order.
  std::vector<std::uint32_t> pre, post;
  std::vector<double> w;
  std::vector<std::uint16_t> delay;
  json projs = json::array();
  net.for_each_projection([&](auto& proj) {
    using P = std::decay_t<decltype(proj)>;
    projs.push_back({{"name", std::string(proj.name())},
                     {"pre", std::string(P::pre_name.view())},
                     {"post", std::string(P::post_name.view())},
                     {"target", std::string(P::target_name.view())},
                     {"synapses", proj.size()},
                     {"offset", pre.size()}});
    const auto pre_index = proj.pre();
    const auto post_index = proj.post();
    const auto steps = proj.delays();
    for (std::size_t k = 0; k < proj.size(); ++k) {
      pre.push_back(pre_index[k]);
      post.push_back(post_index[k]);
      w.push_back(proj.columns().w[k]);
      delay.push_back(static_cast<std::uint16_t>(steps[k]));
    }
  });

  // The run: every monitor records from the start; the state every steps / samples steps.
  const auto steps = static_cast<std::uint64_t>(std::llround(s.duration / o.dt));
  if (std::abs(static_cast<double>(steps) * o.dt - s.duration) > 1e-9 * s.duration || steps % s.samples != 0)
    throw std::runtime_error("--duration must be a whole number of steps of " + std::to_string(o.dt) +
                             " ms, divisible by --samples");
  net.for_each_monitor([](auto& m) { m.resume(); });
  std::vector<double> state;
  for (std::size_t k = 0; k < s.samples; ++k) {
    for (std::uint64_t n = 0; n < steps / s.samples; ++n) net.step();
    net.for_each_population([&](auto& pop) {
      for (std::size_t i = 0; i < pop.size(); ++i) state.push_back(pop.columns().V_m[i]);
    });
    net.for_each_population([&](auto& pop) {
      for (std::size_t i = 0; i < pop.size(); ++i) state.push_back(pop.columns().I_syn_ex[i]);
    });
    net.for_each_population([&](auto& pop) {
      for (std::size_t i = 0; i < pop.size(); ++i) state.push_back(pop.columns().I_syn_in[i]);
    });
  }
  doc["steps"] = net.current_step();
  doc["samples"] = s.samples;
  doc["state_variables"] = {"V_m", "I_syn_ex", "I_syn_in"};

  // Spikes of all populations, by step, then population, then neuron.
  std::vector<std::tuple<std::uint64_t, std::uint32_t>> all;
  [&]<std::size_t... P>(std::index_sequence<P...>) {
    auto one = [&](std::size_t p, const auto& m) {
      pops[p]["spikes"] = m.size();
      for (std::size_t k = 0; k < m.size(); ++k)
        all.emplace_back(m.steps()[k], static_cast<std::uint32_t>(offset.at(std::string(names[p].view())) +
                                                                  m.index_data()[k]));
    };
    (one(P, net.template monitor<monitor_name<P>()>()), ...);
  }(std::make_index_sequence<populations>{});
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  std::vector<std::uint32_t> spikes;
  for (const auto& [step, neuron] : all) {
    spikes.push_back(neuron);
    spikes.push_back(static_cast<std::uint32_t>(step));
  }

  doc["populations"] = std::move(pops);
  doc["projections"] = std::move(projs);
  doc["neurons"] = neurons;
  doc["synapses"] = pre.size();
  doc["files"] = {{"v0", "v0.f64"},       {"pre", "pre.u32"}, {"post", "post.u32"},
                  {"w", "w.f64"},         {"delay", "delay.u16"}, {"spikes", "spikes.u32"},
                  {"state", "state.f64"}};
  write_array(s.out / "v0.f64", v0);
  write_array(s.out / "pre.u32", pre);
  write_array(s.out / "post.u32", post);
  write_array(s.out / "w.f64", w);
  write_array(s.out / "delay.u16", delay);
  write_array(s.out / "spikes.u32", spikes);
  write_array(s.out / "state.f64", state);
  std::ofstream(s.out / "network.json") << doc.dump(1) << '\n';
  std::printf("microcircuit scale %g, seed %llu, DC + %g pA: %zu neurons, %zu synapses, %zu spikes in %llu steps, written to %s\n",
              s.scale, static_cast<unsigned long long>(s.seed), s.extra_dc, neurons, pre.size(), all.size(),
              static_cast<unsigned long long>(net.current_step()), s.out.string().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "microcircuit_brian2_export: %s\n", e.what());
    return 2;
  }
}
