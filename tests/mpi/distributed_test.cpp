// MPI: one network on 1, 2 and 3 ranks gives the serial run's spikes and state, bit for bit; checkpoints move between rank counts.
//
// Run under mpirun with any number of ranks (ctest runs 1, 2 and 3). Every
// rank also runs the serial network itself, as the reference. A check whose
// result differs between ranks would leave the others waiting in a
// collective call, so every check is agreed on by all ranks first (agree()).
#define CATCH_CONFIG_RUNNER
#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/mpi/distributed.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// A synapse with a continuous decay, an on_pre that writes, and an on_post.
struct facilitating {
  struct parameters {
    double tau = 50;  // [ms] decay of the facilitation
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, f), (T, posts));
  };
  template <class T>
  static T on_pre(variables<T>& s, const parameters&) {
    const T out = s.w * (1 + s.f);
    s.f += 0.1;
    return out;
  }
  template <class T>
  static void on_post(variables<T>& s, const parameters&) {
    s.posts += 1;
  }
  template <class T>
  static void update(variables<T>& s, const parameters& p, double dt) {
    s.f -= s.f * dt / p.tau;
  }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(facilitating::parameters, tau);

namespace {

// COBA-like: E and I with STDP (pre and post traces, on_post), short-term
// plasticity, a synapse with a continuous update, per-synapse delays, a
// spike generator, Poisson input in both sampling regimes, and monitors.
// Sizes that 2 and 3 ranks cut into unequal parts, one not a whole block.
auto coba(std::uint64_t seed = 3, std::size_t n_e = 900, std::size_t threads = 1) {
  const lif_cond_exp::variables<sw::initial_value> init{
      .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};
  return sw::network{
      {.dt = 0.1, .seed = seed, .threads = threads},
      sw::population<lif_cond_exp, "mE">{n_e, {}, init},
      sw::population<lif_cond_exp, "mI">{230, {}, init},
      sw::population<spike_generator, "mG">{20, sw::spike_times{{0, 5, 19, 7, 5}, {1.0, 2.5, 2.5, 9.0, 14.2}}},
      sw::projection<stdp_additive, "mE", "mE", "g_e", "mEE">{
          sw::fixed_probability{0.07}, {.w = sw::uniform(0.2, 0.6)}, 1.5, {.w_max = 1.0}},
      sw::projection<static_synapse, "mE", "mI", "g_e", "mEI">{sw::fixed_probability{0.07}, {.w = 0.6}, sw::uniform(0.1, 3.0)},
      sw::projection<static_synapse, "mI", "mE", "g_i", "mIE">{sw::fixed_probability{0.07}, {.w = 6.7}, 0.8},
      sw::projection<tsodyks_markram, "mI", "mE", "g_e", "mTE">{sw::fixed_probability{0.04}, {.w = 0.3}, 1.0},
      sw::projection<facilitating, "mI", "mI", "g_i", "mII">{sw::fixed_number_pre{30}, {.w = 2.0}, sw::uniform(0.2, 2.0)},
      sw::projection<static_synapse, "mG", "mE", "g_e", "mGE">{sw::fixed_probability{0.3}, {.w = 3.0}, 2.0},
      sw::poisson_input<"mE", "g_e">{.n = 100, .rate = 5, .weight = 0.1},
      sw::poisson_input<"mI", "g_e">{.n = 2000, .rate = 50, .weight = 0.01},
      sw::spike_monitor<"sE", "mE">{},
      sw::state_monitor<"vE", "mE", "v", "g_e">{{.neurons = {0, 1, 63, 64, 300, 500, 899}}},
      sw::rate_monitor<"rI", "mI">{}};
}
using coba_net = decltype(coba());

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// True on every rank when `ok` holds on every rank of `comm`.
bool agree(bool ok, MPI_Comm comm = MPI_COMM_WORLD) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, comm);
  return all == 1;
}

// Every number of the state, as bits: clock, neurons, spikes, synapses and
// their order, delays, traces, spikes in transit, learning flags, monitors.
template <class Net>
std::vector<std::uint64_t> state_bits(Net& net) {
  std::vector<std::uint64_t> out{net.current_step(), net.seed()};
  auto add = [&](auto x) { out.push_back(std::bit_cast<std::uint64_t>(static_cast<double>(x))); };
  auto add_all = [&](const auto& columns) {
    sw::reflect::for_each_field(columns, [&](auto, const auto& c) {
      for (auto x : c) add(x);
    });
  };
  net.for_each_population([&](auto& pop) {
    add_all(pop.columns());
    for (auto x : pop.refractory_counter()) add(x);
    out.insert(out.end(), pop.spikes().begin(), pop.spikes().end());
    out.push_back(pop.spike_count());
  });
  net.for_each_projection([&](auto& proj) {
    out.insert(out.end(), proj.row_ptr().begin(), proj.row_ptr().end());
    out.insert(out.end(), proj.post().begin(), proj.post().end());
    for (auto d : proj.delays()) out.push_back(d);
    add_all(proj.columns());
    add_all(proj.pre_traces());
    add_all(proj.post_traces());
    out.push_back(proj.learning());
    for (auto [step, i] : proj.spikes_in_transit(net.current_step())) out.insert(out.end(), {step, i});
  });
  net.for_each_monitor([&](auto& mon) {
    out.insert(out.end(), mon.steps().begin(), mon.steps().end());
    using M = std::remove_cvref_t<decltype(mon)>;
    if constexpr (std::string_view(M::kind) == "spike")
      out.insert(out.end(), mon.index_data().begin(), mon.index_data().end());
    else if constexpr (std::string_view(M::kind) == "state")
      for (auto x : mon.value_data()) add(x);
    else
      for (auto x : mon.rate_data()) add(x);
  });
  return out;
}

// The spikes of every population in each of `steps` steps.
template <class Net>
std::vector<std::vector<std::uint32_t>> run_and_record(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

template <class Net>
std::uint64_t spike_total(Net& net) {
  std::uint64_t n = 0;
  net.for_each_population([&](auto& pop) { n += pop.spike_count(); });
  return n;
}

// The state of a distributed run, gathered, equals `expected` (checked on
// root, agreed on by every rank of comm).
template <class Net>
bool gathered_equals(sw::mpi::distributed<Net>& dist, const std::vector<std::uint64_t>& expected) {
  auto full = dist.gather(0);
  const bool ok = !full || state_bits(*full) == expected;
  return agree(ok, dist.comm());
}

// A file name of this run (ctest may run the 1, 2 and 3 rank tests at once).
std::string file(const std::string& what) {
  return (std::filesystem::current_path() / ("mpi_test_" + std::to_string(world_size()) + "_" + what)).string();
}

// The first `n` ranks of the world as a communicator (MPI_COMM_NULL on the others).
struct first_ranks {
  MPI_Comm comm = MPI_COMM_NULL;
  explicit first_ranks(int n) { MPI_Comm_split(MPI_COMM_WORLD, world_rank() < n ? 0 : MPI_UNDEFINED, world_rank(), &comm); }
  ~first_ranks() {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
  first_ranks(const first_ranks&) = delete;
  first_ranks& operator=(const first_ranks&) = delete;
};

constexpr int steps = 400;

}  // namespace

TEST_CASE("mpi: every rank count gives the serial run's spikes and state", "[mpi]") {
  auto serial = coba();
  const auto expected_spikes = run_and_record(serial, steps);
  const auto expected = state_bits(serial);
  REQUIRE(spike_total(serial) > 200);  // the network is active, not silent

  for (std::size_t threads : {std::size_t{1}, std::size_t{2}}) {
    if (threads > 1 && !sw::kernel::threads_available) continue;
    INFO("ranks: " << world_size() << ", threads per rank: " << threads);
    auto net = coba(3, 900, threads);
    sw::mpi::distributed dist(net);
    CHECK(dist.ranks() == world_size());
    // Every rank sees every spike, in every step.
    CHECK(agree(run_and_record(net, steps) == expected_spikes));
    CHECK(gathered_equals(dist, expected));
  }
}

TEST_CASE("mpi: single precision, and a rerun after reset", "[mpi]") {
  auto make = [] {
    return sw::network{sw::precision<float>,
                       {.dt = 0.1, .seed = 5},
                       sw::population<lif_cond_exp, "fE">{700, {}, {.v = sw::uniform(-60, -50)}},
                       sw::population<lif_cond_exp, "fI">{200, {}, {.v = sw::uniform(-60, -50)}},
                       sw::projection<stdp_additive, "fE", "fE", "g_e", "fEE">{
                           sw::fixed_probability{0.08}, {.w = sw::uniform(0.2, 0.6)}, 1.0, {.w_max = 1.0}},
                       sw::projection<static_synapse, "fE", "fI", "g_e", "fEI">{sw::fixed_probability{0.08}, {.w = 0.6},
                                                                               sw::uniform(0.1, 2.0)},
                       sw::projection<static_synapse, "fI", "fE", "g_i", "fIE">{sw::fixed_probability{0.08}, {.w = 6.7}},
                       sw::poisson_input<"fE", "g_e">{.n = 100, .rate = 10, .weight = 0.2},
                       sw::poisson_input<"fI", "g_e">{.n = 100, .rate = 10, .weight = 0.2}};
  };
  auto serial = make();
  const auto expected_spikes = run_and_record(serial, steps);
  const auto expected = state_bits(serial);
  REQUIRE(spike_total(serial) > 100);

  auto net = make();
  sw::mpi::distributed dist(net);
  CHECK(agree(run_and_record(net, steps) == expected_spikes));
  CHECK(gathered_equals(dist, expected));
  // Back to the start, synapses remade from the rule (and cut to each rank's part again).
  dist.reset({.populations = true, .projections = true, .synapses = true, .monitors = true});
  CHECK(agree(run_and_record(net, steps) == expected_spikes));
  CHECK(gathered_equals(dist, expected));
  // A copy is an ordinary network of this rank's own, and runs as the serial one.
  auto copy = net.copy(5);
  CHECK(agree(run_and_record(copy, steps) == expected_spikes));
  CHECK(agree(state_bits(copy) == expected));
}

TEST_CASE("mpi: the split of a population", "[mpi]") {
  // 900 neurons are 15 blocks of 64 (the last one 4 short): 5 blocks per rank.
  CHECK(sw::mpi::share_of(900, 0, 3) == std::pair<std::size_t, std::size_t>{0, 320});
  CHECK(sw::mpi::share_of(900, 1, 3) == std::pair<std::size_t, std::size_t>{320, 640});
  CHECK(sw::mpi::share_of(900, 2, 3) == std::pair<std::size_t, std::size_t>{640, 900});
  CHECK(sw::mpi::share_of(10, 0, 2) == std::pair<std::size_t, std::size_t>{0, 0});
  CHECK(sw::mpi::share_of(10, 1, 2) == std::pair<std::size_t, std::size_t>{0, 10});
  auto net = coba();
  sw::mpi::distributed dist(net);
  const auto [lo, hi] = dist.owned("mE");
  CHECK(agree(lo == sw::mpi::share_of(900, dist.rank(), dist.ranks()).first &&
              hi == sw::mpi::share_of(900, dist.rank(), dist.ranks()).second));
  // Only the synapses onto this rank's neurons stay.
  bool local = true;
  const auto post = net.projection<"mEE">().post();
  for (auto j : post) local = local && j >= lo && j < hi;
  CHECK(agree(local));
}

TEST_CASE("mpi: a checkpoint taken on any rank count continues on any other, and in a serial network", "[mpi]") {
  const int half = steps / 2;
  auto reference = coba();
  run_and_record(reference, half);
  const auto expected_spikes = run_and_record(reference, steps - half);
  const auto expected = state_bits(reference);

  // Saved by s ranks (0: by a serial network), loaded by l ranks (0: by a serial network).
  for (int s = 0; s <= world_size(); ++s) {
    const std::string path = file("saved_by_" + std::to_string(s) + ".npz");
    if (s == 0) {
      if (world_rank() == 0) {
        auto net = coba();
        run_and_record(net, half);
        net.save(path, {.monitors = true});
      }
    } else {
      first_ranks group(s);
      if (group.comm != MPI_COMM_NULL) {
        auto net = coba();
        sw::mpi::distributed dist(net, group.comm);
        run_and_record(net, half);
        dist.save(path, {.monitors = true});
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    for (int l = 0; l <= world_size(); ++l) {
      INFO("saved by " << s << " ranks, loaded by " << l << " ranks (0: serial), world of " << world_size());
      if (l == 0) {
        auto net = coba(77);  // another seed: the file's connectivity and seed replace the network's
        net.load(path, {.monitors = true});
        const auto spikes = run_and_record(net, steps - half);
        CHECK(agree(spikes == expected_spikes));
        CHECK(agree(state_bits(net) == expected));
        continue;
      }
      first_ranks group(l);
      bool ok = true;
      if (group.comm != MPI_COMM_NULL) {
        auto net = coba(77);
        sw::mpi::distributed dist(net, group.comm);
        dist.load(path, {.monitors = true});
        ok = run_and_record(net, steps - half) == expected_spikes;
        ok = gathered_equals(dist, expected) && ok;
      }
      CHECK(agree(ok));
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

TEST_CASE("mpi: save and load fail or succeed on every rank together", "[mpi]") {
  auto net = coba();
  sw::mpi::distributed dist(net);
  run_and_record(net, 50);
  const std::string good = file("good.npz");
  dist.save(good);
  run_and_record(net, 10);
  const auto before = state_bits(net);

  // A file missing on one rank only: every rank throws io_error, no network changes.
  const std::string missing = file("missing.npz");
  std::filesystem::remove(missing);
  const int last = dist.ranks() - 1;
  std::string message;
  try {
    dist.load(dist.rank() == last ? missing : good);
  } catch (const sw::io_error& e) {
    message = e.what();
  }
  CHECK(agree(!message.empty()));
  CHECK(agree(message.find("missing.npz") != std::string::npos));
  if (last > 0) CHECK(agree(message.rfind("rank " + std::to_string(last) + ": ", 0) == 0));
  CHECK(agree(state_bits(net) == before));

  // A file of another network: mismatch_error everywhere, naming the difference.
  const std::string other = file("other.npz");
  if (dist.rank() == 0) coba(3, 901).save(other);
  MPI_Barrier(MPI_COMM_WORLD);
  message.clear();
  try {
    dist.load(other);
  } catch (const sw::mismatch_error& e) {
    message = e.what();
  }
  CHECK(agree(message.find("population 'mE' has 901 neurons in the file, 900") != std::string::npos));
  CHECK(agree(state_bits(net) == before));

  // A file that cannot be written: io_error everywhere.
  message.clear();
  try {
    dist.save("/nonexistent-directory/state.npz");
  } catch (const sw::io_error& e) {
    message = e.what();
  }
  CHECK(agree(!message.empty()));

  // The good file still loads, and the run goes on from it.
  dist.load(good);
  CHECK(agree(net.current_step() == 50));
}

TEST_CASE("mpi: ranks must run the same network", "[mpi]") {
  auto net = coba(world_rank() == 0 ? 3 : 4);
  std::string message;
  try {
    sw::mpi::distributed dist(net);
  } catch (const sw::config_error& e) {
    message = e.what();
  }
  if (world_size() > 1) CHECK(agree(message.find("the ranks' networks differ") != std::string::npos));
  else CHECK(message.empty());
}

int main(int argc, char** argv) {
  sw::mpi::environment env(argc, argv);
  return Catch::Session().run(argc, argv);
}
