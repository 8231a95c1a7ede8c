// Builds and runs a tiny network through the installed or embedded package.
#include <cstdio>

#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{.dt = 0.1, .seed = 1}, sw::population<sw::models::izhikevich>{10, {.I_ext = 10}}};
  net.simulate(100);
  if (net.population<"pop0">().spike_count() == 0) return 1;
  std::puts("consumer ok");
}
