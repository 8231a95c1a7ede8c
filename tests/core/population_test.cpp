// Populations: storage, initial values, typed and named access, parameter rules.
#include <cmath>
#include <numeric>
#include <string>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;
using sw::models::izhikevich;
using sw::models::lif_cond_exp;

TEST_CASE("columns are aligned, padded to whole batches and start at the model's initial values", "[population]") {
  sw::population<lif_cond_exp, "E"> pop{13};
  CHECK(pop.size() == 13);
  CHECK(pop.name() == "E");
  auto& v = pop.columns().v;
  CHECK(v.size() == 13);
  CHECK(v.padded_size() % xsimd::batch<double>::size == 0);
  CHECK(v.padded_size() >= 13);
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % xsimd::default_arch::alignment() == 0);
  for (double x : v) CHECK(x == -60.0);  // E_l
  for (double g : pop.columns().g_e) CHECK(g == 0.0);
  CHECK(&pop.var<"g_i">() == &pop.columns().g_i);
  CHECK(pop.var("g_i").data() == pop.columns().g_i.data());
  CHECK(pop.variable_names()[1] == "g_e");
}

TEST_CASE("initial values: constant, per neuron, uniform, normal", "[population]") {
  const std::size_t n = 20000;
  std::vector<double> ramp(n);
  std::iota(ramp.begin(), ramp.end(), 0.0);
  auto make = [&](std::uint64_t seed) {
    return sw::population<lif_cond_exp, "E">{
        sw::population<lif_cond_exp, "E">{n, {}, {.v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = ramp}},
        {seed, 0}};
  };
  auto pop = make(1);
  const auto& c = pop.columns();
  double sum_v = 0, sum_g = 0, sum_g2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(c.v[i] >= -60.0);
    REQUIRE(c.v[i] < -50.0);
    REQUIRE(c.g_i[i] == static_cast<double>(i));
    sum_v += c.v[i];
    sum_g += c.g_e[i];
    sum_g2 += c.g_e[i] * c.g_e[i];
  }
  CHECK(sum_v / n == Approx(-55).margin(0.1));
  CHECK(sum_g / n == Approx(4).margin(0.05));
  CHECK(std::sqrt(sum_g2 / n - (sum_g / n) * (sum_g / n)) == Approx(1.5).margin(0.05));
  // Same seed, same values; another seed, other values.
  CHECK(make(1).columns().v[123] == c.v[123]);
  CHECK(make(2).columns().v[123] != c.v[123]);
  // v and g_e draw from different streams.
  CHECK((c.v[5] + 55) / 5 != Approx((c.g_e[5] - 4) / 1.5));
}

TEST_CASE("bad initial values are config_errors that name the population and variable", "[population]") {
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {}, {.v = std::vector<double>{1, 2}}}; }) ==
        "population 'E': initial value of 'v' has 2 values, the population has 3 neurons");
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {}, {.g_e = sw::uniform(2, 1)}}; }) ==
        "population 'E': initial value of 'g_e' uniform(2, 1): needs finite lo <= hi");
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {}, {.g_e = sw::normal(0, -1)}}; }) ==
        "population 'E': initial value of 'g_e' normal(0, -1): needs a finite mean and sd >= 0");
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {}, {.v = NAN}}; }) ==
        "population 'E': initial value of 'v' = nan, must be finite");
}

TEST_CASE("parameter rules: config_error naming population, parameter, value and rule", "[population]") {
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {.tau_m = -1}}; }) ==
        "population 'E': tau_m = -1, must be > 0");
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {.v_th = -50, .v_reset = -45}}; }) ==
        "population 'E': v_reset = -45, must be < v_th = -50");
  CHECK(config_error_of([] { sw::population<lif_cond_exp, "E">{3, {.tau_e = 0, .E_e = INFINITY}}; }) ==
        "population 'E': E_e = inf, must be finite; tau_e = 0, must be > 0");
  CHECK(config_error_of([] { sw::population<izhikevich, "RS">{3, {.c = 40}}; }) ==
        "population 'RS': c = 40, must be < v_peak = 30");

  sw::population<lif_cond_exp, "E"> pop{3};
  const auto before = pop.parameters();
  CHECK_THROWS_AS(pop.set_parameters({.t_ref = -2}), sw::config_error);
  CHECK(pop.parameters().t_ref == before.t_ref);  // unchanged after a rejected set
  pop.set_parameters({.t_ref = 2});
  CHECK(pop.parameters().t_ref == 2);
}

TEST_CASE("parameters named at run time: get, set with rules, config_error if unknown", "[population]") {
  sw::population<lif_cond_exp, "E"> pop{3};
  CHECK(pop.parameter("tau_i") == 10);
  pop.set_parameter("tau_i", 12.5);
  CHECK(pop.parameters().tau_i == 12.5);
  CHECK(config_error_of([&] { pop.set_parameter("v_reset", -40); }) ==
        "population 'E': v_reset = -40, must be < v_th = -50");
  CHECK(pop.parameters().v_reset == -60);
  CHECK(config_error_of([&] { (void)pop.parameter("taum"); }) ==
        "population 'E': no parameter 'taum' (the model has: tau_m, E_l, v_th, v_reset, t_ref, tau_e, tau_i, E_e, E_i)");
}

TEST_CASE("variables named at run time: config_error lists what the model has", "[population]") {
  sw::population<lif_cond_exp, "E"> pop{3};
  CHECK(config_error_of([&] { pop.var("ge"); }) == "population 'E': no variable 'ge' (the model has: v, g_e, g_i)");
}

TEST_CASE("refractory period in steps is rounded as Brian2 does", "[population]") {
  sw::population<lif_cond_exp, "E"> pop{1, {.t_ref = 5}};
  CHECK(pop.refractory_steps(0.1) == 50);
  CHECK(pop.refractory_steps(0.3) == 16);  // 16.67 -> 16
  pop.set_parameters({.t_ref = 0.2998});
  CHECK(pop.refractory_steps(0.1) == 2);  // 2.998 -> 2: the tolerance is 1e-3 steps
  pop.set_parameters({.t_ref = 0.29995});
  CHECK(pop.refractory_steps(0.1) == 3);  // 2.9995 -> 3
  pop.set_parameters({.t_ref = 0.3});
  CHECK(pop.refractory_steps(0.1) == 3);  // 0.3 / 0.1 = 2.9999999999999996 in doubles
}

TEST_CASE("refractoriness holds v at reset and blocks spikes for t_ref", "[population]") {
  // Strong constant drive: fires whenever allowed.
  sw::population<lif_cond_exp, "E"> pop{1, {.t_ref = 2, .tau_e = 1e12}, {.g_e = 100.0}};
  std::vector<std::uint64_t> spike_steps;
  for (std::uint64_t k = 0; k < 200; ++k) {
    pop.advance(0.1, 0.1 * static_cast<double>(k), k);
    if (!pop.spikes().empty()) spike_steps.push_back(k);
    if (!spike_steps.empty() && k > spike_steps.back() && k < spike_steps.back() + 20) {
      INFO("step " << k);
      REQUIRE(pop.columns().v[0] == -60.0);  // held at v_reset
    }
  }
  REQUIRE(spike_steps.size() > 3);
  for (std::size_t i = 1; i < spike_steps.size(); ++i) CHECK(spike_steps[i] - spike_steps[i - 1] == 20);  // t_ref / dt
  CHECK(pop.spike_count() == spike_steps.size());
}

TEST_CASE("reset restores the initial state bit for bit", "[population]") {
  sw::population<izhikevich, "N"> pop{50, {.I_ext = 10}, {.v = sw::uniform(-70, -50)}};
  const std::vector<double> v0(pop.columns().v.begin(), pop.columns().v.end());
  for (std::uint64_t k = 0; k < 500; ++k) pop.advance(0.1, 0.1 * static_cast<double>(k), k);
  CHECK(pop.spike_count() > 0);
  pop.reset();
  CHECK(std::vector<double>(pop.columns().v.begin(), pop.columns().v.end()) == v0);
  CHECK(pop.spike_count() == 0);
  CHECK(pop.spikes().empty());
}
