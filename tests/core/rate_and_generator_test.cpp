// Rate-coded projections (rate_neuron + rate_synapse) and spike generators.
#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;
using namespace sw::models;

TEST_CASE("a spike generator fires exactly at the given times, and drives a projection", "[generator]") {
  auto net = sw::network{{.dt = 0.1},
                         sw::population<spike_generator, "In">{3, sw::spike_times{{0, 2, 0, 1}, {0.5, 0.5, 12.5, 3.04}}},
                         sw::population<lif_delta, "Out">{1, {.tau_m = 10}},
                         sw::projection<static_synapse, "In", "Out", "dv", "P">{sw::all_to_all{}, {.w = 2.0}, 1.0},
                         sw::spike_monitor<"in", "In">{}};
  std::vector<double> v;
  for (int k = 0; k < 200; ++k) {
    net.step();
    v.push_back(net.population<"Out">().columns().v[0]);
  }
  const auto& m = net.monitor<"in">();
  CHECK(m.steps() == std::vector<std::uint64_t>{5, 5, 30, 125});
  CHECK(m.index_data() == std::vector<std::uint32_t>{0, 2, 1, 0});
  // Two spikes of step 5 arrive after 1 ms (10 steps): the target jumps by 4 mV in step 16's update.
  CHECK(v[15] == 0.0);
  CHECK(v[16] == Approx(4.0));
  CHECK(net.population<"In">().spike_count() == 4);
  // A reset replays the schedule.
  net.reset({.monitors = true});
  net.simulate(20);
  CHECK(net.monitor<"in">().steps() == std::vector<std::uint64_t>{5, 5, 30, 125});
}

TEST_CASE("spike times are checked", "[generator]") {
  using pop = sw::population<spike_generator, "In">;
  CHECK_THROWS_WITH(pop(3, sw::spike_times{{3}, {1.0}}), "population 'In': spike 0: neuron 3, the population has 3");
  CHECK_THROWS_WITH(pop(3, sw::spike_times{{0}, {-1.0}}), Catch::Contains("t = -1 ms, must be finite and >= 0"));
  CHECK_THROWS_WITH(pop(3, sw::spike_times{{0, 1}, {1.0}}), Catch::Contains("2 indices but 1 times"));
}

TEST_CASE("a rate-coded network relaxes to the analytic fixed point r = W r + I", "[rate]") {
  // Two linear rate neurons coupled by w12 = 0.5 (2 -> 1) and w21 = -0.3 (1 -> 2), external inputs 1 and 2:
  // r1 = 1 + 0.5 r2, r2 = 2 - 0.3 r1  =>  r1 = 2 / 1.15, r2 = 2 - 0.3 r1.
  auto net = sw::network{{.dt = 0.1},
                         sw::population<rate_neuron, "A">{1, {.tau = 10, .gain = 1, .threshold = 0, .I_ext = 1, .transfer = 0}},
                         sw::population<rate_neuron, "B">{1, {.tau = 10, .gain = 1, .threshold = 0, .I_ext = 2, .transfer = 0}},
                         sw::projection<rate_synapse, "B", "A", "input", "BA">{sw::all_to_all{}, {.w = 0.5}},
                         sw::projection<rate_synapse, "A", "B", "input", "AB">{sw::all_to_all{}, {.w = -0.3}}};
  net.simulate(1000);
  const double r1 = 2 / 1.15, r2 = 2 - 0.3 * r1;
  CHECK(net.population<"A">().columns().r[0] == Approx(r1).epsilon(1e-9));
  CHECK(net.population<"B">().columns().r[0] == Approx(r2).epsilon(1e-9));
}

TEST_CASE("a rate projection sums w r over its synapses, one step later", "[rate]") {
  // Five constant sources (I_ext only, no input) drive one neuron through w = 0.1 ... 0.5.
  auto net = sw::network{{.dt = 0.1},
                         sw::population<rate_neuron, "S">{5, {.tau = 1e-3, .gain = 1, .threshold = 0, .I_ext = 2, .transfer = 0}},
                         sw::population<rate_neuron, "T">{1, {.tau = 1e-3, .gain = 1, .threshold = 0, .I_ext = 0, .transfer = 1}},
                         sw::projection<rate_synapse, "S", "T", "input", "ST">{
                             sw::all_to_all{}, {.w = sw::initial_value(std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5})}}};
  net.simulate(1);
  CHECK(net.population<"T">().columns().r[0] == Approx(2 * 1.5).epsilon(1e-12));
}
