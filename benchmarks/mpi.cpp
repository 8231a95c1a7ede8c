// MPI: wall time, speedup and spikes per second of COBA and Brunel on 1 and R ranks.
//
// Run it under mpirun: `mpirun -n 2 build/benchmarks/mpi`. Every rank builds
// each network; then, from the same initial state (reset()), the same model
// time runs
//   - serially, on rank 0 alone (a plain network; the other ranks wait),
//   - distributed on rank 0 alone (mpi::distributed on a communicator of one
//     rank: the cost of the machinery),
//   - distributed on all R ranks,
// repeated, alternating. The spike counts of all runs must agree (checked;
// the program fails otherwise). Printed per size and mode: the best wall
// time (for a distributed run, the slowest rank's), the median and worst,
// the speedup of the best time over the best serial one, and spikes per wall
// second. With TBB, `--threads K` gives every rank K threads.
//
// The workloads are those of benchmarks/scaling.hpp: COBA as examples/coba.cpp
// (mean in-degree 80 at every N), Brunel with the in-degrees of N = 5000 at every N
// (C_E = 400, C_I = 100), as in benchmarks/threads.cpp.
//
// usage: mpirun -n R mpi [--quick] [--repeats K] [--sizes 4000,16000,64000] [--threads K]
//                        [--coba-ms T] [--brunel-ms T] [--only coba|brunel]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <spikeweave/mpi/distributed.hpp>
#include <spikeweave/spikeweave.hpp>

#include "scaling.hpp"

namespace sw = spikeweave;
using namespace sw::bench;

namespace {

struct options {
  std::vector<std::size_t> sizes{4000, 16000, 64000};
  std::size_t threads = 1;
  int repeats = 3;
  double coba_ms = 0, brunel_ms = 0;  // 0: by size
  std::string only;
};

// The slowest rank's wall time of f() on `comm`, started together.
template <class F>
double timed(MPI_Comm comm, F&& f) {
  MPI_Barrier(comm);
  const double start = MPI_Wtime();
  f();
  double mine = MPI_Wtime() - start, slowest = 0;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  return slowest;
}

// Serial, distributed on one rank, distributed on all: `repeats` times each; false if the spikes differ.
template <class Make>
bool measure(const char* name, std::size_t n, double duration, Make make, const options& o, int rank, int ranks) {
  MPI_Comm alone = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank == 0 ? 0 : MPI_UNDEFINED, 0, &alone);
  using net_type = decltype(make(n, o.threads));
  std::optional<net_type> serial, one;  // rank 0 only
  if (rank == 0) serial.emplace(make(n, o.threads)), one.emplace(make(n, o.threads));
  auto all = make(n, o.threads);
  const std::size_t synapses = all.synapse_count();  // before the ranks keep their parts
  std::optional<sw::mpi::distributed<net_type>> on_one;
  if (alone != MPI_COMM_NULL) on_one.emplace(*one, alone);
  sw::mpi::distributed on_all(all);

  const char* modes[] = {"serial", "1 rank", "ranks"};
  std::vector<std::vector<double>> walls(3);
  std::vector<std::uint64_t> spikes(3, 0);
  bool ok = true;
  for (int r = 0; r < o.repeats; ++r) {
    double w = 0;
    if (rank == 0) {
      serial->reset();
      w = timed(alone, [&] { serial->simulate(duration); });
      spikes[0] = spike_total(*serial);
      on_one->reset();
    }
    MPI_Barrier(MPI_COMM_WORLD);
    walls[0].push_back(w);
    if (rank == 0) {
      w = timed(alone, [&] { on_one->simulate(duration); });
      spikes[1] = spike_total(*one);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    walls[1].push_back(w);
    on_all.reset();
    walls[2].push_back(timed(MPI_COMM_WORLD, [&] { on_all.simulate(duration); }));
    spikes[2] = spike_total(all);
    MPI_Bcast(spikes.data(), 2, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (spikes[0] != spikes[1] || spikes[0] != spikes[2]) {
      if (rank == 0)
        std::printf("%s N = %zu: %llu spikes serially, %llu on 1 rank, %llu on %d ranks\n", name, n,
                    static_cast<unsigned long long>(spikes[0]), static_cast<unsigned long long>(spikes[1]),
                    static_cast<unsigned long long>(spikes[2]), ranks);
      ok = false;
      break;
    }
  }
  if (alone != MPI_COMM_NULL) MPI_Comm_free(&alone);
  if (!ok || rank != 0) return ok;
  for (auto& w : walls) std::sort(w.begin(), w.end());
  for (std::size_t m = 0; m < 3; ++m) {
    const auto& w = walls[m];
    std::printf("| %s | %zu | %.2f M | %.0f | %s | %d | %.3f | %.3f | %.3f | %.2f | %.3g |\n", name, n,
                static_cast<double>(synapses) * 1e-6, duration, modes[m], m == 2 ? ranks : 1, w.front(),
                w[w.size() / 2], w.back(), walls[0].front() / w.front(), static_cast<double>(spikes[m]) / w.front());
  }
  std::fflush(stdout);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  sw::mpi::environment env(argc, argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
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
      o.threads = std::strtoull(next, nullptr, 10), ++i;
    } else if (a == "--coba-ms") {
      o.coba_ms = std::strtod(next, nullptr), ++i;
    } else if (a == "--brunel-ms") {
      o.brunel_ms = std::strtod(next, nullptr), ++i;
    } else if (a == "--only") {
      o.only = next, ++i;
    } else {
      if (rank == 0)
        std::fprintf(stderr, "usage: mpirun -n R %s [--quick] [--repeats K] [--sizes 4000,16000,64000] [--threads K] "
                             "[--coba-ms T] [--brunel-ms T] [--only coba|brunel]\n", argv[0]);
      return 2;
    }
  }
  if (o.threads > 1 && !sw::kernel::threads_available) {
    if (rank == 0) std::fprintf(stderr, "built without TBB: --threads must be 1\n");
    return 2;
  }
  if (rank == 0) {
    std::printf("%d ranks, %zu thread(s) per rank; load average before: %s\n\n", ranks, o.threads, load_average().c_str());
    std::printf("| workload | N | synapses | model ms | mode | ranks | best [s] | median [s] | worst [s] | speedup (best) | spikes / s |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    std::fflush(stdout);
  }
  bool ok = true;
  for (auto n : o.sizes) {
    // Model time per size: about a second of wall time per serial run.
    if (o.only.empty() || o.only == "coba")
      ok = measure("COBA", n, o.coba_ms > 0 ? o.coba_ms : n <= 4000 ? 5000 : n <= 16000 ? 2000 : 1000, coba, o, rank,
                   ranks) && ok;
    if (o.only.empty() || o.only == "brunel")
      ok = measure("Brunel", n, o.brunel_ms > 0 ? o.brunel_ms : n <= 4000 ? 1000 : n <= 16000 ? 300 : 100, brunel, o,
                   rank, ranks) && ok;
  }
  if (rank == 0) std::printf("\nload average after: %s\n", load_average().c_str());
  return ok ? 0 : 1;
}
