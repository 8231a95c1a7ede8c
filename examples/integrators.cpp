// User models that integrate their equations with the library's integrators
// (docs/models.md, "Integrating a model's equations"): RK4 and exponential Euler.
#include <cmath>
#include <cstdio>

#include "integrators.hpp"

int main() {
  // A current of 40 mV (R I) decaying with 5 ms makes one spike per neuron.
  auto net = sw::network{{.dt = 0.1}, sw::population<my_qif, "cells">{10, {}, {.I = 40}}};
  net.simulate(50);
  // The gate relaxes to alpha / (alpha + beta), exactly at every step.
  auto gates = sw::network{{.dt = 1.0}, sw::population<my_gate, "g">{3}};
  gates.simulate(20);
  const double q = gates.population<"g">().columns().q[0], exact = 0.5 / 0.6 * (1 - std::exp(-0.6 * 20));
  std::printf("integrators: %llu spikes of 10 QIF neurons in 50 ms; gate q(20 ms) = %.15f (exact %.15f)\n",
              static_cast<unsigned long long>(net.population<"cells">().spike_count()), q, exact);
  return net.population<"cells">().spike_count() == 10 && std::abs(q - exact) < 1e-13 ? 0 : 1;
}
