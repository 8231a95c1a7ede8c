// COBA on several MPI ranks: `mpirun -n 2 mpi_coba [N] [duration_ms]`; the spikes are those of the serial run.
//
// Every rank builds the same network; mpi::distributed shares it out (each
// rank updates a part of every population and keeps the synapses onto it).
// Halfway, the state goes into one file that a run on any number of ranks,
// or a serial network, can load; the second half then runs again from that
// file, and must give the same spikes as the first time.
#include <cstdio>
#include <cstdlib>

#include <spikeweave/io/state.hpp>
#include <spikeweave/mpi/distributed.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::lif_cond_exp;
using sw::models::static_synapse;

namespace {

auto coba(std::size_t n) {
  const std::size_t n_e = n * 4 / 5, n_i = n - n_e;
  const double p = 80.0 / static_cast<double>(n);
  const lif_cond_exp::variables<sw::initial_value> init{
      .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};
  return sw::network{{.dt = 0.1, .seed = 1},
                     sw::population<lif_cond_exp, "E">{n_e, {}, init},
                     sw::population<lif_cond_exp, "I">{n_i, {}, init},
                     sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{p}, {.w = 0.6}},
                     sw::projection<static_synapse, "E", "I", "g_e", "EI">{sw::fixed_probability{p}, {.w = 0.6}},
                     sw::projection<static_synapse, "I", "E", "g_i", "IE">{sw::fixed_probability{p}, {.w = 6.7}},
                     sw::projection<static_synapse, "I", "I", "g_i", "II">{sw::fixed_probability{p}, {.w = 6.7}},
                     sw::spike_monitor<"spikes", "E">{}};
}

}  // namespace

int main(int argc, char** argv) try {
  sw::mpi::environment env(argc, argv);  // MPI_Init ... MPI_Finalize
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4000;
  const double duration = argc > 2 ? std::strtod(argv[2], nullptr) : 1000;  // [ms]

  auto net = coba(n);                    // the same network on every rank
  sw::mpi::distributed dist(net);        // shared among the ranks of MPI_COMM_WORLD
  dist.simulate(duration / 2);
  dist.save("mpi_coba_state.npz", {.monitors = true});  // one ordinary state file, written by rank 0
  const double wall = dist.simulate(duration / 2);
  const auto first = net.monitor<"spikes">().size();

  dist.load("mpi_coba_state.npz", {.monitors = true});  // every rank reads it and keeps its part
  dist.simulate(duration / 2);
  const auto again = net.monitor<"spikes">().size();

  if (dist.rank() == 0)
    std::printf("%d ranks: %zu neurons, %.0f ms: %zu spikes in E (%zu again from the checkpoint); "
                "second half %.3f s\n",
                dist.ranks(), n, duration, first, again, wall);
  return first == again ? 0 : 1;
} catch (const spikeweave::error& e) {
  std::fprintf(stderr, "mpi_coba: %s\n", e.what());
  return 1;
}
