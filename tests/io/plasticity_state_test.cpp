// Save/load of every built-in plasticity model's state (weights, per-neuron traces, parameters): exact continuation.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// Poisson sources onto LIF neurons driven to fire, through one projection of
// every plasticity model (with non-default parameters, so that loading them
// matters, and delays longer than a step, so that spikes are in transit).
auto make(std::uint64_t seed, double p = 0.3) {
  return sw::network{
      {.dt = 0.1, .seed = seed},
      sw::population<poisson_source, "In">{60, {.rate = 20}},
      sw::population<lif_cond_exp, "E">{30, {}, {.v = sw::uniform(-60, -50)}},
      sw::projection<stdp_multiplicative, "In", "E", "g_e", "mult">{
          sw::fixed_probability{p}, {.w = sw::uniform(0.05, 0.25)}, 1.5,
          {.A_plus = 0.02, .A_minus = 0.021, .w_max = 0.3, .mu_plus = 0.4, .mu_minus = 0.9}},
      sw::projection<stdp_nearest, "In", "E", "g_e", "near">{sw::fixed_probability{p}, {.w = 0.1}, 0.8,
                                                            {.A_plus = 0.01, .A_minus = 0.011, .w_max = 0.3}},
      sw::projection<stdp_triplet, "In", "E", "g_e", "trip">{sw::fixed_probability{p}, {.w = 0.1}, 2.0,
                                                            [] {
                                                              auto q = stdp_triplet::hippocampal_all_to_all();
                                                              q.w_max = 0.3;
                                                              return q;
                                                            }()},
      sw::projection<stdp_triplet, "In", "E", "g_e", "trip_nn">{
          sw::fixed_probability{p}, {.w = 0.1}, {}, [] {
            auto q = stdp_triplet::visual_cortex_nearest();
            q.w_max = 0.3;
            return q;
          }()},
      sw::projection<tsodyks_markram, "In", "E", "g_e", "tm">{sw::fixed_probability{p}, {.w = 0.8}, 1.2,
                                                             tsodyks_markram::parameters{0.2, 300, 200}},
      sw::poisson_input<"E", "g_e">{.n = 300, .rate = 10, .weight = 0.05}};
}

template <class Net>
std::vector<std::vector<std::uint32_t>> run(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

// Every number of the state, in a fixed order.
template <class Net>
std::vector<double> everything(Net& net) {
  std::vector<double> out{net.current_time()};
  net.for_each_population([&](auto& pop) {
    sw::reflect::for_each_field(pop.columns(), [&](auto, const auto& c) { out.insert(out.end(), c.begin(), c.end()); });
  });
  net.for_each_projection([&](auto& proj) {
    auto add = [&](auto, const auto& c) { out.insert(out.end(), c.begin(), c.end()); };
    sw::reflect::for_each_field(proj.columns(), add);
    sw::reflect::for_each_field(proj.pre_traces(), add);
    sw::reflect::for_each_field(proj.post_traces(), add);
    for (auto j : proj.post()) out.push_back(j);
  });
  return out;
}

std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

}  // namespace

TEST_CASE("plasticity models: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][plasticity]") {
  auto reference = make(17);
  std::vector<std::vector<double>> initial_w;
  reference.for_each_projection([&](auto& proj) { initial_w.emplace_back(proj.columns().w.begin(), proj.columns().w.end()); });
  run(reference, 2000);
  const auto second_half = run(reference, 2000);
  const auto final_state = everything(reference);

  auto first = make(17);
  run(first, 2000);
  const auto path = temp("sw_plasticity_state.npz");
  first.save(path);
  {
    sw::io::npz_reader in(path);
    for (const char* key : {"projections/mult/pre_trace/x", "projections/near/post_trace/y",
                            "projections/trip/pre_trace/r2_prev", "projections/trip/post_trace/o2_prev",
                            "projections/trip_nn/post_trace/o1", "projections/tm/pre_trace/u",
                            "projections/tm/pre_trace/d", "projections/tm/pre_trace/r"})
      CHECK(in.contains(key));
  }

  // Another seed, other connectivity and default parameters: the file decides.
  auto resumed = sw::network{
      {.dt = 0.1, .seed = 99},
      sw::population<poisson_source, "In">{60, {.rate = 20}},
      sw::population<lif_cond_exp, "E">{30},
      sw::projection<stdp_multiplicative, "In", "E", "g_e", "mult">{sw::fixed_probability{0.1}, {.w = 0.1}, 1.5},
      sw::projection<stdp_nearest, "In", "E", "g_e", "near">{sw::fixed_probability{0.1}, {.w = 0.1}, 0.8},
      sw::projection<stdp_triplet, "In", "E", "g_e", "trip">{sw::fixed_probability{0.1}, {.w = 0.1}, 2.0},
      sw::projection<stdp_triplet, "In", "E", "g_e", "trip_nn">{sw::fixed_probability{0.1}, {.w = 0.1}},
      sw::projection<tsodyks_markram, "In", "E", "g_e", "tm">{sw::fixed_probability{0.1}, {.w = 0.1}, 1.2},
      sw::poisson_input<"E", "g_e">{.n = 300, .rate = 10, .weight = 0.05}};
  resumed.load(path);
  CHECK(resumed.projection<"trip_nn">().parameters().nearest);
  CHECK(resumed.projection<"mult">().parameters().mu_plus == 0.4);
  CHECK(resumed.projection<"tm">().parameters().tau_facil == 200);
  CHECK(run(resumed, 2000) == second_half);
  CHECK(everything(resumed) == final_state);

  // The run did exercise the rules: weights moved, traces are alive, the post neurons fired.
  CHECK(reference.population<"E">().spike_count() > 0);
  std::size_t i = 0;
  reference.for_each_projection([&](auto& proj) {
    using model = typename std::remove_cvref_t<decltype(proj)>::model_type;
    const std::vector<double> w(proj.columns().w.begin(), proj.columns().w.end());
    INFO(proj.name());
    if constexpr (std::is_same_v<model, tsodyks_markram>)
      CHECK(w == initial_w[i]);  // short-term plasticity leaves w alone
    else
      CHECK(w != initial_w[i]);
    ++i;
  });
  const auto& d = reference.projection<"tm">().pre_traces().d;
  CHECK(std::any_of(d.begin(), d.end(), [](double v) { return v > 0; }));
  std::filesystem::remove(path);
}
