// expect: spikeweave/io/state.hpp needs the CMake target spikeweave::io
// expect: without CMake, define SPIKEWEAVE_WITH_IO, compile one .cpp that includes <spikeweave/io/implementation.hpp>
// A program that saves a network but links only spikeweave::spikeweave: one #error naming the target to link,
// instead of hundreds of undefined references at link time.
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{}, sw::population<sw::models::lif_cond_exp, "E">{10}};
  net.save("state.npz");
}
