// Save and load speed of every state format, on a network with >= 10^7 synapses.
//
// usage: state_io [neurons=20000] [probability=0.0251] [directory=/tmp] [formats...]
// Prints, per format: file size, save and load time, and throughput in MB/s
// of state (the arrays in memory: synapses, neurons, traces) per second.
// The target of the State I/O issue: binary (.bin) and uncompressed .npz at
// >= 1 GB/s. Each figure is the best of three (page cache warm: the file
// system's write-back is not measured, fsync is).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

auto make(std::size_t n, double p) {
  return sw::network{{.dt = 0.1, .seed = 1},
                     sw::population<lif_cond_exp, "E">{n, {}, {.v = sw::uniform(-60, -50)}},
                     sw::projection<stdp_additive, "E", "E", "g_e", "EE">{sw::fixed_probability{p}, {.w = sw::uniform(0, 0.5)},
                                                                         1.5}};
}

template <class F>
double best_of_three(F f) {
  double best = 1e300;
  for (int r = 0; r < 3; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20000;
  const double p = argc > 2 ? std::atof(argv[2]) : 0.0251;
  const std::filesystem::path dir = argc > 3 ? argv[3] : "/tmp";
  std::vector<std::string> formats;
  for (int i = 4; i < argc; ++i) formats.emplace_back(argv[i]);
  if (formats.empty()) formats = {".bin", ".npz (stored)", ".npz", ".bin.gz", ".txt", ".xml"};

  auto net = make(n, p);
  net.simulate(5);  // traces, spikes in transit
  auto fresh = make(n, p);
  const auto& proj = net.projection<"EE">();
  const double state_mb = static_cast<double>(proj.size() * (sizeof(std::uint32_t) * 2 + sizeof(double) + 2) +
                                              n * (3 + 1 + 2) * sizeof(double)) /
                          1e6;
  std::printf("state_io: %zu neurons, %zu synapses, %.1f MB of state (pre, post, w, delay; v, g_e, g_i, refractory; traces)\n",
              n, proj.size(), state_mb);
  std::printf("%-14s %10s %9s %9s %11s %11s\n", "format", "file [MB]", "save [s]", "load [s]", "save [MB/s]", "load [MB/s]");
  for (const auto& f : formats) {
    const bool stored = f == ".npz (stored)";
    const auto path = (dir / ("sw_state_io_bench" + f.substr(0, f.find(' ')))).string();
    const sw::state_options o{.compress = !stored};
    const double save = best_of_three([&] { net.save(path, o); });
    const double load = best_of_three([&] { fresh.load(path, o); });
    const double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
    std::printf("%-14s %10.1f %9.3f %9.3f %11.0f %11.0f\n", f.c_str(), mb, save, load, state_mb / save, state_mb / load);
    std::filesystem::remove(path);
  }
  if (fresh.projection<"EE">().columns().w != proj.columns().w) {
    std::printf("state_io: the loaded weights differ from the saved ones\n");
    return 1;
  }
  return 0;
}
