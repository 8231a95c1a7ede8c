// expect: a state_monitor names a variable the population's model does not have
// expect: no_member_named<spikeweave::models::lif_cond_exp::variables<spikeweave::column<double> >
// expect: spikeweave::fixed_string{"vm", 2}
// expect: {"v, g_e, g_i"}
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10},
                         sw::state_monitor<"M", "E", "vm">{}};
  net.step();
}
