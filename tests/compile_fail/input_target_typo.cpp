// expect: poisson_input targets a variable the population's model does not have
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10},
                         sw::poisson_input<"E", "ge">{.n = 1, .rate = 1, .weight = 1}};
  net.step();
}
