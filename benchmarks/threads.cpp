// Threads: wall time, speedup and spikes per second of COBA and Brunel on 1 and 2 threads.
//
// Each network is built once; every run starts from its initial state
// (reset()) and simulates the same model time on 1 thread, then on 2, ...,
// repeated; the runs of one network must give the same spikes on every
// thread count (checked, and the program fails otherwise). Printed per size
// and thread count: the best wall time, the spread (median, worst) over the
// repeats, the speedup of the best times over 1 thread, and spikes per wall
// second; the chunk count shows when a network is too small to be split.
// The machine's load average is printed before and after: on a
// shared machine, other processes take cores from the threads.
//
// The workloads are those of benchmarks/scaling.hpp: COBA as examples/coba.cpp
// (mean in-degree 80 at every N), Brunel with the in-degrees of N = 5000 at every N
// (C_E = 400, C_I = 100), so that the work per neuron stays the same.
//
// usage: threads [--quick] [--repeats R] [--sizes 4000,16000,64000] [--threads 1,2]
//                [--coba-ms T] [--brunel-ms T] [--only coba|brunel]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <spikeweave/spikeweave.hpp>

#include "scaling.hpp"

namespace sw = spikeweave;
using namespace sw::bench;

namespace {

struct options {
  std::vector<std::size_t> sizes{4000, 16000, 64000};
  std::vector<std::size_t> threads{1, 2};
  int repeats = 5;
  double coba_ms = 0, brunel_ms = 0;  // 0: by size
  std::string only;
};

// Runs one network on every thread count, `repeats` times; false if the spikes differ.
template <class Make>
bool measure(const char* name, std::size_t n, double duration, Make make, const options& o) {
  auto net = make(n, std::size_t{1});
  const std::size_t k = o.threads.size();
  std::vector<std::vector<double>> walls(k);
  std::vector<std::uint64_t> spikes(k);
  std::vector<std::size_t> chunks(k);
  for (int r = 0; r < o.repeats; ++r)
    for (std::size_t t = 0; t < k; ++t) {
      net.reset();
      net.set_threads(o.threads[t]);
      walls[t].push_back(net.simulate(duration));
      chunks[t] = net.chunk_count();
      const std::uint64_t s = spike_total(net);
      if (r == 0) spikes[t] = s;
      if (s != spikes[0] || s != spikes[t]) {
        std::printf("%s N = %zu: %llu spikes on %zu threads, %llu on %zu\n", name, n, static_cast<unsigned long long>(s),
                    o.threads[t], static_cast<unsigned long long>(spikes[0]), o.threads[0]);
        return false;
      }
    }
  for (auto& w : walls) std::sort(w.begin(), w.end());
  for (std::size_t t = 0; t < k; ++t) {
    const auto& w = walls[t];
    std::printf("| %s | %zu | %.2f M | %.0f | %zu (%zu) | %.3f | %.3f | %.3f | %.2f | %.3g |\n", name, n,
                static_cast<double>(net.synapse_count()) * 1e-6, duration, o.threads[t], chunks[t], w.front(), w[w.size() / 2],
                w.back(), walls[0].front() / w.front(), static_cast<double>(spikes[t]) / w.front());
    std::fflush(stdout);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--quick") {
      o.sizes = {4000, 16000};
      o.repeats = 2;
      o.coba_ms = 200;
      o.brunel_ms = 100;
    } else if (a == "--repeats") {
      o.repeats = std::max(1, std::atoi(next)), ++i;
    } else if (a == "--sizes") {
      o.sizes = parse_list(next), ++i;
    } else if (a == "--threads") {
      o.threads = parse_list(next), ++i;
    } else if (a == "--coba-ms") {
      o.coba_ms = std::strtod(next, nullptr), ++i;
    } else if (a == "--brunel-ms") {
      o.brunel_ms = std::strtod(next, nullptr), ++i;
    } else if (a == "--only") {
      o.only = next, ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--repeats R] [--sizes 4000,16000,64000] [--threads 1,2] "
                           "[--coba-ms T] [--brunel-ms T] [--only coba|brunel]\n", argv[0]);
      return 2;
    }
  }
  if (!sw::kernel::threads_available) std::printf("built without TBB: every run is serial\n");
  std::printf("load average before: %s\n\n", load_average().c_str());
  std::printf("| workload | N | synapses | model ms | threads (chunks) | best [s] | median [s] | worst [s] | speedup (best) | spikes / s |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  bool ok = true;
  for (auto n : o.sizes) {
    // Model time per size: about a second of wall time per serial run.
    if (o.only.empty() || o.only == "coba")
      ok = measure("COBA", n, o.coba_ms > 0 ? o.coba_ms : n <= 4000 ? 5000 : n <= 16000 ? 2000 : 1000, coba, o) && ok;
    if (o.only.empty() || o.only == "brunel")
      ok = measure("Brunel", n, o.brunel_ms > 0 ? o.brunel_ms : n <= 4000 ? 1000 : n <= 16000 ? 300 : 100, brunel, o) && ok;
  }
  std::printf("\nload average after: %s\n", load_average().c_str());
  return ok ? 0 : 1;
}
