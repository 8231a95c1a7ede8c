// expect: two populations, projections or monitors of the network have the same name
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10},
                         sw::population<sw::models::izhikevich, "E">{10}};
}
