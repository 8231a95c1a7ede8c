// Event-driven synapse variables and traces on 1 and 2 threads: the same spikes, bits and ages.
//
// Asks for TBB itself, as threads_test.cpp does; its network types are its own.
#ifndef SPIKEWEAVE_HAS_TBB
#define SPIKEWEAVE_HAS_TBB 1
#endif

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>
#include <tbb/global_control.h>

#include "../support/event_driven_models.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

using spikeweave::testing::stdp_events;
using spikeweave::testing::stp_per_synapse;

auto edt_network(std::size_t threads) {
  const lif_cond_exp::variables<sw::initial_value> init{
      .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};
  return sw::network{{.dt = 0.1, .seed = 21, .threads = threads},
                     sw::population<lif_cond_exp, "edtE">{3200, {}, init},
                     sw::population<lif_cond_exp, "edtI">{800, {}, init},
                     sw::projection<stp_per_synapse, "edtE", "edtE", "g_e", "edtEE">{
                         sw::fixed_probability{0.02}, {.w = sw::uniform(1.0, 2.0)}, sw::uniform(0.1, 2.0)},
                     sw::projection<stdp_events, "edtE", "edtI", "g_e", "edtEI">{
                         sw::fixed_probability{0.02}, {.w = sw::uniform(0.3, 0.6)}, 0.5, {.w_max = 1.0}},
                     sw::projection<tsodyks_markram, "edtI", "edtE", "g_i", "edtIE">{
                         sw::fixed_probability{0.02}, {.w = 12.0}, 0.8, tsodyks_markram::facilitating()},
                     sw::projection<static_synapse, "edtI", "edtI", "g_i", "edtII">{sw::fixed_probability{0.02}, {.w = 6.7}},
                     sw::poisson_input<"edtE", "g_e">{.n = 100, .rate = 5, .weight = 0.1}};
}

template <class Net>
std::vector<std::uint64_t> bits_and_ages(Net& net) {
  std::vector<std::uint64_t> out;
  auto add_all = [&](const auto& columns) {
    sw::reflect::for_each_field(columns, [&](auto, const auto& c) {
      for (double x : c) out.push_back(std::bit_cast<std::uint64_t>(x));
    });
  };
  net.for_each_population([&](auto& pop) { add_all(pop.columns()); });
  net.for_each_projection([&](auto& proj) {
    add_all(proj.columns());
    add_all(proj.pre_traces());
    add_all(proj.post_traces());
    const auto ages = proj.ages();
    out.insert(out.end(), ages.synapses.begin(), ages.synapses.end());
    out.insert(out.end(), ages.pre.begin(), ages.pre.end());
    out.insert(out.end(), ages.post.begin(), ages.post.end());
  });
  return out;
}

template <class Net>
std::vector<std::vector<std::uint32_t>> spikes_of(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

}  // namespace

TEST_CASE("event-driven variables and traces: the same bits and ages on 1 and 2 threads", "[event_driven][threads]") {
  const tbb::global_control allow{tbb::global_control::max_allowed_parallelism, 2};
  auto one = edt_network(1);
  auto two = edt_network(2);
  REQUIRE(two.chunk_count() == 2);
  CHECK(spikes_of(one, 800) == spikes_of(two, 800));
  one.disable_learning({"edtEE"});
  two.disable_learning({"edtEE"});
  CHECK(spikes_of(one, 400) == spikes_of(two, 400));
  std::uint64_t total = 0;
  one.for_each_population([&](auto& pop) { total += pop.spike_count(); });
  CHECK(total > 2000);
  CHECK(bits_and_ages(one) == bits_and_ages(two));
  const auto ages = one.projection<"edtEE">().ages();
  CHECK(ages.learning_steps == 800);
  CHECK(std::count_if(ages.synapses.begin(), ages.synapses.end(), [](auto a) { return a > 0; }) > 0);
}
