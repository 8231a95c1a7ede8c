// Monitors, run control, callbacks, copies and parallel_run.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/core/parallel.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

auto make(std::uint64_t seed = 1) {
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<lif_cond_exp, "E">{50, {}, {.v = sw::uniform(-60, -50)}},
                     sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}, {.w = 0.2}},
                     sw::poisson_input<"E", "g_e">{.n = 200, .rate = 20, .weight = 0.05},
                     sw::spike_monitor<"spikes", "E">{},
                     sw::spike_monitor<"some", "E">{{.neurons = {3, 7, 11}}},
                     sw::state_monitor<"v", "E", "v", "g_e">{{.neurons = {0, 5}, .period = 1.0, .period_offset = 0.5}},
                     sw::rate_monitor<"rate", "E">{}};
}

}  // namespace

TEST_CASE("a spike monitor records exactly the population's spikes, with times step * dt", "[monitor]") {
  auto net = make();
  std::vector<std::uint64_t> steps;
  std::vector<std::uint32_t> indices, some;
  for (std::uint64_t n = 0; n < 3000; ++n) {
    net.step();
    for (auto i : net.population<"E">().spikes()) {
      steps.push_back(n);
      indices.push_back(i);
      if (i == 3 || i == 7 || i == 11) some.push_back(i);
    }
  }
  auto& m = net.monitor<"spikes">();
  REQUIRE(m.size() > 100);
  CHECK(m.steps() == steps);
  CHECK(std::vector<std::uint32_t>(m.indices().begin(), m.indices().end()) == indices);
  const auto t = m.times();
  for (std::size_t k = 0; k < steps.size(); ++k) REQUIRE(t(k) == static_cast<double>(steps[k]) * 0.1);
  auto& s = net.monitor<"some">();
  CHECK(std::vector<std::uint32_t>(s.indices().begin(), s.indices().end()) == some);
  // The rate monitor counts the same spikes: sum(rate) N dt = spikes.
  const auto r = net.monitor<"rate">().rates();
  double total = 0;
  for (double x : r) total += x * 50 * 0.1e-3;
  CHECK(total == Approx(static_cast<double>(steps.size())));
  CHECK(net.monitor<"rate">().steps().size() == 3000);
}

TEST_CASE("a state monitor samples at offset + k period, the values at the start of the step", "[monitor]") {
  auto net = make();
  std::vector<double> v0, ge5;
  for (std::uint64_t n = 0; n < 300; ++n) {
    if (n >= 5 && (n - 5) % 10 == 0) {
      v0.push_back(net.population<"E">().columns().v[0]);
      ge5.push_back(net.population<"E">().columns().g_e[5]);
    }
    net.step();
  }
  auto& m = net.monitor<"v">();
  const auto t = m.times();
  REQUIRE(t.size() == 30);
  for (std::size_t k = 0; k < 30; ++k) CHECK(t(k) == Approx(0.5 + static_cast<double>(k)).epsilon(1e-12));
  const auto v = m.data("v");
  const auto ge = m.data("g_e");
  REQUIRE(v.shape()[0] == 30);
  REQUIRE(v.shape()[1] == 2);
  for (std::size_t k = 0; k < 30; ++k) {
    CHECK(v(k, 0) == v0[k]);
    CHECK(ge(k, 1) == ge5[k]);
  }
  CHECK(config_error_of([&] { (void)m.data("u"); }) == "state_monitor 'v' does not record 'u'");
}

TEST_CASE("pause, resume and stop", "[monitor]") {
  auto net = make();
  auto& m = net.monitor<"v">();
  net.simulate(10);
  m.pause();
  net.simulate(10);
  m.resume();
  net.simulate(10);
  const auto times = m.times();
  std::vector<double> t(times.begin(), times.end());
  for (double x : t) CHECK((x < 10 || x >= 20));
  CHECK(t.size() == 20);
  m.stop();
  CHECK(m.times().size() == 0);
  net.simulate(5);
  CHECK(m.times().size() == 0);  // stopped: paused until resume()
  auto late = sw::network{{.dt = 0.1}, sw::population<izhikevich, "N">{1, {.I_ext = 10}},
                          sw::spike_monitor<"S", "N">{{.start = false}}};
  late.simulate(100);
  CHECK(late.monitor<"S">().size() == 0);
  late.monitor<"S">().resume();
  late.simulate(100);
  CHECK(late.monitor<"S">().size() > 0);
}

TEST_CASE("monitor errors: run-time names, periods, neurons", "[monitor]") {
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<lif_cond_exp, "E">{5}, sw::state_monitor<"M", "E">{{.variables = {"v", "ge"}}}};
        }) == "population 'E': no variable 'ge' (the model has: v, g_e, g_i)");
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<lif_cond_exp, "E">{5}, sw::state_monitor<"M", "E", "v">{{.period = -1}}};
        }) == "state_monitor 'M': period = -1 ms, must be 0 (every step) or at least dt = 0.1 ms");
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<lif_cond_exp, "E">{5}, sw::state_monitor<"M", "E", "v">{{.period = 0.05}}};
        }) == "state_monitor 'M': period = 0.05 ms, must be 0 (every step) or at least dt = 0.1 ms");
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<lif_cond_exp, "E">{5}, sw::spike_monitor<"M", "E">{{.neurons = {5}}}};
        }) == "spike_monitor 'M': neuron 5 is not in the population (5 neurons)");
  CHECK(config_error_of([] { sw::network{{}, sw::population<lif_cond_exp, "E">{5}, sw::state_monitor<"M", "E">{}}; }) ==
        "state_monitor 'M': no variable to record");
  auto runtime = sw::network{{}, sw::population<lif_cond_exp, "E">{5}, sw::state_monitor<"M", "E">{{.variables = {"g_i"}}}};
  runtime.simulate(1);
  CHECK(runtime.monitor<"M">().data("g_i").shape()[0] == 10);
}

TEST_CASE("simulate_until stops in the step where the condition first holds", "[run]") {
  auto reference = make();
  std::uint64_t expected = 0;
  while (reference.population<"E">().spike_count() < 40) {
    reference.step();
    ++expected;
  }
  auto net = make();
  const double t = net.simulate_until(1000, sw::stop_when<"E">([](const auto& pop) { return pop.spike_count() >= 40; }));
  CHECK(t == Approx(static_cast<double>(expected) * 0.1));
  CHECK(net.current_step() == expected);
  // Never true: the maximum duration.
  auto never = make();
  CHECK(never.simulate_until(20, sw::stop_when<"E">([](const auto&) { return false; })) == Approx(20));
  // any_of / all_of
  auto both = make();
  const auto first = sw::stop_when<"E">([](const auto& pop) { return pop.spike_count() >= 10; });
  const auto second = sw::stop_when<"E">([](const auto& pop) { return pop.spike_count() >= 40; });
  CHECK(both.simulate_until(1000, sw::any_of(first, second)) < static_cast<double>(expected) * 0.1);
  auto all = make();
  CHECK(all.simulate_until(1000, sw::all_of(first, second)) == Approx(static_cast<double>(expected) * 0.1));
  CHECK(config_error_of([&] { all.simulate_until(-1, first); }) ==
        "network: simulate_until(-1 ms): the duration must be finite and >= 0");
}

TEST_CASE("reset with ANNarchy's flags; all of them give a bit-identical rerun", "[run]") {
  auto net = make();
  net.simulate(100);
  const auto spikes_first = net.monitor<"spikes">().steps();
  auto& w = net.projection<"EE">().columns().w;
  w[0] = 9;
  net.reset();  // populations and monitors, not the synapses
  CHECK(net.current_step() == 0);
  CHECK(net.monitor<"spikes">().size() == 0);
  CHECK(w[0] == 9);
  net.reset({.projections = true});
  CHECK(w[0] == 0.2);
  net.simulate(100);
  CHECK(net.monitor<"spikes">().steps() == spikes_first);
}

TEST_CASE("callbacks run every period from the offset, may change the state, can be switched off", "[run]") {
  auto net = make();
  std::vector<std::uint64_t> called;
  net.every(2.0, [&](auto& n) { called.push_back(n.current_step()); }, 1.0);
  net.every(5.0, [](auto& n) { n.template population<"E">().columns().v[0] = -70; });
  net.simulate(9);
  CHECK(called == std::vector<std::uint64_t>{10, 30, 50, 70});
  net.disable_callbacks();
  net.simulate(4);
  CHECK(called.size() == 4);
  net.enable_callbacks();
  net.simulate(1);  // step 130 is due
  CHECK(called.back() == 130);
  net.clear_all_callbacks();
  net.simulate(10);
  CHECK(called.back() == 130);
  CHECK(config_error_of([&] { net.every(0, [](auto&) {}); }) == "network: every(0 ms): the period must be finite and > 0");
}

TEST_CASE("copy and parallel_run: each copy equals a serial run with its seed", "[parallel]") {
  auto net = make(5);
  auto run = [](auto& n, std::size_t) {
    n.simulate(200);
    return n.template monitor<"spikes">().steps();
  };
  const auto results = sw::parallel_run(net, 3, run);
  REQUIRE(results.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    auto serial = make(5 + i);
    CHECK(run(serial, i) == results[i]);
  }
  CHECK(results[0] != results[1]);
  const auto same = sw::parallel_run(net, 2, run, sw::seeds::same);
  CHECK(same[0] == same[1]);
  const auto listed = sw::parallel_run(net, 2, run, std::vector<std::uint64_t>{6, 5});
  CHECK(listed[0] == results[1]);
  CHECK(listed[1] == results[0]);
  CHECK(net.current_step() == 0);  // the original did not run
  CHECK(config_error_of([&] { sw::parallel_run(net, 2, run, std::vector<std::uint64_t>{1}); }) ==
        "parallel_run: 1 seeds for 2 copies");
}

TEST_CASE("simulate reports its wall time; the progress bar can be forced", "[run]") {
  auto net = make();
  CHECK(net.simulate(5, {.measure_time = true}) >= 0);
  CHECK(net.simulate(5, {.progress = sw::progress_mode::always}) >= 0);
  CHECK(net.current_step() == 100);
}

TEST_CASE("a copy of a network that has run draws its own Poisson input from its seed", "[parallel]") {
  auto net = make(5);
  net.simulate(0.2);  // steps 0 and 1: the input's random blocks of steps 0..3 are cached
  auto copy = net.copy(6);
  auto fresh = make(6);
  copy.simulate(50);
  fresh.simulate(50);
  CHECK(copy.monitor<"spikes">().steps() == fresh.monitor<"spikes">().steps());
}
