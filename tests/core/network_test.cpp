// The network: composition, names, clock, run control, reset, precision.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

auto small_network(std::uint64_t seed) {
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<lif_cond_exp, "E">{400, {}, {.v = sw::uniform(-60, -50)}},
                     sw::population<poisson_source>{100, {.rate = 20}},
                     sw::population<izhikevich>{10, {.I_ext = 10}},
                     sw::poisson_input<"E", "g_e">{.n = 800, .rate = 2.0, .weight = 0.05}};
}

// Spike trains of every population, step by step.
template <class Net>
std::vector<std::vector<std::uint32_t>> run_and_record(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}
}  // namespace

TEST_CASE("populations are found by name; unnamed ones are pop<index>, as in ANNarchy", "[network]") {
  auto net = small_network(1);
  CHECK(net.population<"E">().name() == "E");
  CHECK(net.population<"pop1">().name() == "pop1");  // the second population, unnamed
  CHECK(net.population<"pop2">().size() == 10);
  CHECK(net.population_names() == std::vector<std::string_view>{"E", "pop1", "pop2"});
  CHECK(net.neuron_count() == 510);
  std::size_t size = 0;
  net.visit_population("pop1", [&](auto& pop) { size = pop.size(); });
  CHECK(size == 100);
  CHECK(config_error_of([&] { net.visit_population("X", [](auto&) {}); }) ==
        "network: no population 'X' (populations: E, pop1, pop2)");
}

TEST_CASE("the clock counts steps; time is step * dt", "[network]") {
  auto net = small_network(1);
  CHECK(net.current_step() == 0);
  net.simulate(10);
  CHECK(net.current_step() == 100);
  net.simulate(0.21);  // 2.1 steps: rounded up to 3, as ANNarchy does
  CHECK(net.current_step() == 103);
  net.simulate(1.1);  // 1.1 / 0.1 = 11.000000000000002 in doubles: still 11 steps
  CHECK(net.current_step() == 114);
  net.simulate(0.3);  // 2.9999999999999996: 3 steps
  CHECK(net.current_step() == 117);
  net.step();
  CHECK(net.current_step() == 118);
  CHECK(net.current_time() == 118 * 0.1);
  net.simulate(0);
  CHECK(net.current_step() == 118);
}

TEST_CASE("bad run-time input is a config_error that says what and why", "[network]") {
  auto net = small_network(1);
  CHECK(config_error_of([&] { net.simulate(-1); }) ==
        "network: simulate(-1 ms): the duration must be finite and >= 0");
  CHECK(config_error_of([] { sw::network{{.dt = 0}, sw::population<izhikevich>{1}}; }) ==
        "network: dt = 0 ms, must be finite and > 0");
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<izhikevich, "A">{1},
                      sw::poisson_input<"A", "I">{.n = 1, .rate = -5, .weight = 1}};
        }) == "poisson_input onto 'A.I': rate = -5 Hz, must be finite and >= 0");
}

TEST_CASE("the same seed gives the same spikes; another seed other spikes", "[network]") {
  auto a = small_network(7);
  auto b = small_network(7);
  auto c = small_network(8);
  const auto ra = run_and_record(a, 1000);
  CHECK(ra == run_and_record(b, 1000));
  CHECK(ra != run_and_record(c, 1000));
  CHECK(a.population<"E">().spike_count() > 0);
  CHECK(a.population<"pop1">().spike_count() > 0);
}

TEST_CASE("reset returns to the initial state: a rerun is bit-identical", "[network]") {
  auto net = small_network(3);
  std::vector<double> v0(net.population<"E">().columns().v.begin(), net.population<"E">().columns().v.end());
  const auto first = run_and_record(net, 700);
  const std::vector<double> v_end(net.population<"E">().columns().v.begin(), net.population<"E">().columns().v.end());
  net.reset();
  CHECK(net.current_step() == 0);
  CHECK(std::vector<double>(net.population<"E">().columns().v.begin(), net.population<"E">().columns().v.end()) == v0);
  CHECK(run_and_record(net, 700) == first);
  CHECK(std::vector<double>(net.population<"E">().columns().v.begin(), net.population<"E">().columns().v.end()) == v_end);
}

TEST_CASE("single precision networks run the same model in float", "[network]") {
  auto net = sw::network{sw::precision<float>, {.dt = 0.1, .seed = 7},
                         sw::population<lif_cond_exp, "E">{400, {}, {.v = sw::uniform(-60, -50)}},
                         sw::poisson_input<"E", "g_e">{.n = 800, .rate = 2.0, .weight = 0.05}};
  auto dbl = sw::network{{.dt = 0.1, .seed = 7},
                         sw::population<lif_cond_exp, "E">{400, {}, {.v = sw::uniform(-60, -50)}},
                         sw::poisson_input<"E", "g_e">{.n = 800, .rate = 2.0, .weight = 0.05}};
  STATIC_REQUIRE(std::is_same_v<decltype(net)::real_type, float>);
  STATIC_REQUIRE(std::is_same_v<std::remove_reference_t<decltype(net.population<"E">().columns().v[0])>, float>);
  net.simulate(500);
  dbl.simulate(500);
  const double rf = static_cast<double>(net.population<"E">().spike_count());
  const double rd = static_cast<double>(dbl.population<"E">().spike_count());
  REQUIRE(rd > 100);
  CHECK(rf == Approx(rd).epsilon(0.05));  // same statistics, not the same bits
}
