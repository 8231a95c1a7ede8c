// Poisson sources and Poisson input: rates within statistical bounds.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

TEST_CASE("a Poisson source fires at its rate, per neuron", "[poisson]") {
  const std::size_t n = 1000;
  std::vector<double> rates(n);
  for (std::size_t i = 0; i < n; ++i) rates[i] = i < n / 2 ? 5.0 : 40.0;
  auto net = sw::network{{.dt = 0.1, .seed = 11}, sw::population<poisson_source, "P">{n, {}, {.rate = rates}}};
  std::vector<double> count(n);
  const double T = 10.0;  // [s]
  for (int k = 0; k < 100000; ++k) {
    net.step();
    for (auto i : net.population<"P">().spikes()) count[i] += 1;
  }
  for (auto [lo, hi, rate] : {std::tuple{0ul, n / 2, 5.0}, std::tuple{n / 2, n, 40.0}}) {
    double total = 0;
    for (std::size_t i = lo; i < hi; ++i) total += count[i];
    const double expected = rate * T * static_cast<double>(hi - lo);
    INFO("rate " << rate << " Hz: " << total << " spikes, expected " << expected);
    CHECK(std::abs(total - expected) < 5 * std::sqrt(expected));
  }
  // Fano factor of the counts ~ 1 for a Poisson process (binomial per step: 1 - p).
  double mean = 0, var = 0;
  for (std::size_t i = n / 2; i < n; ++i) mean += count[i];
  mean /= static_cast<double>(n / 2);
  for (std::size_t i = n / 2; i < n; ++i) var += (count[i] - mean) * (count[i] - mean);
  var /= static_cast<double>(n / 2 - 1);
  CHECK(var / mean == Approx(1.0 - 40.0 * 1e-4).margin(0.15));
}

TEST_CASE("a silent source stays silent; rate = 1/dt fires every step", "[poisson]") {
  auto net = sw::network{{.dt = 0.1, .seed = 1}, sw::population<poisson_source, "A">{10, {.rate = 0}},
                         sw::population<poisson_source, "B">{10, {.rate = 10000}}};
  net.simulate(100);
  CHECK(net.population<"A">().spike_count() == 0);
  CHECK(net.population<"B">().spike_count() == 10 * 1000);
}

TEST_CASE("poisson_input adds n rate dt weight on average, from the next step on", "[poisson]") {
  // An izhikevich target holds one step of input in I, cleared by the update.
  const std::size_t n = 2000;
  auto net = sw::network{{.dt = 0.1, .seed = 5}, sw::population<izhikevich, "N">{n},
                         sw::poisson_input<"N", "I">{.n = 500, .rate = 10.0, .weight = 2.0}};
  auto& I = net.population<"N">().columns().I;
  double sum = 0, sum2 = 0;
  const int steps = 200;
  for (int k = 0; k < steps; ++k) {
    net.step();
    for (double x : I) {
      sum += x;
      sum2 += x * x;
    }
  }
  const double samples = static_cast<double>(n) * steps;
  const double mean = sum / samples, var = sum2 / samples - mean * mean;
  const double p = 10.0 * 0.1e-3;
  CHECK(mean == Approx(500 * p * 2.0).epsilon(0.02));
  CHECK(var == Approx(500 * p * (1 - p) * 4.0).epsilon(0.05));
}
