// network<...>: populations and inputs composed into one type, with the clock, the seed and the step loop.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../model/fixed_string.hpp"
#include "input.hpp"
#include "kernel.hpp"
#include "population.hpp"
#include "monitor.hpp"
#include "projection.hpp"
#include "run.hpp"
#include "random.hpp"

namespace spikeweave {

/// Settings of a network that do not change while it runs.
struct network_config {
  double dt = 0.1;         ///< [ms] time step
  std::uint64_t seed = 0;  ///< key of every random number the network draws
  /// Threads a step runs on: 0 = every core TBB may use, 1 = serial. More
  /// than one needs spikeweave::tbb (config_error otherwise). The results do
  /// not depend on it: the same spikes and bit-identical variables.
  std::size_t threads = 0;
};

struct load_parameters_options;
class parameter_values;
struct state_options;
namespace io {
struct parameter_io;  // in <spikeweave/io/parameters.hpp>
struct state_io;      // in <spikeweave/io/state.hpp>
}

/// Tag choosing the network's floating-point precision: `network{precision<float>, {...}, ...}`.
template <class Real>
struct precision_t {};
template <class Real>
inline constexpr precision_t<Real> precision{};

namespace detail {

template <class E>
concept population_element = std::same_as<typename E::element_kind, population_tag>;
template <class E>
concept projection_element = std::same_as<typename E::element_kind, projection_tag>;
template <class E>
concept input_element = std::same_as<typename E::element_kind, input_tag>;
template <class E>
concept monitor_element = std::same_as<typename E::element_kind, monitor_tag>;

// Names of the elements: populations and projections keep theirs or, unnamed,
// become pop<k> / proj<k> for the k-th of their kind (as ANNarchy does);
// inputs have none.
template <class... Es>
constexpr std::array<fixed_string, sizeof...(Es)> element_names() {
  std::array<fixed_string, sizeof...(Es)> out{};
  std::size_t i = 0, pops = 0, projs = 0;
  auto name_one = [&]<class E>() {
    if constexpr (population_element<E>) {
      out[i] = E::static_name.empty() ? numbered_name("pop", pops) : E::static_name;
      ++pops;
    } else if constexpr (projection_element<E>) {
      out[i] = E::static_name.empty() ? numbered_name("proj", projs) : E::static_name;
      ++projs;
    } else if constexpr (monitor_element<E>) {
      out[i] = E::static_name;
    }
    ++i;
  };
  (name_one.template operator()<Es>(), ...);
  return out;
}

template <class... Es>
constexpr bool names_unique() {
  constexpr auto names = element_names<Es...>();
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      if (!names[i].empty() && names[i] == names[j]) return false;
  return true;
}

// The type the network stores for element I: populations get their final
// name and the network's precision.
template <class Real, std::size_t I, class... Es>
constexpr auto resolve() {
  using E = std::tuple_element_t<I, std::tuple<Es...>>;
  if constexpr (population_element<E> || projection_element<E>)
    return std::type_identity<typename E::template rebind<element_names<Es...>()[I], Real>>{};
  else
    return std::type_identity<E>{};
}

template <class Real, class... Es, std::size_t... I>
auto storage_of(std::index_sequence<I...>) {
  return std::type_identity<std::tuple<typename decltype(resolve<Real, I, Es...>())::type...>>{};
}

}  // namespace detail

/// A network of populations, projections and inputs, composed at compile time.
///
///     auto net = spikeweave::network{{.dt = 0.1, .seed = 42},
///                                    population<models::lif_cond_exp, "E">{3200}, ...};
///     net.simulate(1000);                  // [ms]
///     auto& E = net.population<"E">();     // typed access
///
/// Every loop is inlined; there is no virtual call per neuron or per step.
/// Each step: every population advances, then every projection propagates,
/// then every input delivers (each kind in declaration order), then the
/// clock moves by dt. With threads, each part is split by neuron range in a
/// way that gives the serial result bit for bit (docs/parallel.md).
template <class Real, class... Es>
class network {
  static_assert(sizeof...(Es) > 0, "spikeweave: a network needs at least one population");
  static_assert(((detail::population_element<Es> || detail::projection_element<Es> || detail::input_element<Es> ||
                  detail::monitor_element<Es>) &&
                 ...),
                "spikeweave: network elements are populations, projections, inputs and monitors");
  static_assert(detail::names_unique<Es...>(),
                "spikeweave: two populations, projections or monitors of the network have the same name");

  static constexpr std::size_t count = sizeof...(Es);
  static constexpr auto names_ = detail::element_names<Es...>();
  static constexpr bool is_population_[count > 0 ? count : 1] = {detail::population_element<Es>...};
  static constexpr bool is_projection_[count > 0 ? count : 1] = {detail::projection_element<Es>...};
  static constexpr bool is_monitor_[count > 0 ? count : 1] = {detail::monitor_element<Es>...};
  using storage = typename decltype(detail::storage_of<Real, Es...>(std::index_sequence_for<Es...>{}))::type;

  template <fixed_string Name>
  static constexpr std::size_t index_of() {
    for (std::size_t i = 0; i < count; ++i)
      if (is_population_[i] && names_[i] == Name) return i;
    return count;
  }
  template <fixed_string Name>
  static constexpr std::size_t projection_index_of() {
    for (std::size_t i = 0; i < count; ++i)
      if (is_projection_[i] && names_[i] == Name) return i;
    return count;
  }
  template <fixed_string Name>
  static constexpr std::size_t monitor_index_of() {
    for (std::size_t i = 0; i < count; ++i)
      if (is_monitor_[i] && names_[i] == Name) return i;
    return count;
  }
  template <fixed_string Name>
  static constexpr bool named() {
    return index_of<Name>() < count || projection_index_of<Name>() < count || monitor_index_of<Name>() < count;
  }

 public:
  using real_type = Real;

  /// Builds the network; config_error on a bad dt or input.
  explicit network(network_config config, Es... elements)
      : config_(validated(config)),
        elements_(make(std::forward_as_tuple(elements...), std::index_sequence_for<Es...>{})),
        team_(config_.threads) {
    check_inputs(std::index_sequence_for<Es...>{});
    build_projections();
    attach_monitors();
    plan_pieces();
  }
  network(precision_t<Real>, network_config config, Es... elements)
      : network(config, std::move(elements)...) {}

  [[nodiscard]] double dt() const { return config_.dt; }
  [[nodiscard]] std::uint64_t seed() const { return config_.seed; }
  /// Threads a step runs on (network_config::threads, 0 resolved to the core count).
  [[nodiscard]] std::size_t threads() const { return team_.threads(); }
  /// The threads the network runs on (a kernel::team: threads() and
  /// for_each(chunks, f)); loads of saved states use them too.
  [[nodiscard]] kernel::team& team() { return team_; }
  /// Runs the steps to come on `n` threads (0: every core); the results do
  /// not change. config_error for n > 1 without spikeweave::tbb, or when
  /// called from a callback during a run.
  void set_threads(std::size_t n) {
    if (running_) throw config_error("network: set_threads(" + std::to_string(n) + ") during a run (from a callback)");
    network_config c = config_;
    c.threads = n;
    config_ = validated(c);
    team_ = kernel::team(n);
    plan_pieces();
  }
  /// Makes this process one of several that run the network together
  /// (spikeweave::mpi::distributed calls it): it updates and delivers to
  /// neurons [lo, hi) of the k-th population only, `owned[k]` (lo a multiple
  /// of 64, hi one too or the population's size), and after each update passes
  /// the spikes of those neurons (one ascending list per population) to
  /// `exchange`, which must replace them with the spikes of every process,
  /// ascending. Pre traces and the synapses' continuous update still run for
  /// every pre-synaptic neuron. An empty `owned` undoes it (every neuron).
  void share(std::vector<std::pair<std::size_t, std::size_t>> owned,
             std::function<void(std::vector<std::vector<std::uint32_t>>&)> exchange) {
    if (running_) throw config_error("network: share() during a run (from a callback)");
    if (!owned.empty()) {
      if (owned.size() != population_count)
        throw config_error("network: share(): " + std::to_string(owned.size()) + " ranges for " +
                           std::to_string(population_count) + " populations");
      if (!exchange) throw config_error("network: share(): no exchange function");
      std::size_t k = 0;
      for_each_population([&](auto& pop) {
        const auto [lo, hi] = owned[k++];
        if (!(lo <= hi && hi <= pop.size() && lo % align == 0 && (hi % align == 0 || hi == pop.size())))
          throw config_error("network: share(): population '" + std::string(pop.name()) + "' range [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + ") of " + std::to_string(pop.size()) +
                             " neurons: needs lo <= hi <= size, lo a multiple of 64, hi one or the size");
      });
    }
    owned_ = std::move(owned);
    exchange_ = owned_.empty() ? nullptr : std::move(exchange);
    plan_pieces();
  }
  /// The neurons [lo, hi) of population `name` this process updates (all of them unless share() says otherwise).
  [[nodiscard]] std::pair<std::size_t, std::size_t> owned(std::string_view name) {
    std::pair<std::size_t, std::size_t> out{0, 0};
    std::size_t k = 0;
    visit_population(name, [&](auto& pop) { out = {0, pop.size()}; });
    for_each_population([&](auto& pop) {
      if (pop.name() == name && !owned_.empty()) out = owned_[k];
      ++k;
    });
    return out;
  }
  /// Chunks of work a step is split into: 1 (serial) for one thread or a
  /// small network, else one per thread.
  [[nodiscard]] std::size_t chunk_count() const { return chunks_.size(); }
  /// Time reached [ms]: current_step() * dt.
  [[nodiscard]] double current_time() const { return static_cast<double>(step_) * config_.dt; }
  /// Steps simulated since construction or the last reset.
  [[nodiscard]] std::uint64_t current_step() const { return step_; }

  /// The population called `Name` (compile-time checked).
  template <fixed_string Name>
  auto& population() {
    constexpr std::size_t i = index_of<Name>();
    static_assert(i < count, "spikeweave: the network has no population of that name");
    return std::get<(i < count ? i : 0)>(elements_);
  }
  template <fixed_string Name>
  const auto& population() const {
    return const_cast<network*>(this)->template population<Name>();
  }

  /// The projection called `Name` (compile-time checked).
  template <fixed_string Name>
  auto& projection() {
    constexpr std::size_t i = projection_index_of<Name>();
    static_assert(i < count, "spikeweave: the network has no projection of that name");
    return std::get<(i < count ? i : 0)>(elements_);
  }

  /// The monitor called `Name` (compile-time checked).
  template <fixed_string Name>
  auto& monitor() {
    constexpr std::size_t i = monitor_index_of<Name>();
    static_assert(i < count, "spikeweave: the network has no monitor of that name");
    return std::get<(i < count ? i : 0)>(elements_);
  }

  /// Calls f(monitor) for every monitor, in declaration order.
  template <class F>
  void for_each_monitor(F&& f) {
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_monitor_[I]) f(e);
    });
  }

  /// Calls f(proj) for every projection, in declaration order.
  template <class F>
  void for_each_projection(F&& f) {
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_projection_[I]) f(e);
    });
  }

  /// Number of synapses in all projections.
  [[nodiscard]] std::size_t synapse_count() {
    std::size_t n = 0;
    for_each_projection([&](auto& proj) { n += proj.size(); });
    return n;
  }

  /// Sets the network-level constant `name` (created if absent), for user code and callbacks.
  void constant(const std::string& name, double value) {
    if (!std::isfinite(value))
      throw config_error("network: constant '" + name + "' = " + detail::number(value) + ", must be finite");
    for (auto& [n, v] : constants_)
      if (n == name) {
        v = value;
        return;
      }
    constants_.emplace_back(name, value);
  }
  /// The constant `name`; config_error if there is none.
  [[nodiscard]] double constant(std::string_view name) const {
    for (const auto& [n, v] : constants_)
      if (n == name) return v;
    throw config_error("network: no constant '" + std::string(name) + "'");
  }
  /// Every constant, in the order they were created.
  [[nodiscard]] const std::vector<std::pair<std::string, double>>& constants() const { return constants_; }

  /// Writes the parameters of every population and projection, and the
  /// constants, to a JSON file (needs <spikeweave/io/parameters.hpp>).
  template <class Io = io::parameter_io>
  void save_parameters(const std::filesystem::path& path) {
    static_assert(requires { Io::save(*this, path); }, "spikeweave: #include <spikeweave/io/parameters.hpp> for save_parameters");
    Io::save(*this, path);
  }
  /// Loads a JSON parameter file, all or nothing, and returns its "network"
  /// dictionary (needs <spikeweave/io/parameters.hpp>).
  template <class Io = io::parameter_io, class Options = load_parameters_options>
  auto load_parameters(const std::filesystem::path& path, const Options& options = {}) {
    static_assert(requires { Io::load(*this, path, options); },
                  "spikeweave: #include <spikeweave/io/parameters.hpp> for load_parameters");
    return Io::load(*this, path, options);
  }
  /// JSON Schema of this network's parameter files (needs <spikeweave/io/parameters.hpp>).
  template <class Io = io::parameter_io>
  auto parameter_schema() {
    static_assert(requires { Io::schema(*this); }, "spikeweave: #include <spikeweave/io/parameters.hpp> for parameter_schema");
    return Io::schema(*this);
  }

  /// Saves the full state to `path` (.npz), atomically; needs
  /// <spikeweave/io/state.hpp> and spikeweave::io.
  template <class Io = io::state_io, class Options = state_options>
  void save(const std::filesystem::path& path, const Options& options = {}) {
    static_assert(requires { Io::save(*this, path.string(), options); },
                  "spikeweave: #include <spikeweave/io/state.hpp> for save");
    Io::save(*this, path.string(), options);
  }
  /// Loads a full state saved by save(): all or nothing (mismatch_error lists
  /// every difference and the network is unchanged); the file's connectivity
  /// replaces the network's.
  /// Returns what was loaded, and (with .strict = false) what was missing or unexpected.
  template <class Io = io::state_io, class Options = state_options>
  auto load(const std::filesystem::path& path, const Options& options = {}) {
    static_assert(requires { Io::load(*this, path.string(), options); },
                  "spikeweave: #include <spikeweave/io/state.hpp> for load");
    return Io::load(*this, path.string(), options);
  }
  /// Saves one population, projection or monitor (ANNarchy's pop.save):
  /// `net.save<"E">("E.npz")` is save with `.only = {"E"}`.
  template <fixed_string Name, class Io = io::state_io, class Options = state_options>
  void save(const std::filesystem::path& path, Options options = {}) {
    static_assert(named<Name>(), "spikeweave: the network has no population, projection or monitor of that name");
    options.only = {std::string(Name.view())};
    if constexpr (monitor_index_of<Name>() < count) options.monitors = true;
    save<Io>(path, options);
  }
  /// Loads one population, projection or monitor from a file saved whole or by save<Name>.
  template <fixed_string Name, class Io = io::state_io, class Options = state_options>
  auto load(const std::filesystem::path& path, Options options = {}) {
    static_assert(named<Name>(), "spikeweave: the network has no population, projection or monitor of that name");
    options.only = {std::string(Name.view())};
    if constexpr (monitor_index_of<Name>() < count) options.monitors = true;
    return load<Io>(path, options);
  }
  /// Sets the clock, the seed and the constants of a loaded state (used by load()).
  void restore_clock(std::uint64_t step, std::uint64_t seed, const std::vector<std::pair<std::string, double>>& constants) {
    step_ = step;
    reseed(seed);
    for (const auto& [name, value] : constants) constant(name, value);
  }
  /// Draws the random numbers of the steps to come from `seed` (noise and
  /// inputs; the connectivity stays): NEST's rng_seed after a restore.
  void reseed(std::uint64_t seed) {
    config_.seed = seed;
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_population_[I]) e.rekey(key(I));
    });
  }

  /// Calls f(pop) for every population, in declaration order.
  template <class F>
  void for_each_population(F&& f) {
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_population_[I]) f(e);
    });
  }

  /// Calls f(pop) for the population named at run time; config_error if there is none.
  template <class F>
  void visit_population(std::string_view name, F&& f) {
    bool found = false;
    for_each_population([&](auto& pop) {
      if (pop.name() == name) {
        found = true;
        f(pop);
      }
    });
    if (!found) {
      std::string known;
      for (auto n : population_names()) known += (known.empty() ? "" : ", ") + std::string(n);
      throw config_error("network: no population '" + std::string(name) + "' (populations: " + known + ")");
    }
  }

  /// Names of the populations, in declaration order.
  static std::vector<std::string_view> population_names() {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < count; ++i)
      if (is_population_[i]) out.push_back(names_[i].view());
    return out;
  }

  /// Number of neurons in all populations.
  [[nodiscard]] std::size_t neuron_count() {
    std::size_t n = 0;
    for_each_population([&](auto& pop) { n += pop.size(); });
    return n;
  }

  /// Advances the network by one step of dt: callbacks due now, state
  /// monitors' samples (values at the start of the step), the populations'
  /// update, spike and rate monitors, projections, inputs.
  void step() {
    in_team([&] { advance(); });
  }

  /// Simulates `duration` ms: ceil(duration / dt) steps, as ANNarchy (a
  /// duration that is not a multiple of dt is rounded up to whole steps).
  /// Returns the wall time in seconds.
  double simulate(double duration, const simulate_options& options = {}) {
    const std::uint64_t steps = steps_of(duration, "simulate");
    run::progress_bar bar(options.progress, steps, config_.dt);
    const auto start = run::clock::now();
    in_team([&] {
      for (std::uint64_t i = 0; i < steps; ++i) {
        advance();
        bar.update(i + 1);
      }
    });
    bar.finish();
    const double wall = run::seconds_since(start);
    if (options.measure_time)
      std::printf("Simulating %s ms took %.6f s.\n", detail::number(static_cast<double>(steps) * config_.dt).c_str(), wall);
    return wall;
  }

  /// Simulates until `condition(net)` holds after a step (checked after
  /// every step), or for at most `max_duration` ms. Returns the time
  /// simulated [ms]. `stop_when<"E">(...)` builds conditions on populations;
  /// `any_of` / `all_of` combine them.
  template <class Condition>
  double simulate_until(double max_duration, Condition&& condition, const simulate_options& options = {}) {
    const std::uint64_t steps = steps_of(max_duration, "simulate_until");
    run::progress_bar bar(options.progress, steps, config_.dt);
    std::uint64_t done = 0;
    in_team([&] {
      while (done < steps) {
        advance();
        bar.update(++done);
        if (condition(*this)) break;
      }
    });
    bar.finish();
    return static_cast<double>(done) * config_.dt;
  }

  /// Back to time 0 (ANNarchy's reset): `.populations` neurons to their
  /// initial values, `.projections` synapse variables and traces to their
  /// initial values, `.synapses` connectivity remade from the rule, `.monitors`
  /// emptied. Spikes in transit are always dropped. With every flag set, a
  /// rerun is bit-identical to the first run.
  void reset(const reset_options& o = {}) {
    if (o.populations) for_each_population([](auto& pop) { pop.reset(); });
    // Connectivity comes from counter-based draws, so remaking it from the
    // rule gives the same synapses: .projections and .synapses both rebuild.
    if (o.projections || o.synapses)
      build_projections();
    else
      for_each_projection([](auto& proj) { proj.clear_spikes_in_transit(); });
    if (o.monitors) for_each_monitor([](auto& m) { m.clear(); });
    step_ = 0;
  }

  /// Switches plasticity on in the named projections (all when none is
  /// named), as ANNarchy's enable_learning; config_error on an unknown name.
  void enable_learning(const std::vector<std::string_view>& projections = {}) { set_learning(projections, true); }
  /// Freezes the synapses' variables of the named projections (all when none
  /// is named); spikes are still delivered. See projection::disable_learning.
  void disable_learning(const std::vector<std::string_view>& projections = {}) { set_learning(projections, false); }

  /// Calls `f(net)` every `period` ms, first at `offset` ms, before the step
  /// of that time; it may read and change the state. Returns its index. The
  /// schedule depends on the step number only, so a resumed run calls it in
  /// the same steps.
  std::size_t every(double period, std::function<void(network&)> f, double offset = 0) {
    if (!(period > 0) || !std::isfinite(period))
      throw config_error("network: every(" + detail::number(period) + " ms): the period must be finite and > 0");
    if (!(offset >= 0) || !std::isfinite(offset))
      throw config_error("network: every(..., offset = " + detail::number(offset) + " ms): the offset must be >= 0");
    const auto p = static_cast<std::uint64_t>(std::max<long long>(1, std::llround(period / config_.dt)));
    const auto o = static_cast<std::uint64_t>(std::llround(offset / config_.dt));
    callbacks_.push_back({p, o, std::move(f)});
    return callbacks_.size() - 1;
  }
  /// Callbacks run (the default).
  void enable_callbacks() { callbacks_enabled_ = true; }
  /// Callbacks do not run until enable_callbacks().
  void disable_callbacks() { callbacks_enabled_ = false; }
  /// Forgets every callback.
  void clear_all_callbacks() { callbacks_.clear(); }

  /// An independent network with the same structure and state, and `seed`:
  /// back to its initial state under the new seed (ANNarchy's copy()). The
  /// copy of a network shared among processes (share()) runs on its own.
  network copy(std::uint64_t seed) const {
    network other = *this;
    other.running_ = false;  // a callback may copy the network it runs in
    if (!other.owned_.empty()) other.share({}, nullptr);  // a copy of a shared network runs on its own
    other.reseed(seed);
    other.reset({.populations = true, .projections = true, .synapses = true, .monitors = true});
    return other;
  }

 private:
  // Steps run inside in_team(): on the team's threads when it has several.
  template <class F>
  void in_team(F&& f) {
    if (running_) return f();  // a callback that steps the network
    running_ = true;
    struct done {
      bool& flag;
      ~done() { flag = false; }
    } guard{running_};
    team_.run(f);
  }

  // One step. Each part of it that touches many neurons or synapses is
  // split into pieces (chunks_ for the update, deliveries_ for what reaches
  // the post-synaptic neurons): pieces of one chunk run one after the
  // other, chunks concurrently. The split never changes a result: a neuron
  // runs the same instructions in any piece, its random numbers are keyed
  // by its index, and a post-synaptic target receives its terms in the
  // serial order (every piece walks every arriving spike, in order, and
  // takes the synapses onto its own neurons).
  void advance() {
    const double t = current_time();
    if (callbacks_enabled_) run_callbacks();
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_monitor_[I]) e.before_update(std::get<watched<I>()>(elements_), step_);
    });

    // 1. The populations' update, and the synapses' and pre traces' own
    //    dynamics (by pre neuron); spikes gathered in ascending order.
    for_each_population([&](auto& pop) { pop.begin_step(config_.dt); });
    team_.for_each(chunks_.size(), [&](std::size_t c) {
      for (auto& p : chunks_[c]) advance_piece(p, t);
    });
    if (owned_.empty()) {
      for (auto& chunk : chunks_)
        for (auto& p : chunk)
          with_population(p.element, [&](auto& pop) { pop.append_spikes(p.spikes); });
    } else {
      exchange_spikes();
    }
    for_each_population([&](auto& pop) { pop.end_step(config_.dt, step_); });
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_monitor_[I]) e.after_update(std::get<watched<I>()>(elements_), step_);
    });

    // 2. Once per projection and input: spikes recorded, arrivals listed.
    //    Projections with per-synapse delays file each spike's delay groups:
    //    when that is worth it, projections do it concurrently (each touches
    //    only its own state, so nothing depends on which thread runs it).
    const bool concurrent_records = team_.threads() > 1 && record_work() >= concurrent_record_work;
    if (concurrent_records)
      team_.for_each_dynamic(count, [&](std::size_t c) {
        for_each_element([&]<std::size_t I>(auto& e) {
          if constexpr (is_projection_[I])
            if (I == c) record(e);
        });
      });
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        if (!concurrent_records) record(e);
      } else if constexpr (detail::input_element<E>) {
        constexpr std::size_t target = index_of<E::population_name>();
        if constexpr (target < count) e.prepare(std::get<target>(elements_), key(I), config_.dt, step_);
      }
    });

    // 3. Deliveries (by post neuron): projections, then inputs, each kind in
    //    declaration order; in one pass over the pieces unless a rate-coded
    //    projection reads what another element adds to.
    if constexpr (deliveries_commute()) {
      team_.for_each(deliveries_.size(), [&](std::size_t c) {
        for (const auto& p : deliveries_[c]) deliver_piece<count>(p);
      });
    } else {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (deliver_each<I, true>(), ...);
        (deliver_each<I, false>(), ...);
      }(std::index_sequence_for<Es...>{});
    }
    ++step_;
  }

  // Step 2 for projection e: records the spikes of its pre population.
  template <class E>
  void record(E& e) {
    constexpr std::size_t pre = index_of<E::pre_name>();
    if constexpr (pre < count && !model::rate_coded<typename E::model_type, Real>)
      e.record(std::get<pre>(elements_).spikes(), step_);
  }
  // About how many delay groups step 2 files in this step (spikes times the delays they wait for).
  [[nodiscard]] std::size_t record_work() {
    std::size_t work = 0;
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        constexpr std::size_t pre = index_of<E::pre_name>();
        if constexpr (pre < count && !model::rate_coded<typename E::model_type, Real>)
          if (!e.uniform_delay()) work += std::get<pre>(elements_).spikes().size() * e.max_delay_steps();
      }
    });
    return work;
  }
  // Below this much filing work, step 2 stays on one thread (starting the threads costs microseconds).
  static constexpr std::size_t concurrent_record_work = 2048;

  // A piece of the neurons of one population: [lo, hi) of its padded range.
  struct range {
    std::size_t element;  // index of the population among the network's elements
    std::size_t lo, hi;
  };
  // A piece of the update, with its spikes. Aligned so that threads
  // appending to their pieces' spikes share no cache line.
  struct alignas(64) piece : range {
    std::vector<std::uint32_t> spikes;  // scratch: the piece's spikes of this step
  };

  template <class F>
  void with_population(std::size_t element, F&& f) {
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_population_[I])
        if (element == I) f(e);
    });
  }

  void advance_piece(piece& p, double t) {
    p.spikes.clear();
    std::size_t size = 0;
    with_population(p.element, [&](auto& pop) {
      pop.advance_range(config_.dt, t, step_, p.lo, p.hi, p.spikes);
      size = pop.size();
    });
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        if constexpr (!model::rate_coded<typename E::model_type, Real> && E::has_pre_work) {
          constexpr std::size_t pre = index_of<E::pre_name>();
          if (p.element == pre) e.advance_pre(std::min(p.lo, size), std::min(p.hi, size));
        }
      }
    });
  }

  // Shared among processes (share()): the spikes of this process's neurons
  // go to the exchange and come back as those of all; then the pre-synaptic
  // work (pre traces, continuous updates) of the neurons other processes own.
  void exchange_spikes() {
    fired_.resize(population_count);
    for (auto& f : fired_) f.clear();
    for (auto& chunk : chunks_)
      for (auto& p : chunk) {
        auto& f = fired_[population_ordinal_[p.element]];
        f.insert(f.end(), p.spikes.begin(), p.spikes.end());
      }
    exchange_(fired_);
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_population_[I]) e.append_spikes(fired_[population_ordinal_[I]]);
    });
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        if constexpr (!model::rate_coded<typename E::model_type, Real> && E::has_pre_work) {
          constexpr std::size_t pre = index_of<E::pre_name>();
          const std::size_t size = std::get<pre>(elements_).size();
          const auto [lo, hi] = owned_[population_ordinal_[pre]];
          e.advance_pre(0, lo);
          e.advance_pre(hi, size);
        }
      }
    });
  }

  // The neurons [first, last) of population element I this process updates,
  // padded to whole batches where the range ends at the population's end.
  template <std::size_t I>
  std::pair<std::size_t, std::size_t> own(const auto& pop) const {
    if (owned_.empty()) return {0, pop.padded_size()};
    const auto [lo, hi] = owned_[population_ordinal_[I]];
    return {lo, hi == pop.size() ? pop.padded_size() : hi};
  }

  static constexpr std::size_t population_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count; ++i) n += is_population_[i] ? 1 : 0;
    return n;
  }();
  static constexpr std::array<std::size_t, count> population_ordinal_ = [] {
    std::array<std::size_t, count> out{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < count; ++i) out[i] = is_population_[i] ? n++ : count;
    return out;
  }();

  // The deliveries of element Only (count: of every element) to a piece.
  template <std::size_t Only>
  void deliver_piece(const range& p) {
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I] && (Only == count || Only == I)) {
        constexpr std::size_t pre = index_of<E::pre_name>(), post = index_of<E::post_name>();
        if constexpr (pre < count && post < count) {
          if (p.element != post) return;
          auto& to = std::get<post>(elements_);
          const std::size_t hi = std::min(p.hi, to.size()), lo = std::min(p.lo, hi);
          Real* const target = to.template var<E::target_name>().data();
          if constexpr (model::rate_coded<typename E::model_type, Real>)
            e.transmit(std::get<pre>(elements_).template var<E::model_type::source>(), target, lo, hi);
          else
            e.deliver(lo, hi, to.spikes(), target);
        }
      }
    });
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (detail::input_element<E> && (Only == count || Only == I)) {
        constexpr std::size_t target = index_of<E::population_name>();
        if constexpr (target < count) {
          if (p.element != target) return;
          auto& to = std::get<target>(elements_);
          const std::size_t hi = std::min(p.hi, to.size()), lo = std::min(p.lo, hi);
          e.deliver(to, key(I), config_.dt, step_, lo, hi);
        }
      }
    });
  }

  // Element I's deliveries on their own (projections first, then inputs).
  // A rate-coded projection onto the very variable it transmits reads what
  // it writes in the same pass: it runs whole, on one thread.
  template <std::size_t I, bool Projections>
  void deliver_each() {
    using E = std::tuple_element_t<I, std::tuple<Es...>>;
    if constexpr (Projections ? detail::projection_element<E> : detail::input_element<E>) {
      if constexpr (feeds_itself<E>()) {
        constexpr std::size_t post = index_of<E::post_name>();
        deliver_piece<I>(range{post, 0, std::get<post>(elements_).size()});
      } else {
        team_.for_each(deliveries_.size(), [&](std::size_t c) {
          for (const auto& p : deliveries_[c]) deliver_piece<I>(p);
        });
      }
    }
  }

  template <class E>
  static constexpr bool feeds_itself() {
    if constexpr (detail::projection_element<E>) {
      if constexpr (model::rate_coded<typename E::model_type, double>)
        return E::pre_name == E::post_name && E::model_type::source == E::target_name;
    }
    return false;
  }

  // True unless a rate-coded projection reads a variable that a projection
  // or an input adds to: then each element delivers in a pass of its own.
  static constexpr bool deliveries_commute() {
    std::array<std::size_t, count> add_pop{}, read_pop{};
    std::array<std::string_view, count> add_var{}, read_var{};
    std::size_t i = 0;
    auto one = [&]<class E>() {
      add_pop[i] = read_pop[i] = count;
      if constexpr (detail::projection_element<E>) {
        add_pop[i] = index_of<E::post_name>();
        add_var[i] = E::target_name.view();
        if constexpr (model::rate_coded<typename E::model_type, double>) {
          read_pop[i] = index_of<E::pre_name>();
          read_var[i] = E::model_type::source.view();
        }
      } else if constexpr (detail::input_element<E>) {
        add_pop[i] = index_of<E::population_name>();
        add_var[i] = E::target_name.view();
      }
      ++i;
    };
    (one.template operator()<Es>(), ...);
    for (std::size_t r = 0; r < count; ++r)
      for (std::size_t w = 0; w < count; ++w)
        if (read_pop[r] < count && add_pop[w] == read_pop[r] && add_var[w] == read_var[r]) return false;
    return true;
  }

  // Cuts the work of a step into one chunk per thread; one chunk for one
  // thread, or when the estimated work of a step would give a chunk less
  // than min_chunk_ns (a parallel part costs about a microsecond to start
  // and end). The update: the neurons of all populations, end to end, in
  // chunks of about equal size. The deliveries: in chunks of about equal
  // estimated work (plan_deliveries). Pieces start at multiples of 64
  // neurons, so no two threads write one cache line.
  void plan_pieces() {
    std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> pops;  // element, first, end (padded)
    std::size_t total = 0;
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_population_[I]) {
        const auto [first, last] = own<I>(e);
        pops.emplace_back(I, first, last);
        total += last - first;
      }
    });
    const auto work = delivery_work();
    double estimate = static_cast<double>(total) * update_ns;
    for (const auto& w : work) estimate += w.fixed + w.per_neuron * static_cast<double>(w.last - w.first);
    const auto worth = static_cast<std::size_t>(estimate / min_chunk_ns);
    const std::size_t n = std::max<std::size_t>(1, std::min({team_.threads(), worth, std::size_t{4096}}));
    chunks_.assign(n, {});
    std::size_t offset = 0;
    for (const auto& [element, first, last] : pops) {
      const std::size_t size = last - first;
      std::size_t lo = 0;
      for (std::size_t c = 0; c < n; ++c) {
        std::size_t hi = size;
        if (c + 1 < n) {
          const std::size_t cut = total * (c + 1) / n;  // where chunk c ends, counted over all populations
          hi = cut <= offset ? 0 : std::min(size, (cut - offset) / align * align);
          hi = std::max(hi, lo);
        }
        if (hi > lo) chunks_[c].push_back({{element, first + lo, first + hi}, {}});
        lo = hi;
      }
      offset += size;
    }
    plan_deliveries(n, work);
    // Each projection learns where its post population is cut.
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        constexpr std::size_t post = index_of<E::post_name>();
        if constexpr (post < count) {
          std::vector<std::size_t> cuts;
          for (const auto& chunk : deliveries_)
            for (const auto& p : chunk)
              if (p.element == post && p.lo > 0) cuts.push_back(p.lo);
          if (!owned_.empty()) {  // where this process's part ends (it starts at a piece)
            const auto [lo, hi] = owned_[population_ordinal_[post]];
            if (lo > 0) cuts.push_back(lo);
            if (hi < std::get<post>(elements_).size()) cuts.push_back(hi);
            std::sort(cuts.begin(), cuts.end());
            cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
          }
          e.set_cuts(std::move(cuts));
        }
      }
    });
  }

  struct work {
    std::size_t element, size;
    double fixed = 0, per_neuron = 0;  // [ns per step]
    std::size_t first = 0, last = 0;  // the neurons this process delivers to
  };
  // The estimated work of the deliveries to each population: every arriving
  // spike costs each chunk that takes any synapse of its projection a visit
  // to its row, a cache miss that costs about as much as delivering 60
  // synapses (measured on COBA, N = 64000); so a chunk's work is, for each
  // population it touches, a fixed part (the rows of every projection onto
  // it) and a part per neuron (its synapses, and the inputs' draws). Assumes
  // pre-synaptic rates of 10 Hz; it decides only the speed, never a result.
  std::vector<work> delivery_work() {
    constexpr double row_ns = 60, synapse_ns = 1, input_ns = 3, assumed_rate = 10;  // [ns], [ns], [ns], [Hz]
    const double fire = assumed_rate * config_.dt * 1e-3;
    std::vector<work> pops;
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_population_[I]) {
        const auto [lo, hi] = owned_.empty() ? std::pair<std::size_t, std::size_t>{0, e.size()}
                                             : owned_[population_ordinal_[I]];
        pops.push_back({I, e.size(), 0, 0, lo, hi});
      }
    });
    auto of = [&](std::size_t element) -> work& {
      return *std::find_if(pops.begin(), pops.end(), [&](const work& w) { return w.element == element; });
    };
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        constexpr std::size_t post = index_of<E::post_name>();
        if constexpr (post < count) {
          work& w = of(post);
          const double visits = static_cast<double>(e.row_ptr().size() - 1) *
                                (model::rate_coded<typename E::model_type, Real> ? 1.0 : fire);
          w.fixed += visits * row_ns;
          if (w.size > 0)
            w.per_neuron += static_cast<double>(e.size()) / static_cast<double>(w.size) * synapse_ns *
                            (model::rate_coded<typename E::model_type, Real> ? 1.0 : fire);
        }
      } else if constexpr (detail::input_element<E>) {
        constexpr std::size_t target = index_of<E::population_name>();
        if constexpr (target < count) of(target).per_neuron += input_ns;
      }
    });
    return pops;
  }

  // Cuts the deliveries into n chunks with the least maximum estimated work
  // (bisection on it); chunks thus take whole populations where that balances.
  void plan_deliveries(std::size_t n, const std::vector<work>& pops) {
    // Chunks needed when none may exceed `most`; `keep`: record the pieces.
    auto fill = [&](double most, bool keep) {
      std::size_t chunk = 0;
      double load = 0;
      bool open = false;
      for (const work& w : pops) {
        std::size_t at = w.first;
        while (at < w.last) {
          const double rest = w.fixed + w.per_neuron * static_cast<double>(w.last - at);
          std::size_t take = w.last - at;
          if (load + rest > most) {
            const double room = most - load - w.fixed;
            take = room > 0 && w.per_neuron > 0
                       ? std::min(take, static_cast<std::size_t>(room / w.per_neuron) / align * align)
                       : 0;
          }
          if (take > 0) {
            if (keep) deliveries_[std::min(chunk, n - 1)].push_back({w.element, at, at + take});
            load += w.fixed + w.per_neuron * static_cast<double>(take);
            at += take;
            open = true;
          }
          if (at < w.last) {
            if (!open) return std::numeric_limits<std::size_t>::max();  // not even 64 neurons fit
            ++chunk;
            load = 0;
            open = false;
          }
        }
      }
      return chunk + (open ? 1 : 0);
    };
    double total = 0;
    for (const work& w : pops) total += w.fixed + w.per_neuron * static_cast<double>(w.last - w.first);
    double low = 0, high = total * (1 + 1e-9) + 1;
    for (int k = 0; k < 60 && n > 1; ++k) {
      const double mid = (low + high) / 2;
      (fill(mid, false) <= n ? high : low) = mid;
    }
    deliveries_.assign(n, {});
    fill(high, true);
  }

  // Least estimated work per step worth a chunk of its own, and the update's
  // cost per neuron in that estimate (measured: benchmarks/threads.cpp).
  static constexpr double min_chunk_ns = 4000, update_ns = 1;
  static constexpr std::size_t align = 64;

  void set_learning(const std::vector<std::string_view>& names, bool on) {
    for (auto name : names) {
      bool known = false;
      for_each_projection([&](auto& proj) { known = known || proj.name() == name; });
      if (!known)
        throw config_error("network: " + std::string(on ? "enable" : "disable") + "_learning: no projection '" +
                           std::string(name) + "'");
    }
    for_each_projection([&](auto& proj) {
      if (names.empty() || std::find(names.begin(), names.end(), proj.name()) != names.end())
        on ? proj.enable_learning() : proj.disable_learning();
    });
  }

  // Population index watched by the monitor at element I.
  template <std::size_t I>
  static constexpr std::size_t watched() {
    using M = std::tuple_element_t<I, std::tuple<Es...>>;
    constexpr std::size_t pop = index_of<M::population_name>();
    static_assert(pop < count, "spikeweave: a monitor names a population that is not in the network");
    return pop < count ? pop : 0;
  }

  void attach_monitors() {
    for_each_element([&]<std::size_t I>(auto& e) {
      if constexpr (is_monitor_[I]) e.attach(std::get<watched<I>()>(elements_), config_.dt);
    });
  }

  std::uint64_t steps_of(double duration, const char* what) const {
    if (!(duration >= 0) || !std::isfinite(duration))
      throw config_error("network: " + std::string(what) + "(" + detail::number(duration) +
                         " ms): the duration must be finite and >= 0");
    // ANNarchy's ceil(duration / dt), less 1e-6 step so that rounding in the
    // division (1.1 / 0.1 = 11.000000000000002) does not add a step.
    return static_cast<std::uint64_t>(std::ceil(duration / config_.dt - 1e-6));
  }

  void run_callbacks() {
    for (std::size_t c = 0; c < callbacks_.size(); ++c) {
      const auto& cb = callbacks_[c];
      if (step_ >= cb.offset && (step_ - cb.offset) % cb.period == 0) cb.f(*this);
    }
  }

  struct callback {
    std::uint64_t period, offset;
    std::function<void(network&)> f;
  };

  static network_config validated(network_config c) {
    if (!(c.dt > 0) || !std::isfinite(c.dt))
      throw config_error("network: dt = " + detail::number(c.dt) + " ms, must be finite and > 0");
    if (!kernel::threads_available && c.threads > 1)
      throw config_error("network: threads = " + std::to_string(c.threads) +
                         ", but this program runs serially: link spikeweave::tbb for threads "
                         "(0 and 1 run serially without it)");
    return c;
  }

  [[nodiscard]] random::key key(std::size_t element) const {
    return {config_.seed, static_cast<std::uint32_t>(element)};
  }

  template <class Tuple, std::size_t... I>
  storage make(Tuple&& given, std::index_sequence<I...>) {
    return storage{make_one<I>(std::get<I>(given))...};
  }
  template <std::size_t I, class E>
  std::tuple_element_t<I, storage> make_one(const E& e) {
    if constexpr (detail::population_element<E>)
      return std::tuple_element_t<I, storage>(e, key(I));
    else if constexpr (detail::projection_element<E>)
      return std::tuple_element_t<I, storage>(e);
    else
      return e;
  }

  // Makes (or remakes, from the rule and initial values) every projection's synapses.
  void build_projections() {
    for_each_element([&]<std::size_t I>(auto& e) {
      using E = std::remove_cvref_t<decltype(e)>;
      if constexpr (is_projection_[I]) {
        constexpr std::size_t pre = index_of<E::pre_name>(), post = index_of<E::post_name>();
        static_assert(pre < count, "spikeweave: a projection names a pre-synaptic population that is not in the network");
        static_assert(post < count, "spikeweave: a projection names a post-synaptic population that is not in the network");
        if constexpr (pre < count && post < count) {
          using post_type = std::tuple_element_t<post, storage>;
          static_assert(reflect::has_field<typename post_type::columns_type>(E::target_name.view()),
                        "spikeweave: a projection targets a variable the post-synaptic model does not have");
          e.build(std::get<pre>(elements_).size(), std::get<post>(elements_).size(), pre == post, key(I), config_.dt,
                  team_);
        }
      }
    });
  }

  template <std::size_t... I>
  void check_inputs(std::index_sequence<I...>) {
    (check_input<I>(), ...);
  }
  template <std::size_t I>
  void check_input() {
    using E = std::tuple_element_t<I, std::tuple<Es...>>;
    if constexpr (detail::input_element<E>) {
      constexpr std::size_t target = index_of<E::population_name>();
      static_assert(target < count, "spikeweave: an input names a population that is not in the network");
      if constexpr (target < count) {
        static_assert(E::template targets_a_variable_of<std::tuple_element_t<target, storage>>(),
                      "spikeweave: poisson_input targets a variable the population's model does not have");
        std::get<I>(elements_).validate();
      }
    }
  }

  template <class F>
  void for_each_element(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f.template operator()<I>(std::get<I>(elements_)), ...);
    }(std::index_sequence_for<Es...>{});
  }

  network_config config_;
  storage elements_;
  kernel::team team_;
  std::vector<std::vector<piece>> chunks_;      // the update: chunk c's pieces run in a row
  std::vector<std::vector<range>> deliveries_;  // the deliveries, likewise
  bool running_ = false;                    // inside in_team()
  std::vector<std::pair<std::size_t, std::size_t>> owned_;  // see share(); empty: every neuron
  std::function<void(std::vector<std::vector<std::uint32_t>>&)> exchange_;
  std::vector<std::vector<std::uint32_t>> fired_;  // scratch of exchange_spikes
  std::uint64_t step_ = 0;
  std::vector<std::pair<std::string, double>> constants_;
  std::vector<callback> callbacks_;
  bool callbacks_enabled_ = true;
};

template <class... Es>
network(network_config, Es...) -> network<double, Es...>;
template <class Real, class... Es>
network(precision_t<Real>, network_config, Es...) -> network<Real, Es...>;

}  // namespace spikeweave
