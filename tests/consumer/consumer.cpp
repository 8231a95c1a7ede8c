// Builds and runs a tiny network through the installed or embedded package.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spikeweave/spikeweave.hpp>
#ifdef SPIKEWEAVE_CONSUMER_IO
#include <spikeweave/io/hdf5.hpp>
#include <spikeweave/io/state.hpp>
#endif

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{.dt = 0.1, .seed = 1}, sw::population<sw::models::izhikevich>{10, {.I_ext = 10}}};
  net.simulate(100);
  if (net.population<"pop0">().spike_count() == 0) return 1;
#ifdef SPIKEWEAVE_CONSUMER_IO
  // net.save and net.load go through spikeweave::io's compiled library (libspikeweave_io.a).
  const std::string state = (std::filesystem::temp_directory_path() / "spikeweave_consumer_state.npz").string();
  net.save(state);
  auto fresh = sw::network{{.dt = 0.1, .seed = 2}, sw::population<sw::models::izhikevich>{10, {.I_ext = 10}}};
  fresh.load(state);
  std::filesystem::remove(state);
  if (fresh.current_step() != net.current_step()) return 1;
  std::puts("consumer: state ok");
#endif
#if defined(SPIKEWEAVE_CONSUMER_IO) && __has_include(<hdf5.h>)
  // spikeweave::io brings HDF5 along: its include directory and its library.
  const std::string path = (std::filesystem::temp_directory_path() / "spikeweave_consumer.h5").string();
  sw::io::h5_writer(path).add("v", std::vector<double>{1, 2});
  if (sw::io::h5_reader(path).read<double>("v") != std::vector<double>{1, 2}) return 1;
  std::filesystem::remove(path);
  std::puts("consumer: .h5 ok");
#endif
  std::puts("consumer ok");
}
