// Save/load of event-driven state (synapse variables with `advance`, traces with `advance_pre` /
// `advance_post`): the ages are saved in every format and a loaded network continues bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

#include "../support/event_driven_models.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

using spikeweave::testing::stdp_events;
using spikeweave::testing::stp_per_synapse;

auto make(std::uint64_t seed, double p = 0.3) {
  return sw::network{
      {.dt = 0.1, .seed = seed},
      sw::population<poisson_source, "In">{60, {.rate = 20}},
      sw::population<lif_cond_exp, "E">{30, {}, {.v = sw::uniform(-60, -50)}},
      sw::projection<tsodyks_markram, "In", "E", "g_e", "tm">{sw::fixed_probability{p}, {.w = 0.8}, 1.2,
                                                             tsodyks_markram::parameters{0.2, 300, 200}},
      sw::projection<stp_per_synapse, "In", "E", "g_e", "stp">{
          sw::fixed_probability{p}, {.w = sw::uniform(0.2, 0.6)}, sw::uniform(0.1, 2.5), {.U = 0.4}},
      sw::projection<stdp_events, "In", "E", "g_e", "stdp">{
          sw::fixed_probability{p}, {.w = 0.1}, 0.8, {.A_plus = 0.01, .A_minus = 0.011, .w_max = 0.3}},
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

// Every number of the state, ages included, in a fixed order.
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
    const auto ages = proj.ages();
    out.insert(out.end(), ages.synapses.begin(), ages.synapses.end());
    out.insert(out.end(), ages.pre.begin(), ages.pre.end());
    out.insert(out.end(), ages.post.begin(), ages.post.end());
    if (std::remove_cvref_t<decltype(proj)>::event_driven) out.push_back(static_cast<double>(ages.learning_steps));
    for (auto j : proj.post()) out.push_back(j);
  });
  return out;
}

std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

// The second half of a run in which learning in "stp" is off from step 1500 to 2500.
template <class Net>
std::vector<std::vector<std::uint32_t>> second_half(Net& net) {
  auto out = run(net, 500);
  net.enable_learning({"stp"});
  auto rest = run(net, 1500);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace

TEST_CASE("event-driven state: save at T in every format, load into a fresh network, run: bit for bit",
          "[state][event_driven]") {
  auto reference = make(23);
  run(reference, 1500);
  reference.disable_learning({"stp"});
  run(reference, 500);
  const auto later = second_half(reference);
  const auto final_state = everything(reference);
  // The ages are alive: some state lags, and each part of it is event-driven.
  const auto ages = reference.projection<"stp">().ages();
  CHECK(std::any_of(ages.synapses.begin(), ages.synapses.end(), [](auto a) { return a > 0; }));
  CHECK(ages.learning_steps == 3000);
  CHECK(ages.pre.empty());
  const auto tm_ages = reference.projection<"tm">().ages().pre;
  const auto stdp_ages = reference.projection<"stdp">().ages().post;
  CHECK(std::any_of(tm_ages.begin(), tm_ages.end(), [](auto a) { return a > 0; }));
  CHECK(std::any_of(stdp_ages.begin(), stdp_ages.end(), [](auto a) { return a > 0; }));

  for (const char* ext : {".npz", ".h5", ".bin", ".txt", ".xml.gz"}) {
    INFO(ext);
    auto first = make(23);
    run(first, 1500);
    first.disable_learning({"stp"});
    run(first, 500);
    const auto path = temp(std::string("sw_event_driven_state") + ext);
    first.save(path);
    auto resumed = make(77, 0.1);  // other synapses: the file decides
    resumed.load(path);
    CHECK_FALSE(resumed.projection<"stp">().learning());
    CHECK(second_half(resumed) == later);
    CHECK(everything(resumed) == final_state);
    std::filesystem::remove(path);
  }
}

TEST_CASE("event-driven state: the ages are in the file, in steps", "[state][event_driven]") {
  auto net = make(5);
  run(net, 300);
  const auto path = temp("sw_event_driven_keys.npz");
  net.save(path);
  sw::io::npz_reader in(path);
  CHECK(in.contains("projections/stp/event_age"));
  CHECK(in.contains("projections/tm/pre_trace_age"));
  CHECK(in.contains("projections/stdp/pre_trace_age"));
  CHECK(in.contains("projections/stdp/post_trace_age"));
  CHECK_FALSE(in.contains("projections/tm/event_age"));
  CHECK(in.read<std::uint32_t>("projections/stp/event_age") == net.projection<"stp">().ages().synapses);
  CHECK(in.read<std::uint64_t>("projections/tm/pre_trace_age") == net.projection<"tm">().ages().pre);
  const auto meta = nlohmann::json::parse(in.read_string("metadata"));
  CHECK(meta["projections"]["stp"]["learning_steps"] == 300);
  CHECK(meta["projections"]["stp"]["units"]["event_age"] == "steps");
  std::filesystem::remove(path);
}
