// expect: spikeweave/core/parallel.hpp needs the CMake target spikeweave::tbb
#include <spikeweave/core/parallel.hpp>
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10}};
  sw::parallel_run(net, 2, [](auto& copy, std::size_t) { return copy.simulate(10); });
}
