// expect: an input names a population that is not in the network
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10},
                         sw::poisson_input<"Exc", "g_e">{.n = 1, .rate = 1, .weight = 1}};
  net.step();
}
