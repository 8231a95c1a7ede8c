// Builds and runs a tiny network through the installed or embedded package.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spikeweave/spikeweave.hpp>
#ifdef SPIKEWEAVE_CONSUMER_IO
#include <spikeweave/io/hdf5.hpp>
#endif

int main() {
  namespace sw = spikeweave;
  auto net = sw::network{{.dt = 0.1, .seed = 1}, sw::population<sw::models::izhikevich>{10, {.I_ext = 10}}};
  net.simulate(100);
  if (net.population<"pop0">().spike_count() == 0) return 1;
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
