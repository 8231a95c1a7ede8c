// expect: the network has no population of that name
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10}};
  net.population<"I">();
}
