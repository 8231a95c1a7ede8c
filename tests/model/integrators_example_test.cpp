// The user models of docs/models.md, "Integrating a model's equations", compiled and run.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "../../examples/integrators.hpp"

TEST_CASE("the docs' RK4 user model runs in a network and converges with the step", "[integrators][example]") {
  // A current of 40 mV (R I) decaying with 5 ms makes one spike; its time does not depend on dt beyond a step.
  auto first_spike = [](double dt) {
    auto net = sw::network{{.dt = dt}, sw::population<my_qif, "cells">{10, {}, {.I = 40}}};
    for (int k = 0; k < static_cast<int>(50 / dt); ++k) {
      net.step();
      if (!net.population<"cells">().spikes().empty()) {
        CHECK(net.population<"cells">().spikes().size() == 10);
        return net.current_time();
      }
    }
    return -1.0;
  };
  const double coarse = first_spike(0.1), fine = first_spike(0.001);
  INFO("first spike at " << coarse << " ms (dt = 0.1), " << fine << " ms (dt = 0.001)");
  CHECK(fine > 0);
  CHECK(std::abs(coarse - fine) <= 0.1);
}

TEST_CASE("the docs' exponential-Euler user model relaxes exactly", "[integrators][example]") {
  auto net = sw::network{{.dt = 1.0}, sw::population<my_gate, "g">{3}};
  net.simulate(20);
  const double q_inf = 0.5 / 0.6;
  CHECK(net.population<"g">().columns().q[0] == Approx(q_inf * (1 - std::exp(-0.6 * 20))).epsilon(1e-14));
}
