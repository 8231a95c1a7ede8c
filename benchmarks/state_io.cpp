// Save and load speed of every state format, on a network with >= 10^7 synapses.
//
// usage: state_io [--threads K] [neurons=20000] [probability=0.0251] [directory=/tmp] [formats...]
// Prints, per format: file size, save and load time, and throughput in MB/s
// of state (the arrays in memory: synapses, neurons, traces) per second.
// The target of the State I/O issue: binary (.bin) and uncompressed .npz at
// >= 1 GB/s. Each figure is the best of five (page cache warm; a save's
// fsync is included), after one untimed save and load: on a virtual machine
// the first touch of memory the guest has not used yet costs a fault in the
// host too, which made the first saves of a run 2-4 times slower. The last
// two columns are the CPU seconds (user + system, every thread) of the same
// operations. Loads read large entries and build the post -> pre index on
// the network's threads (linked with spikeweave::tbb: every core).
#include <sys/resource.h>

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

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

struct timing {
  double wall = 1e300, cpu = 1e300;
};

// Best of five, wall clock and CPU time (user + system) apart: on a shared
// machine the CPU time is the steadier figure; the wall time adds fsync and
// waiting for a core.
template <class F>
timing best_of_five(F f) {
  timing best;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    f();
    best.cpu = std::min(best.cpu, cpu_seconds() - c0);
    best.wall = std::min(best.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::size_t threads = 0;  // every core
  if (args.size() >= 2 && args[0] == "--threads") {
    threads = std::strtoull(args[1].c_str(), nullptr, 10);
    args.erase(args.begin(), args.begin() + 2);
  }
  const std::size_t n = !args.empty() ? std::strtoull(args[0].c_str(), nullptr, 10) : 20000;
  const double p = args.size() > 1 ? std::atof(args[1].c_str()) : 0.0251;
  const std::filesystem::path dir = args.size() > 2 ? args[2] : "/tmp";
  std::vector<std::string> formats;
  for (std::size_t i = 3; i < args.size(); ++i) formats.push_back(args[i]);
  if (formats.empty()) formats = {".bin", ".npz (stored)", ".npz", ".h5 (stored)", ".h5", ".bin.gz", ".txt", ".xml"};

  auto net = make(n, p);
  net.simulate(5);  // traces, spikes in transit
  auto fresh = make(n, p);
  fresh.set_threads(threads);
  const auto& proj = net.projection<"EE">();
  const double state_mb = static_cast<double>(proj.size() * (sizeof(std::uint32_t) * 2 + sizeof(double) + 2) +
                                              n * (3 + 1 + 2) * sizeof(double)) /
                          1e6;
  std::printf("state_io: %zu neurons, %zu synapses, %.1f MB of state (pre, post, w, delay; v, g_e, g_i, refractory; "
              "traces), %zu threads\n",
              n, proj.size(), state_mb, fresh.threads());
  {  // warm-up, untimed
    const auto path = (dir / "sw_state_io_bench_warmup.npz").string();
    net.save(path, {.compress = false});
    fresh.load(path);
    std::filesystem::remove(path);
  }
  std::printf("%-14s %10s %9s %9s %11s %11s %9s %9s\n", "format", "file [MB]", "save [s]", "load [s]", "save [MB/s]",
              "load [MB/s]", "save cpu", "load cpu");
  for (const auto& f : formats) {
    const bool stored = f.ends_with(" (stored)");
    const auto path = (dir / ("sw_state_io_bench" + f.substr(0, f.find(' ')))).string();
    const sw::state_options o{.compress = !stored};
    const timing save = best_of_five([&] { net.save(path, o); });
    const timing load = best_of_five([&] { fresh.load(path, o); });
    const double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
    std::printf("%-14s %10.1f %9.3f %9.3f %11.0f %11.0f %9.3f %9.3f\n", f.c_str(), mb, save.wall, load.wall,
                state_mb / save.wall, state_mb / load.wall, save.cpu, load.cpu);
    std::filesystem::remove(path);
  }
  if (fresh.projection<"EE">().columns().w != proj.columns().w) {
    std::printf("state_io: the loaded weights differ from the saved ones\n");
    return 1;
  }
  return 0;
}
