// The documented ways to build a population ({n}, {n, params}, {n, params, initial}, `{}` for any of them),
// spike generators, and per-neuron initial values from any range of numbers.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::lif_cond_exp;
using sw::models::spike_generator;

TEST_CASE("population: {n}, {n, {}}, {n, {}, {}} and designated parameters and initial values", "[population]") {
  // `{}` for the parameters or the initial values used to be ambiguous with the spike-times constructor.
  sw::population<lif_cond_exp, "A"> a{200};
  sw::population<lif_cond_exp, "B"> b{200, {}};
  sw::population<lif_cond_exp, "C"> c{200, {}, {}};
  sw::population<lif_cond_exp, "D"> d{200, {.tau_m = 10}, {}};
  sw::population<lif_cond_exp, "E"> e{200, {}, {.v = -55}};
  for (const auto* pop : {&a.parameters(), &b.parameters(), &c.parameters(), &e.parameters()})
    CHECK(pop->tau_m == lif_cond_exp::parameters{}.tau_m);
  CHECK(d.parameters().tau_m == 10);
  CHECK(c.size() == 200);
  CHECK(c.columns().v[0] == lif_cond_exp::parameters{}.E_l);
  CHECK(e.columns().v[199] == -55);
  CHECK(a.scheduled_spikes().empty());
  CHECK(b.scheduled_spikes().empty());

  auto net = sw::network{{.dt = 0.1}, sw::population<lif_cond_exp, "N">{20, {}},
                         sw::population<lif_cond_exp, "M">{30, {}, {}}};
  net.simulate(1);
  CHECK(net.population<"M">().size() == 30);
}

TEST_CASE("population: a spike generator, from sw::spike_times given in place or as a variable", "[population][generator]") {
  sw::spike_times schedule{.indices = {2, 0}, .times = {1.0, 0.5}};
  sw::population<spike_generator, "G"> from_variable{3, schedule};
  sw::population<spike_generator, "H"> in_place{3, sw::spike_times{.indices = {2, 0}, .times = {1.0, 0.5}}, {}, {}};
  const std::vector<std::pair<double, std::uint32_t>> by_time{{0.5, 0}, {1.0, 2}};
  CHECK(from_variable.scheduled_spikes() == by_time);
  CHECK(in_place.scheduled_spikes() == by_time);

  auto net = sw::network{{.dt = 0.1}, sw::population<spike_generator, "In">{3, schedule}, sw::spike_monitor<"S", "In">{}};
  net.simulate(2);
  const auto& s = net.monitor<"S">();
  REQUIRE(s.size() == 2);
  CHECK(s.steps() == std::vector<std::uint64_t>{5, 10});
  CHECK(s.index_data() == std::vector<std::uint32_t>{0, 2});
}

TEST_CASE("population: per-neuron initial values from a range of any number type", "[population][initial]") {
  const std::vector<float> v{-60.5f, -61.0f, -62.25f};
  const std::array<int, 3> g{1, 2, 3};
  const std::vector<double> gi{0.5, 0.25, 0.125};
  sw::population<lif_cond_exp, "E"> pop{3, {}, {.v = v, .g_e = g, .g_i = std::span<const double>(gi)}};
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(pop.columns().v[i] == static_cast<double>(v[i]));
    CHECK(pop.columns().g_e[i] == g[i]);
    CHECK(pop.columns().g_i[i] == gi[i]);
  }
  CHECK_THROWS_WITH((sw::population<lif_cond_exp, "E">{4, {}, {.v = std::vector<int>{1, 2}}}),
                    Catch::Contains("initial value of 'v' has 2 values, the population has 4 neurons"));
}
