// expect: a projection names a post-synaptic population that is not in the network
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10},
                         sw::projection<sw::models::static_synapse, "E", "Inh", "g_i">{sw::all_to_all{}}};
  net.step();
}
