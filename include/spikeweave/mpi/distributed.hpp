// mpi::distributed: one network run by several MPI processes (ranks), each owning a contiguous part of every population.
//
// Every rank builds the same network (same type, seed and arguments).
// Rank r of R then updates only its part of each population (share_of:
// whole blocks of 64 neurons, as evenly as they go, in rank order), keeps
// only the synapses onto its neurons, delivers to its neurons only, and after
// each update sends its neurons' spikes to every rank (one MPI_Allgather per
// step), so that every rank knows every spike: the rings of spikes in
// transit, the pre-synaptic traces and the spike counts are the same on every
// rank. Random numbers are counter-based and keyed by global neuron and
// synapse indices, and every post-synaptic target receives its terms in the
// serial order, so the spikes and every variable are those of the serial run,
// bit for bit, on any number of ranks (docs/parallel.md, "MPI").
//
// Needs the spikeweave::mpi target (MPI::MPI_CXX, SPIKEWEAVE_HAS_MPI=1).
#pragma once

#if !defined(SPIKEWEAVE_HAS_MPI)
#error "spikeweave/mpi/distributed.hpp needs the CMake target spikeweave::mpi (it links MPI): target_link_libraries(<your target> PRIVATE spikeweave::mpi); without CMake, compile with mpicxx and define SPIKEWEAVE_HAS_MPI=1"
#elif !__has_include(<mpi.h>)
#error "spikeweave: <spikeweave/mpi/distributed.hpp> needs MPI: link spikeweave::mpi (Debian: libopenmpi-dev)"
#endif
#include <mpi.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/column.hpp"
#include "../core/network.hpp"
#include "../core/run.hpp"
#include "../error.hpp"
#include "../model/reflect.hpp"
#include "../model/synapse.hpp"

namespace spikeweave {
struct state_options;
struct state_report;
namespace io {
struct state_io;  // in <spikeweave/io/state.hpp>
}
}  // namespace spikeweave

namespace spikeweave::mpi {

/// MPI for the life of the object: MPI_Init, and MPI_Finalize at the end,
/// unless MPI was initialized before (then it leaves both to the caller).
class environment {
 public:
  environment(int& argc, char**& argv) { init(&argc, &argv); }
  environment() { init(nullptr, nullptr); }
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;
  ~environment() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }

 private:
  void init(int* argc, char*** argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) throw error("mpi::environment: MPI_Init failed");
    owner_ = true;
  }
  bool owner_ = false;
};

/// The neurons [lo, hi) of a population of `size` that rank `rank` of
/// `ranks` owns: whole blocks of 64 neurons (the last block may be shorter),
/// shared as evenly as they go, in rank order. A rank may own none.
[[nodiscard]] inline std::pair<std::size_t, std::size_t> share_of(std::size_t size, int rank, int ranks) {
  constexpr std::size_t block = 64;
  const std::size_t blocks = (size + block - 1) / block, r = static_cast<std::size_t>(rank),
                    n = static_cast<std::size_t>(ranks);
  return {std::min(size, blocks * r / n * block), std::min(size, blocks * (r + 1) / n * block)};
}

namespace detail {

template <class T>
MPI_Datatype datatype() {
  if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return MPI_UINT32_T;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return MPI_UINT16_T;
  else if constexpr (std::is_same_v<T, int>) return MPI_INT;
  else static_assert(sizeof(T) == 0, "spikeweave: no MPI datatype for this type");
}

inline int as_count(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw config_error(std::string("mpi: ") + what + ": " + std::to_string(n) + " values in one message, MPI allows " +
                       std::to_string(INT_MAX));
  return static_cast<int>(n);
}

// Exchanges a step's spikes: every rank sends the ascending spikes of its
// neurons, one list per population, and gets those of every rank; as ranks
// own ascending ranges, the lists of ranks 0, 1, ... end to end are
// ascending. One MPI_Allgather of fixed-size blocks per step; a message
// longer than a block sends its rest in a second round (MPI_Allgatherv),
// and the blocks grow so that it fits the next time (every rank sees every
// length, so all decide alike).
class spike_exchange {
 public:
  explicit spike_exchange(MPI_Comm comm) : comm_(comm) { MPI_Comm_size(comm, &ranks_); }

  void operator()(std::vector<std::vector<std::uint32_t>>& fired) {
    const std::size_t pops = fired.size();
    message_.clear();
    for (const auto& f : fired) message_.push_back(static_cast<std::uint32_t>(f.size()));
    for (const auto& f : fired) message_.insert(message_.end(), f.begin(), f.end());
    const std::size_t words = message_.size(), head = block_ - 1;
    send_.assign(block_, 0);
    send_[0] = static_cast<std::uint32_t>(words);
    std::copy_n(message_.begin(), std::min(words, head), send_.begin() + 1);
    all_.resize(block_ * static_cast<std::size_t>(ranks_));
    MPI_Allgather(send_.data(), static_cast<int>(block_), MPI_UINT32_T, all_.data(), static_cast<int>(block_), MPI_UINT32_T,
                  comm_);
    counts_.assign(static_cast<std::size_t>(ranks_), 0);
    displs_.assign(static_cast<std::size_t>(ranks_), 0);
    std::size_t longest = 0, rest = 0;
    for (int r = 0; r < ranks_; ++r) {
      const std::size_t w = all_[static_cast<std::size_t>(r) * block_];
      longest = std::max(longest, w);
      counts_[static_cast<std::size_t>(r)] = static_cast<int>(w > head ? w - head : 0);
      displs_[static_cast<std::size_t>(r)] = static_cast<int>(rest);
      rest += static_cast<std::size_t>(counts_[static_cast<std::size_t>(r)]);
    }
    if (rest > 0) {
      rest_.resize(rest);
      const int mine = words > head ? static_cast<int>(words - head) : 0;
      MPI_Allgatherv(message_.data() + std::min(words, head), mine, MPI_UINT32_T, rest_.data(), counts_.data(),
                     displs_.data(), MPI_UINT32_T, comm_);
    }
    for (auto& f : fired) f.clear();
    for (int r = 0; r < ranks_; ++r) {
      const std::uint32_t* first = all_.data() + static_cast<std::size_t>(r) * block_ + 1;
      const std::uint32_t* more = rest_.data() + displs_[static_cast<std::size_t>(r)];
      auto word = [&](std::size_t k) { return k < head ? first[k] : more[k - head]; };
      std::size_t at = pops;
      for (std::size_t p = 0; p < pops; ++p)
        for (std::uint32_t j = 0, n = word(p); j < n; ++j) fired[p].push_back(word(at++));
    }
    if (longest > head) block_ = std::min<std::size_t>(max_block, std::max(2 * block_, longest + 1 + longest / 2));
  }

 private:
  static constexpr std::size_t max_block = 1 << 16;
  MPI_Comm comm_;
  int ranks_ = 1;
  std::size_t block_ = 128;  // [words]
  std::vector<std::uint32_t> message_, send_, all_, rest_;
  std::vector<int> counts_, displs_;
};

// What failed on some rank, for every rank to throw alike.
enum class failure : int { none = 0, error, config, io, format, mismatch, internal, other };

inline failure kind_of(std::exception_ptr e, std::string& message) {
  try {
    std::rethrow_exception(e);
  } catch (const mismatch_error& x) {
    message = x.what();
    return failure::mismatch;
  } catch (const format_error& x) {
    message = x.what();
    return failure::format;
  } catch (const io_error& x) {
    message = x.what();
    return failure::io;
  } catch (const config_error& x) {
    message = x.what();
    return failure::config;
  } catch (const internal_error& x) {
    message = x.what();
    return failure::internal;
  } catch (const error& x) {
    message = x.what();
    return failure::error;
  } catch (const std::bad_alloc&) {
    message = "out of memory";
    return failure::other;
  } catch (const std::exception& x) {
    message = x.what();
    return failure::other;
  }
}

[[noreturn]] inline void throw_as(failure kind, const std::string& message) {
  switch (kind) {
    case failure::config: throw config_error(message);
    case failure::io: throw io_error(message);
    case failure::format: throw format_error(message);
    case failure::mismatch: throw mismatch_error(message);
    case failure::internal: throw internal_error(message);
    default: throw error(message);
  }
}

// Runs f() (no collective calls inside) on every rank of `comm`, then
// makes all ranks succeed or fail together: if f threw on any rank, every
// rank throws the exception of the lowest such rank, same type, same
// message (prefixed with that rank when it is not 0).
template <class F>
void collectively(MPI_Comm comm, F&& f) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  failure kind = failure::none;
  std::string message;
  try {
    f();
  } catch (...) {
    kind = kind_of(std::current_exception(), message);
  }
  int mine = kind == failure::none ? ranks : rank, first = ranks;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == ranks) return;
  int code = static_cast<int>(kind), length = static_cast<int>(message.size());
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  MPI_Bcast(&length, 1, MPI_INT, first, comm);
  message.resize(static_cast<std::size_t>(length));
  MPI_Bcast(message.data(), length, MPI_CHAR, first, comm);
  throw_as(static_cast<failure>(code), first == 0 ? message : "rank " + std::to_string(first) + ": " + message);
}

}  // namespace detail

/// A network run by the ranks of `comm` together (every rank constructs one
/// for its own copy of the same network): each rank updates and delivers to
/// its part of every population (share_of), keeps only the synapses onto
/// them, and exchanges the spikes of every step; step and simulate as usual,
/// on the network or here. The spikes and every variable are those of the
/// serial run, bit for bit, whatever the number of ranks; a rank's
/// variables are current for its own neurons only (gather() collects them).
///
///     spikeweave::mpi::environment env(argc, argv);
///     auto net = build();                        // the same on every rank
///     spikeweave::mpi::distributed dist(net);    // MPI_COMM_WORLD
///     dist.simulate(1000);
///     dist.save("state.npz");                    // one file, any rank count can load it
///
/// Rate-coded projections are not supported (config_error). Callbacks run
/// on every rank; a simulate_until condition must decide alike on every
/// rank (spikes: yes; variables: only the owner's are current). Spike and rate monitors record every spike on every rank;
/// state monitors are current for the rank's own neurons (gather() and
/// save() collect them from their owners).
template <class Net>
class distributed {
 public:
  using network_type = Net;

  /// Shares `net` among the ranks of `comm`. Collective; config_error on
  /// every rank if MPI is not initialized, the ranks' networks differ, or a
  /// projection is rate-coded.
  explicit distributed(Net& net, MPI_Comm comm = MPI_COMM_WORLD) : net_(net), comm_(comm) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized)
      throw config_error("mpi::distributed: MPI is not initialized: create an mpi::environment first (or call MPI_Init)");
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &ranks_);
    detail::collectively(comm_, [&] { check_supported(); });
    check_same_network();
    std::vector<std::pair<std::size_t, std::size_t>> owned;
    net_.for_each_population([&](auto& pop) { owned.push_back(share_of(pop.size(), rank_, ranks_)); });
    net_.share(std::move(owned), detail::spike_exchange(comm_));
    keep_local_synapses();
  }
  distributed(const distributed&) = delete;
  distributed& operator=(const distributed&) = delete;

  /// The network this rank runs.
  Net& network() { return net_; }
  [[nodiscard]] MPI_Comm comm() const { return comm_; }
  /// This rank's number in comm().
  [[nodiscard]] int rank() const { return rank_; }
  /// Number of ranks in comm().
  [[nodiscard]] int ranks() const { return ranks_; }
  /// The neurons [lo, hi) of population `name` this rank owns.
  [[nodiscard]] std::pair<std::size_t, std::size_t> owned(std::string_view name) { return net_.owned(name); }

  /// Collective: one step on every rank.
  void step() { net_.step(); }
  /// Collective: simulates `duration` ms on every rank; returns this rank's wall time [s].
  double simulate(double duration, const simulate_options& options = {}) { return net_.simulate(duration, options); }

  /// Collective: the network's reset on every rank (then, if the synapses
  /// were remade, each rank keeps those onto its neurons again).
  void reset(const reset_options& o = {}) {
    net_.reset(o);
    if (o.projections || o.synapses) keep_local_synapses();
  }

  /// Drops the synapses onto neurons other ranks own (they are not needed
  /// here; the network still works, only slower and bigger, if they stay).
  void keep_local_synapses() {
    net_.for_each_projection([&](auto& proj) {
      using J = std::remove_cvref_t<decltype(proj)>;
      const auto [lo, hi] = net_.owned(J::post_name.view());
      const auto& post = net_.template population<J::post_name>();
      if (lo == 0 && hi == post.size()) return;
      auto part = local_part(proj, lo, hi);
      std::vector<std::uint64_t> row_ptr(part.rows.size() + 1, 0);
      for (std::size_t i = 0; i < part.rows.size(); ++i) row_ptr[i + 1] = row_ptr[i] + part.rows[i];
      auto ages = proj.ages();  // event-driven state keeps its ages
      ages.synapses = std::move(part.ages);
      proj.restore(std::move(row_ptr), std::move(part.post), std::move(part.columns), part.delays,
                   proj.spikes_in_transit(net_.current_step()), net_.current_step(), proj.pre_traces(),
                   proj.post_traces(), post.size(), std::move(ages));
    });
  }

  /// Collective: the whole state of the network in one network on rank
  /// `root` (nothing on the others): every rank's neurons, synapses, post
  /// traces and state-monitor samples, with what every rank shares (clock,
  /// spikes, spikes in transit, pre traces, spike and rate monitors). It is
  /// the state the serial run would have, and what save() writes.
  std::optional<Net> gather(int root = 0) {
    std::optional<Net> full;
    if (rank_ == root) full.emplace(net_);
    net_.for_each_population([&](auto& pop) {
      using P = std::remove_cvref_t<decltype(pop)>;
      using Real = typename P::real_type;
      const auto [counts, displs] = layout(pop.size());
      const auto [lo, hi] = net_.owned(P::static_name.view());
      P* whole = full ? &full->template population<P::static_name>() : nullptr;
      auto cols = whole ? whole->columns() : typename P::columns_type{};
      column<Real> refractory = whole ? whole->refractory_counter() : column<Real>{};
      reflect::for_each_field_of(
          [&](auto, column<Real>& mine, column<Real>& all) {
            gather_range(mine.data() + lo, hi - lo, whole ? all.data() : nullptr, counts, displs, root);
          },
          pop.columns(), cols);
      if (pop.refractory_counter().size() > 0)
        gather_range(pop.refractory_counter().data() + lo, hi - lo, whole ? refractory.data() : nullptr, counts, displs,
                     root);
      if (whole)
        whole->restore(cols, refractory, std::vector<std::uint32_t>(pop.spikes().begin(), pop.spikes().end()),
                       pop.spike_count());
    });
    net_.for_each_projection([&](auto& proj) { gather_projection(proj, full, root); });
    net_.for_each_monitor([&](auto& mon) { gather_monitor(mon, full, root); });
    return full;
  }

  /// Collective: saves the whole state as one ordinary state file (what
  /// net.save writes for the serial run; needs <spikeweave/io/state.hpp>
  /// and spikeweave::io): gathered on rank 0, written by it. Every rank
  /// returns, or throws the same exception, together.
  template <class Io = io::state_io, class Options = state_options>
  void save(const std::filesystem::path& path, const Options& options = {}) {
    static_assert(requires(Net& n) { Io::save(n, path.string(), options); },
                  "spikeweave: #include <spikeweave/io/state.hpp> for mpi::distributed::save");
    auto full = gather(0);
    detail::collectively(comm_, [&] {
      if (full) Io::save(*full, path.string(), options);
    });
  }

  /// Collective: loads a state file saved by save() on any number of ranks,
  /// or by a serial network: every rank reads it and keeps its part. All or
  /// nothing on every rank: if the file does not load on some rank, no
  /// rank's network changes and every rank throws the same exception
  /// (mismatch_error, format_error, io_error, ...). Returns the load's report.
  template <class Io = io::state_io, class Options = state_options>
  auto load(const std::filesystem::path& path, const Options& options = {}) {
    static_assert(requires(Net& n) { Io::load(n, path.string(), options); },
                  "spikeweave: #include <spikeweave/io/state.hpp> for mpi::distributed::load");
    std::optional<Net> copy;
    decltype(Io::load(net_, path.string(), options)) report{};
    detail::collectively(comm_, [&] {
      copy.emplace(net_);
      report = Io::load(*copy, path.string(), options);
    });
    net_ = std::move(*copy);
    keep_local_synapses();
    return report;
  }

 private:
  // The synapses of `proj` onto post neurons [lo, hi): per pre neuron their
  // number, then their post indices, variables and delays in storage order.
  template <class J>
  struct part_of {
    std::vector<std::uint64_t> rows;
    std::vector<std::uint32_t> post;
    typename J::columns_type columns;
    std::vector<typename J::delay_type> delays;
    std::vector<std::uint32_t> ages;  // of event-driven synapse variables
  };
  template <class J>
  static part_of<J> local_part(const J& proj, std::size_t lo, std::size_t hi) {
    part_of<J> out;
    const auto row_ptr = proj.row_ptr();
    const auto post = proj.post();
    std::vector<std::size_t> keep;
    out.rows.assign(row_ptr.size() - 1, 0);
    for (std::size_t i = 0; i + 1 < row_ptr.size(); ++i)
      for (auto k = row_ptr[i]; k < row_ptr[i + 1]; ++k)
        if (post[k] >= lo && post[k] < hi) {
          keep.push_back(k);
          ++out.rows[i];
        }
    out.post.reserve(keep.size());
    out.delays.reserve(keep.size());
    for (auto k : keep) {
      out.post.push_back(post[k]);
      out.delays.push_back(static_cast<typename J::delay_type>(proj.delay_steps(k)));
    }
    reflect::for_each_field_of(
        [&](auto, auto& dst, const auto& src) {
          dst.reserve(keep.size());
          for (auto k : keep) dst.push_back(src[k]);
        },
        out.columns, proj.columns());
    if constexpr (J::event_driven) {
      const auto ages = proj.ages().synapses;
      out.ages.reserve(keep.size());
      for (auto k : keep) out.ages.push_back(ages[k]);
    }
    return out;
  }

  // Counts and displacements of every rank's part of a population of `size`.
  std::pair<std::vector<int>, std::vector<int>> layout(std::size_t size) const {
    std::vector<int> counts(static_cast<std::size_t>(ranks_)), displs(static_cast<std::size_t>(ranks_));
    for (int r = 0; r < ranks_; ++r) {
      const auto [lo, hi] = share_of(size, r, ranks_);
      counts[static_cast<std::size_t>(r)] = detail::as_count(hi - lo, "gather");
      displs[static_cast<std::size_t>(r)] = detail::as_count(lo, "gather");
    }
    return {counts, displs};
  }

  template <class T>
  void gather_range(const T* mine, std::size_t n, T* all, const std::vector<int>& counts, const std::vector<int>& displs,
                    int root) {
    MPI_Gatherv(mine, detail::as_count(n, "gather"), detail::datatype<T>(), all, counts.data(), displs.data(),
                detail::datatype<T>(), root, comm_);
  }

  // Variable-length parts of every rank, end to end on root (counts: per rank).
  template <class T>
  std::vector<T> gather_parts(const std::vector<T>& mine, std::vector<int>& counts, int root) {
    int n = detail::as_count(mine.size(), "gather");
    counts.assign(static_cast<std::size_t>(ranks_), 0);
    MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
    std::vector<int> displs(static_cast<std::size_t>(ranks_), 0);
    std::size_t total = 0;
    for (int r = 0; r < ranks_; ++r) {
      displs[static_cast<std::size_t>(r)] = detail::as_count(total, "gather");
      total += static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]);
    }
    std::vector<T> out(rank_ == root ? total : 0);
    MPI_Gatherv(mine.data(), n, detail::datatype<T>(), out.data(), counts.data(), displs.data(), detail::datatype<T>(),
                root, comm_);
    return out;
  }

  // The rank whose spikes in transit and pre traces of `proj` are the whole
  // projection's: the one with the longest delay among its synapses (its
  // ring reaches back furthest; with any synapse, its pre traces saw every
  // arrival), the lowest such rank.
  template <class J>
  int source_of(const J& proj) const {
    struct {
      int value, rank;
    } mine{static_cast<int>(proj.max_delay_steps() * 2 + (proj.size() > 0 ? 1 : 0)), rank_}, best{};
    MPI_Allreduce(&mine, &best, 1, MPI_2INT, MPI_MAXLOC, comm_);
    return best.rank;
  }

  template <class J>
  void gather_projection(J& proj, std::optional<Net>& full, int root) {
    using Real = typename J::real_type;
    const auto [lo, hi] = net_.owned(J::post_name.view());
    const std::size_t n_post = net_.template population<J::post_name>().size();
    auto part = local_part(proj, lo, hi);
    std::vector<int> counts;
    const auto rows = gather_parts(part.rows, counts, root);
    const auto post = gather_parts(part.post, counts, root);
    const auto delays = gather_parts(part.delays, counts, root);
    typename J::columns_type columns;
    reflect::for_each_field_of([&](auto, auto& all, const auto& mine) { all = gather_parts(mine, counts, root); },
                               columns, part.columns);
    // Event-driven state: synapse ages like the variables, post trace ages from their owners, pre trace ages below.
    auto ages = proj.ages();
    if constexpr (J::event_driven) {
      std::vector<int> age_counts;
      ages.synapses = gather_parts(part.ages, age_counts, root);
    }
    if constexpr (J::event_driven_post) {
      const auto [age_counts, age_displs] = layout(n_post);
      const auto mine = ages.post;
      gather_range(mine.data() + lo, hi - lo, rank_ == root ? ages.post.data() : nullptr, age_counts, age_displs, root);
    }
    const auto ranks = static_cast<std::size_t>(ranks_);
    std::vector<std::size_t> next(ranks, 0);  // where each rank's next synapse is, in the gathered arrays
    for (std::size_t r = 1; r < ranks; ++r) next[r] = next[r - 1] + static_cast<std::size_t>(counts[r - 1]);
    // Post traces from their owners.
    const auto [trace_counts, trace_displs] = layout(n_post);
    auto post_traces = proj.post_traces();
    reflect::for_each_field_of(
        [&](auto, std::vector<Real>& all, const std::vector<Real>& mine) {
          gather_range(mine.data() + lo, hi - lo, rank_ == root ? all.data() : nullptr, trace_counts, trace_displs, root);
        },
        post_traces, proj.post_traces());
    // Spikes in transit and pre traces from the rank that has them all.
    const int source = source_of(proj);
    const std::uint64_t now = net_.current_step();
    auto transit = proj.spikes_in_transit(now);
    auto pre_traces = proj.pre_traces();
    if (source != root) {
      std::vector<std::uint64_t> steps;
      std::vector<std::uint32_t> pres;
      for (const auto& [s, i] : transit) steps.push_back(s), pres.push_back(i);
      int n = static_cast<int>(steps.size());
      if (rank_ == source) {
        MPI_Send(&n, 1, MPI_INT, root, 0, comm_);
        MPI_Send(steps.data(), n, MPI_UINT64_T, root, 1, comm_);
        MPI_Send(pres.data(), n, MPI_UINT32_T, root, 2, comm_);
        reflect::for_each_field(pre_traces, [&](auto, std::vector<Real>& c) {
          MPI_Send(c.data(), detail::as_count(c.size(), "gather"), detail::datatype<Real>(), root, 3, comm_);
        });
        if constexpr (J::event_driven_pre)
          MPI_Send(ages.pre.data(), detail::as_count(ages.pre.size(), "gather"), MPI_UINT64_T, root, 4, comm_);
      } else if (rank_ == root) {
        MPI_Recv(&n, 1, MPI_INT, source, 0, comm_, MPI_STATUS_IGNORE);
        steps.resize(static_cast<std::size_t>(n));
        pres.resize(static_cast<std::size_t>(n));
        MPI_Recv(steps.data(), n, MPI_UINT64_T, source, 1, comm_, MPI_STATUS_IGNORE);
        MPI_Recv(pres.data(), n, MPI_UINT32_T, source, 2, comm_, MPI_STATUS_IGNORE);
        transit.clear();
        for (std::size_t k = 0; k < steps.size(); ++k) transit.emplace_back(steps[k], pres[k]);
        reflect::for_each_field(pre_traces, [&](auto, std::vector<Real>& c) {
          MPI_Recv(c.data(), detail::as_count(c.size(), "gather"), detail::datatype<Real>(), source, 3, comm_,
                   MPI_STATUS_IGNORE);
        });
        if constexpr (J::event_driven_pre)
          MPI_Recv(ages.pre.data(), detail::as_count(ages.pre.size(), "gather"), MPI_UINT64_T, source, 4, comm_,
                   MPI_STATUS_IGNORE);
      }
    }
    if (rank_ != root) return;
    // Rows whole again: each row's parts of ranks 0, 1, ... end to end; the
    // projection orders every row by (delay, post) stably, which is the
    // serial order (a post neuron's synapses all come from one rank).
    const std::size_t n_pre = part.rows.size(), n = post.size();
    std::vector<std::uint64_t> row_ptr(n_pre + 1, 0);
    for (std::size_t r = 0; r < ranks; ++r)
      for (std::size_t i = 0; i < n_pre; ++i) row_ptr[i + 1] += rows[r * n_pre + i];
    for (std::size_t i = 0; i < n_pre; ++i) row_ptr[i + 1] += row_ptr[i];
    std::vector<std::size_t> order;  // gathered synapse of each place in the whole rows
    order.reserve(n);
    for (std::size_t i = 0; i < n_pre; ++i)
      for (std::size_t r = 0; r < ranks; ++r)
        for (std::uint64_t k = 0; k < rows[r * n_pre + i]; ++k) order.push_back(next[r]++);
    std::vector<std::uint32_t> post_all(n);
    std::vector<typename J::delay_type> delay_all(n);
    for (std::size_t k = 0; k < n; ++k) post_all[k] = post[order[k]], delay_all[k] = delays[order[k]];
    if (!ages.synapses.empty()) {
      std::vector<std::uint32_t> sorted(n);
      for (std::size_t k = 0; k < n; ++k) sorted[k] = ages.synapses[order[k]];
      ages.synapses = std::move(sorted);
    }
    reflect::for_each_field(columns, [&](auto, std::vector<Real>& c) {
      std::vector<Real> sorted(n);
      for (std::size_t k = 0; k < n; ++k) sorted[k] = c[order[k]];
      c = std::move(sorted);
    });
    auto& whole = full->template projection<J::static_name>();
    whole.restore(std::move(row_ptr), std::move(post_all), std::move(columns), delay_all, transit, now,
                  std::move(pre_traces), std::move(post_traces), n_post, std::move(ages));
  }

  template <class M>
  void gather_monitor(M& mon, std::optional<Net>& full, int root) {
    if constexpr (std::string_view(M::kind) == "state") {
      // Every rank recorded the same samples; each neuron's values come from its owner.
      const auto& mine = mon.value_data();
      std::vector<double> all(rank_ == root ? mine.size() * static_cast<std::size_t>(ranks_) : 0);
      const int n = detail::as_count(mine.size(), "gather");
      MPI_Gather(mine.data(), n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, root, comm_);
      if (rank_ != root) return;
      const std::size_t size = net_.template population<M::population_name>().size();
      const auto& neurons = mon.neurons();
      std::vector<std::size_t> owner(neurons.size());
      for (std::size_t i = 0; i < neurons.size(); ++i)
        for (int r = 0; r < ranks_; ++r) {
          const auto [lo, hi] = share_of(size, r, ranks_);
          if (neurons[i] >= lo && neurons[i] < hi) owner[i] = static_cast<std::size_t>(r);
        }
      std::vector<double> values(mine.size());
      for (std::size_t k = 0; k < values.size(); ++k)
        values[k] = neurons.empty() ? mine[k] : all[owner[k % neurons.size()] * mine.size() + k];
      auto& whole = full->template monitor<M::static_name>();
      whole.restore(mon.steps(), std::move(values));
    }
  }

  void check_supported() {
    net_.for_each_projection([&](auto& proj) {
      using J = std::remove_cvref_t<decltype(proj)>;
      if constexpr (model::rate_coded<typename J::model_type, typename J::real_type>)
        throw config_error("mpi::distributed: projection '" + std::string(proj.name()) +
                           "' is rate-coded; rate-coded projections do not run on several ranks yet");
    });
  }

  // Every rank must run the same network: compares a digest of its description.
  void check_same_network() {
    std::uint64_t digest = 1469598103934665603ULL;
    auto mix = [&](std::uint64_t x) { digest = (digest ^ x) * 1099511628211ULL; };
    mix(net_.seed());
    mix(net_.current_step());
    mix(std::bit_cast<std::uint64_t>(net_.dt()));
    net_.for_each_population([&](auto& pop) { mix(pop.size()); });
    net_.for_each_projection([&](auto& proj) { mix(proj.row_ptr().size()); });
    std::uint64_t low = 0, high = 0;
    MPI_Allreduce(&digest, &low, 1, MPI_UINT64_T, MPI_MIN, comm_);
    MPI_Allreduce(&digest, &high, 1, MPI_UINT64_T, MPI_MAX, comm_);
    if (low != high)
      throw config_error("mpi::distributed: the ranks' networks differ (seed, dt, step, population sizes or synapse "
                         "counts): every rank must build the same network");
  }

  Net& net_;
  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1;
};

}  // namespace spikeweave::mpi
