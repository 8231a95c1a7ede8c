// rate_neuron: exponential relaxation to f(input) with time constant tau, the
// transfer functions, the one-step input target, and a population that never fires.
#include <cmath>
#include <cstddef>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::rate_neuron;

TEST_CASE("rate_neuron relaxes exponentially to f(I_ext) with time constant tau", "[rate_neuron]") {
  const rate_neuron::parameters p{.tau = 15, .gain = 4, .threshold = 1, .I_ext = 3.5};
  const double f = 4 * (3.5 - 1);  // positive part of gain (I_ext - threshold)
  auto net = sw::network{{.dt = 0.1}, sw::population<rate_neuron, "r">{4, p, {.r = 2}}};
  auto& pop = net.population<"r">();
  double worst = 0;
  for (int k = 1; k <= 1000; ++k) {
    net.step();
    const double expected = f + (2 - f) * std::exp(-0.1 * k / p.tau);
    worst = std::max(worst, std::abs(pop.columns().r[0] - expected));
    REQUIRE(pop.spikes().empty());
  }
  INFO("worst deviation from f + (r0 - f) e^(-t/tau): " << worst);
  CHECK(worst < 1e-12);
  CHECK(pop.spike_count() == 0);
  // Exact whatever the step, even a step longer than tau.
  for (double dt : {0.01, 0.1, 1.0, 30.0}) {
    auto n2 = sw::network{{.dt = dt}, sw::population<rate_neuron, "r">{1, {.tau = 20, .transfer = 0}, {.r = 1}}};
    n2.simulate(60);
    INFO("dt = " << dt);
    CHECK(n2.population<"r">().columns().r[0] == Approx(std::exp(-n2.current_time() / 20)).epsilon(1e-12));
  }
}

TEST_CASE("rate_neuron's input holds one step and is cleared", "[rate_neuron]") {
  const rate_neuron::parameters p{.tau = 10, .transfer = 0};
  auto net = sw::network{{.dt = 0.5}, sw::population<rate_neuron, "r">{3}};
  auto& pop = net.population<"r">();
  auto& c = pop.columns();
  pop.set_parameters(p);
  // A projection adds to `input` after the update of step n; step n + 1 reads it.
  // Here the test adds it by hand before every step: a constant input of 2.
  double worst = 0;
  for (int k = 1; k <= 400; ++k) {
    for (std::size_t i = 0; i < 3; ++i) c.input[i] += 2.0 * static_cast<double>(i);
    net.step();
    for (std::size_t i = 0; i < 3; ++i) {
      REQUIRE(c.input[i] == 0);  // cleared for the next step
      const double target = 2.0 * static_cast<double>(i);
      worst = std::max(worst, std::abs(c.r[i] - target * (1 - std::exp(-0.5 * k / 10))));
    }
  }
  CHECK(worst < 1e-12);
  // Without input it decays back with the same time constant.
  const double r0 = c.r[2];
  for (int k = 0; k < 20; ++k) net.step();
  CHECK(c.r[2] == Approx(r0 * std::exp(-10.0 / 10)).epsilon(1e-12));
}

TEST_CASE("rate_neuron's transfer functions", "[rate_neuron]") {
  auto f = [](double x, int transfer) { return rate_neuron::f(x, {.gain = 2, .threshold = 0.5, .transfer = transfer}); };
  for (double x : {-30.0, -2.0, -0.1, 0.4999, 0.5, 0.5001, 0.6, 1.0, 3.0, 40.0, 400.0}) {
    INFO("input " << x);
    const double y = 2 * (x - 0.5);
    CHECK(f(x, 0) == y);
    CHECK(f(x, 1) == (y > 0 ? y : 0.0));
    CHECK(f(x, 2) == Approx(std::tanh(y)).epsilon(2e-16).margin(1e-300));
  }
  // tanh keeps its relative accuracy near 0, and the batch gives the same bits.
  for (double y : {1e-300, 1e-12, -3e-8, 0.25, -0.7, 19.0, -710.0}) {
    const double scalar = rate_neuron::f(y, {.transfer = 2});
    const auto lanes = rate_neuron::f(xsimd::batch<double>(y), {.transfer = 2});
    INFO("tanh(" << y << ") = " << scalar);
    CHECK(scalar == Approx(std::tanh(y)).epsilon(2e-16));
    CHECK(scalar == lanes.get(0));
  }
}
