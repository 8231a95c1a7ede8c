// expect: spikeweave/io/monitors.hpp needs the CMake target spikeweave::io
#include <spikeweave/io/monitors.hpp>
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10}, sw::spike_monitor<"S", "E">{}};
  sw::io::save_monitors(net, "monitors.npz");
}
