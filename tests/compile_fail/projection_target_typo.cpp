// expect: a projection targets a variable the post-synaptic model does not have
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10},
                         sw::projection<sw::models::static_synapse, "E", "E", "ge">{sw::all_to_all{}}};
  net.step();
}
