// Projection<Synapse>: the synapses from one population onto a variable of another, with delays.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../error.hpp"
#include "../model/fixed_string.hpp"
#include "../model/reflect.hpp"
#include "../model/synapse.hpp"
#include "connect.hpp"
#include "initial.hpp"
#include "memory.hpp"
#include "serial_team.hpp"

namespace spikeweave {

/// Marks the network elements that are projections.
struct projection_tag {};

/// The synapses of a projection of model `Synapse` in precision `Real`: the
/// storage and every loop, shared by all projections of one model and
/// precision whatever their names and populations (a network with 64
/// static-synapse projections compiles this code once, not 64 times).
/// `projection<...>` below adds the names; use that.
///
/// Storage is compressed sparse rows by pre-synaptic neuron: a row pointer
/// per pre neuron, then per synapse the post index (4 bytes), one column per
/// synapse variable, and a delay (2 bytes) only when delays differ between
/// synapses. A spike of neuron i in step n reaches its synapse with delay d
/// (in steps, at least 1) in step n + d: `on_pre` runs and its result is
/// added to the target, which the post-synaptic neuron sees in its update of
/// step n + d + 1 (Brian2's order).
template <class Synapse, class Real>
class projection_core {
  static_assert(check_synapse_model<Synapse>());

 public:
  using model_type = Synapse;
  using real_type = Real;
  using parameters_type = model::parameters_t<Synapse>;
  template <class T>
  using variables_type = model::variables_t<Synapse, T>;
  using initial_values = variables_type<initial_value>;
  using columns_type = variables_type<std::vector<Real>>;
  /// Per pre-synaptic neuron traces, one column each (no_trace if the model has none).
  using pre_trace_columns = model::pre_trace_t<Synapse, std::vector<Real>>;
  /// Per post-synaptic neuron traces, one column each.
  using post_trace_columns = model::post_trace_t<Synapse, std::vector<Real>>;
  using delay_type = std::uint16_t;

  /// Shared parameters.
  [[nodiscard]] const parameters_type& parameters() const { return params_; }
  /// Replaces the parameters after checking them.
  void set_parameters(const parameters_type& p) {
    validate(p);
    params_ = p;
  }
  /// Throws config_error, naming the projection, when `p` breaks the model's rules.
  void validate(const parameters_type& p) const { validate(p, where()); }
  static void validate(const parameters_type& p, const std::string& where) {
    rules r(p);
    reflect::for_each_field(p, [&](std::string_view, const auto& value) {
      if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(value)>>)
        r.require(std::isfinite(value), r.name(&value) + " = " + detail::number(value) + ", must be finite");
    });
    if constexpr (requires { Synapse::check(p, r); }) Synapse::check(p, r);
    if (!r.violations().empty()) {
      std::string msg = where + ": ";
      for (std::size_t i = 0; i < r.violations().size(); ++i) msg += (i ? "; " : "") + r.violations()[i];
      throw config_error(msg);
    }
  }

  /// Number of synapses.
  [[nodiscard]] std::size_t size() const { return post_.size(); }
  /// Synapse variables, one column each (e.g. `columns().w`), in storage order.
  columns_type& columns() { return columns_; }
  const columns_type& columns() const { return columns_; }
  /// Row pointers: the synapses of pre neuron i are [row_ptr()[i], row_ptr()[i+1]).
  [[nodiscard]] std::span<const std::uint64_t> row_ptr() const { return row_ptr_; }
  /// Post-synaptic neuron of each synapse.
  [[nodiscard]] std::span<const std::uint32_t> post() const { return post_; }
  /// Pre-synaptic neuron of each synapse (computed).
  [[nodiscard]] std::vector<std::uint32_t> pre() const {
    std::vector<std::uint32_t> out = detail::large_vector<std::uint32_t>(size());
    for (std::size_t i = 0; i + 1 < row_ptr_.size(); ++i)
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(row_ptr_[i]),
                out.begin() + static_cast<std::ptrdiff_t>(row_ptr_[i + 1]), static_cast<std::uint32_t>(i));
    return out;
  }
  /// Delay of synapse k in steps.
  [[nodiscard]] std::size_t delay_steps(std::size_t k) const { return delays_.empty() ? uniform_delay_ : delays_[k]; }
  /// True when every synapse has the same delay.
  [[nodiscard]] bool uniform_delay() const { return delays_.empty(); }
  /// Longest delay in steps.
  [[nodiscard]] std::size_t max_delay_steps() const { return ring_.size() - 1; }
  /// Bytes stored per synapse: post index, variables, delays, the step of
  /// event-driven variables (row pointers, one per pre neuron, are in bytes()).
  [[nodiscard]] std::size_t synapse_bytes() const {
    return post_.size() * sizeof(std::uint32_t) + size() * reflect::field_count<columns_type> * sizeof(Real) +
           delays_.size() * sizeof(delay_type) + synapse_stamp_.size() * sizeof(std::uint32_t);
  }
  /// Bytes of all synapse storage, row pointers included.
  [[nodiscard]] std::size_t bytes() const { return synapse_bytes() + row_ptr_.size() * sizeof(std::uint64_t); }
  /// Traces of the pre-synaptic neurons, e.g. `pre_traces().x[i]`.
  pre_trace_columns& pre_traces() { return pre_traces_; }
  const pre_trace_columns& pre_traces() const { return pre_traces_; }
  /// Traces of the post-synaptic neurons.
  post_trace_columns& post_traces() { return post_traces_; }
  const post_trace_columns& post_traces() const { return post_traces_; }

  /// Spikes in transit: ring()[s % ring().size()] holds the pre neurons that fired in step s.
  [[nodiscard]] const std::vector<std::vector<std::uint32_t>>& ring() const { return ring_; }

  /// Makes the synapses (called by the network): pre and post population
  /// sizes, whether they are one population, the generator key and dt.
  void build(std::size_t n_pre, std::size_t n_post, bool same, random::key key, double dt) {
    kernel::serial_team serial;
    build(n_pre, n_post, same, key, dt, serial);
  }
  /// The same on the threads of `team` (a kernel::serial_team or tbb_team),
  /// where the rule draws its synapses in parallel (fixed_total_number); the
  /// synapses do not depend on the team.
  template <class Team>
  void build(std::size_t n_pre, std::size_t n_post, bool same, random::key key, double dt, Team& team) {
    if (const auto* total = std::get_if<fixed_total_number>(&rule_)) {
      build_total_number(*total, n_pre, n_post, same, key, dt, team);
      return;
    }
    synapse_list list = connect(rule_, n_pre, n_post, same, {key.seed, key.stream | 0x40000u}, where());
    const std::size_t n = list.size();
    // Delays, in steps: from the rule, or from the delay spec.
    std::vector<std::size_t> steps(n, 1);
    auto to_steps = [&](double ms, std::size_t k) {
      if (!(ms >= 0) || !std::isfinite(ms))
        throw config_error(where() + ": delay of synapse " + std::to_string(k) + " = " + detail::number(ms) +
                           " ms, must be finite and >= 0");
      // Rounded to the nearest step, as Brian2 does; at least one step.
      const double s = std::max(1.0, std::round(ms / dt));
      if (s > std::numeric_limits<delay_type>::max())
        throw config_error(where() + ": delay = " + detail::number(ms) + " ms is more than 65535 steps");
      return static_cast<std::size_t>(s);
    };
    const std::vector<std::uint32_t> pre = pre_of(list.row_ptr, n);
    const random::key init_key{key.seed, key.stream | 0x80000u};
    for (std::size_t k = 0; k < n; ++k) {
      const double ms = !list.delays.empty() ? list.delays[k]
                        : delay_spec_.how == initial_value::kind::model_default
                            ? dt
                            : value_of(delay_spec_, k, pre[k], list.post[k], init_key, 0xFFFF, "delay");
      steps[k] = to_steps(ms, k);
    }
    if (delay_spec_.how == initial_value::kind::array && list.delays.empty() && delay_spec_.values.size() != n)
      throw config_error(where() + ": " + std::to_string(delay_spec_.values.size()) + " delays for " +
                         std::to_string(n) + " synapses");
    const bool uniform = n == 0 || std::all_of(steps.begin(), steps.end(), [&](auto s) { return s == steps[0]; });

    // Synapse variables: weights from the rule, the rest from the initial values.
    columns_type cols;
    const auto defaults = model_defaults();
    std::uint32_t field = 0;
    reflect::for_each_field_of(
        [&](std::string_view var, std::vector<Real>& c, const initial_value& init, const double& fallback) {
          c.resize(n);
          if (init.how == initial_value::kind::array && init.values.size() != n)
            throw config_error(where() + ": initial value of '" + std::string(var) + "' has " +
                               std::to_string(init.values.size()) + " values for " + std::to_string(n) + " synapses");
          const bool from_rule = var == "w" && !list.weights.empty();
          for (std::size_t k = 0; k < n; ++k)
            c[k] = static_cast<Real>(from_rule ? list.weights[k]
                                               : init.how == initial_value::kind::model_default
                                                     ? fallback
                                                     : value_of(init, k, pre[k], list.post[k], init_key, field, var));
          ++field;
        },
        cols, initial_, defaults);

    // Pre traces change when a spike arrives, which must be one moment per
    // pre neuron: one delay for all synapses.
    if constexpr (model::has_pre_trace<Synapse>)
      if (!uniform)
        throw config_error(where() + ": the synapse model keeps traces per pre-synaptic neuron, "
                           "which needs one delay for all synapses");
    adopt(std::move(list.row_ptr), std::move(list.post), cols, std::span<const std::size_t>(steps));
    dt_ = dt;
    reflect::for_each_field(pre_traces_, [&](auto, std::vector<Real>& c) { c.assign(n_pre, Real(0)); });
    reflect::for_each_field(post_traces_, [&](auto, std::vector<Real>& c) { c.assign(n_post, Real(0)); });
    n_post_ = n_post;
    index_by_post(n_post, team);
  }

  /// Plasticity on or off (ANNarchy's enable_learning / disable_learning).
  /// Off: the synapses' variables are frozen (no continuous update, on_post
  /// is not called, what on_pre changes is dropped; event-driven variables
  /// stop their clock, so that they resume where they stopped, exactly as a
  /// continuous update would) while spikes are still delivered with what
  /// on_pre returns and the per-neuron traces go on, so learning can be
  /// switched back on at any step. Saved with the state.
  void enable_learning() { learning_ = true; }
  void disable_learning() { learning_ = false; }
  [[nodiscard]] bool learning() const { return learning_; }

  /// Spikes in transit after `now` steps: (emission step, pre neuron) of
  /// every spike some synapse has still to receive, oldest first.
  [[nodiscard]] std::vector<std::pair<std::uint64_t, std::uint32_t>> spikes_in_transit(std::uint64_t now) const {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
    const std::uint64_t span = ring_.size() - 1;
    for (std::uint64_t s = now > span ? now - span : 0; s < now; ++s)
      for (auto i : ring_[s % ring_.size()]) out.emplace_back(s, i);
    return out;
  }

  /// True when the synapse variables are event-driven (the model has
  /// `advance`): each synapse then keeps 4 more bytes, the learning step up
  /// to which its variables are brought; they are advanced at its events.
  static constexpr bool event_driven = model::has_advance<Synapse, Real>;
  /// True when the pre traces are event-driven (`advance_pre`).
  static constexpr bool event_driven_pre = model::has_advance_pre<Synapse, Real>;
  /// True when the post traces are event-driven (`advance_post`).
  static constexpr bool event_driven_post = model::has_advance_post<Synapse, Real>;

  /// How far event-driven state lags behind the current step: columns(),
  /// pre_traces() and post_traces() hold it as of each synapse's or neuron's
  /// latest event, and it is advanced over the lag at the next one. Part of
  /// the saved state.
  struct event_ages {
    /// Per synapse (event-driven variables), in storage order: steps run with
    /// learning on since its variables were brought up to date.
    std::vector<std::uint32_t> synapses;
    /// Per pre / post neuron (event-driven traces): steps since its traces were.
    std::vector<std::uint64_t> pre, post;
    /// Steps run with learning on since the synapses were made: the clock of
    /// the synapses' ages (every 2^31 of them, variables older than 2^31
    /// steps are brought up to date, so that an age fits in 32 bits). State
    /// only for event-driven variables (restore() ignores it otherwise).
    std::uint64_t learning_steps = 0;
  };
  /// The ages of the event-driven state (empty vectors for what is not event-driven).
  [[nodiscard]] event_ages ages() const {
    event_ages out;
    out.learning_steps = learning_steps_;
    if constexpr (event_driven) {
      out.synapses = detail::large_vector<std::uint32_t>(size());
      const auto now = static_cast<std::uint32_t>(learning_steps_);
      for (std::size_t k = 0; k < size(); ++k) out.synapses[k] = now - synapse_stamp_[k];
    }
    out.pre = ages_of(pre_stamp_);
    out.post = ages_of(post_stamp_);
    return out;
  }
  /// The synapse variables as of the current step (a copy; differs from
  /// columns() only for event-driven variables).
  [[nodiscard]] columns_type current_columns() const {
    columns_type out = columns_;
    if constexpr (event_driven)
      for (std::size_t k = 0; k < size(); ++k)
        reflect::for_each_field_of([&](auto, const Real& x, std::vector<Real>& c) { c[k] = x; }, synapse_now(k), out);
    return out;
  }
  /// The pre traces as of the current step (a copy; differs from
  /// pre_traces() only for event-driven traces).
  [[nodiscard]] pre_trace_columns current_pre_traces() const {
    pre_trace_columns out = pre_traces_;
    if constexpr (event_driven_pre)
      for (std::size_t i = 0; i < pre_stamp_.size(); ++i) save(out, i, pre_trace_now(i));
    return out;
  }
  /// The post traces as of the current step (a copy).
  [[nodiscard]] post_trace_columns current_post_traces() const {
    post_trace_columns out = post_traces_;
    if constexpr (event_driven_post)
      for (std::size_t j = 0; j < post_stamp_.size(); ++j) save(out, j, post_trace_at(j));
    return out;
  }

  /// Replaces synapses and state with checked values read from a file.
  /// `delays` has one value per synapse, in steps; `now` is the current step.
  /// `team` (a kernel::serial_team or tbb_team: threads() and for_each)
  /// builds the post -> pre index on its threads. `ages`: those of the
  /// event-driven state, one per synapse and neuron (as ages() gives them);
  /// without, event-driven variables and traces are taken as up to date.
  template <class Team>
    requires requires(Team& t) { t.threads(); }
  void restore(std::vector<std::uint64_t> row_ptr, std::vector<std::uint32_t> post, columns_type cols,
               const std::vector<delay_type>& delays, const std::vector<std::pair<std::uint64_t, std::uint32_t>>& transit,
               std::uint64_t now, pre_trace_columns pre_traces, post_trace_columns post_traces, std::size_t n_post,
               Team& team, std::optional<event_ages> ages = std::nullopt) {
    const std::size_t n = post.size(), n_pre = row_ptr.size() - 1;
    if (ages && ((event_driven && ages->synapses.size() != n) || (event_driven_pre && ages->pre.size() != n_pre) ||
                 (event_driven_post && ages->post.size() != n_post)))
      throw internal_error(where() + ": restore: the event ages do not match the synapses and neurons");
    std::vector<std::uint64_t> pre_ages, post_ages;
    std::vector<std::uint32_t> synapse_ages;
    if (ages) {
      pre_ages = std::move(ages->pre);
      post_ages = std::move(ages->post);
      synapse_ages = std::move(ages->synapses);
    }
    adopt(std::move(row_ptr), std::move(post), cols, std::span<const delay_type>(delays),
          synapse_ages.empty() ? nullptr : &synapse_ages);
    const std::size_t max_delay = ring_.size() - 1;
    for (const auto& [step, i] : transit)
      if (step + max_delay >= now) ring_[step % ring_.size()].push_back(i);
    schedule_ready_ = false;
    pre_traces_ = std::move(pre_traces);
    post_traces_ = std::move(post_traces);
    n_post_ = n_post;
    index_by_post(n_post, team);  // every synapse and trace up to date (start_clocks)
    if (ages && event_driven) learning_steps_ = ages->learning_steps;
    const auto learned = static_cast<std::uint32_t>(learning_steps_);
    // An age that would pass 2^32 before the next refresh (never in a network's own files) is brought up to date now.
    const std::uint64_t to_refresh = refresh_period - learning_steps_ % refresh_period;
    for (std::size_t k = 0; k < synapse_ages.size(); ++k) {
      synapse_stamp_[k] = learned - synapse_ages[k];
      if (synapse_ages[k] + to_refresh > std::numeric_limits<std::uint32_t>::max()) keep(k, synapse_now(k));
    }
    for (std::size_t i = 0; i < pre_ages.size(); ++i) pre_stamp_[i] = steps_ - pre_ages[i];
    for (std::size_t j = 0; j < post_ages.size(); ++j) post_stamp_[j] = steps_ - post_ages[j];
  }
  /// The same on the calling thread.
  void restore(std::vector<std::uint64_t> row_ptr, std::vector<std::uint32_t> post, columns_type cols,
               const std::vector<delay_type>& delays, const std::vector<std::pair<std::uint64_t, std::uint32_t>>& transit,
               std::uint64_t now, pre_trace_columns pre_traces, post_trace_columns post_traces, std::size_t n_post,
               std::optional<event_ages> ages = std::nullopt) {
    kernel::serial_team serial;
    restore(std::move(row_ptr), std::move(post), std::move(cols), delays, transit, now, std::move(pre_traces),
            std::move(post_traces), n_post, serial, std::move(ages));
  }

  /// Delay of every synapse in steps, in storage order.
  [[nodiscard]] std::vector<delay_type> delays() const {
    if (!delays_.empty()) return delays_;
    std::vector<delay_type> out = detail::large_vector<delay_type>(size());
    std::fill(out.begin(), out.end(), static_cast<delay_type>(uniform_delay_));
    return out;
  }

  /// Forgets the spikes in transit.
  void clear_spikes_in_transit() {
    for (auto& slot : ring_) slot.clear();
    schedule_ready_ = false;
  }

  /// Step n, after the neurons' update: records the spikes `pre_fired` of
  /// the pre population; runs the synapses' continuous update; decays the
  /// traces; delivers every spike whose delay ends now to `target` (on a
  /// spike's arrival: the pre trace's on_pre_spike, then on_pre of each of its
  /// synapses); then, for each post neuron in `post_fired`, on_post_spike and
  /// on_post of each synapse onto it. Fixed order: oldest emission first, then
  /// ascending pre index, then storage order; post neurons ascending.
  /// Event-driven variables and traces are advanced to the step just before
  /// a hook sees them (and not at all in steps without an event).
  ///
  /// The same in three parts, as a network split among threads runs it:
  /// advance_pre(0, n_pre), record(pre_fired, n), deliver(0, n_post, ...).
  template <class TargetColumn>
  void propagate(std::span<const std::uint32_t> pre_fired, std::span<const std::uint32_t> post_fired,
                 TargetColumn& target, std::uint64_t n) {
    advance_pre(0, row_ptr_.size() - 1);
    record(pre_fired, n);
    deliver(0, n_post_, post_fired, target.data());
  }

  /// True when advance_pre has anything to do (a continuous update or pre traces that decay).
  static constexpr bool has_pre_work =
      model::has_continuous_update<Synapse, Real> ||
      requires(model::pre_trace_t<Synapse, Real>& a, const parameters_type& p) { Synapse::update_pre(a, p, 0.0); };

  /// Part 1 of propagate, for pre neurons [lo, hi) (pieces in any order or
  /// at once): the continuous update of their synapses, the decay of their traces.
  void advance_pre(std::size_t lo, std::size_t hi) {
    if constexpr (model::has_continuous_update<Synapse, Real>)
      for (auto k = row_ptr_[lo]; k < row_ptr_[hi] && learning_; ++k) {
        auto s = synapse(k);
        Synapse::update(s, params_, dt_);
        store(k, s);
      }
    if constexpr (requires(model::pre_trace_t<Synapse, Real>& a) { Synapse::update_pre(a, params_, dt_); })
      for (std::size_t i = lo; i < hi; ++i) {
        auto a = load(pre_traces_, i);
        Synapse::update_pre(a, params_, dt_);
        save(pre_traces_, i, a);
      }
  }

  /// Part 2 of propagate, once: records the spikes of step n, lists the
  /// spikes whose delay ends now in delivery order and applies their
  /// arrival to the pre traces (on_pre_spike).
  void record(std::span<const std::uint32_t> pre_fired, std::uint64_t n) {
    // The clocks of event-driven state: this step counts from here on.
    ++steps_;
    if (learning_) {
      ++learning_steps_;
      if constexpr (event_driven)
        if (learning_steps_ % refresh_period == 0) refresh();
    }
    const std::size_t slots = ring_.size();
    ring_[n % slots].assign(pre_fired.begin(), pre_fired.end());
    arrivals_.clear();
    if (delays_.empty()) {
      if (n >= uniform_delay_) {
        const auto& arriving = ring_[(n - uniform_delay_) % slots];
        // The row pointers are far apart: ask for all of them before reading any.
        for (auto i : arriving) prefetch(row_ptr_.data() + i);
        for (auto i : arriving) arrivals_.push_back({i, row_ptr_[i], row_ptr_[i + 1]});
      }
    } else {
      // Each spike was split into its delay groups when it was recorded, each group filed under the step
      // it arrives in; this step's list is ready (oldest emission first, then the order of the spikes).
      if (!schedule_ready_) reschedule(n);
      arrivals_.swap(schedule_[n % slots]);
      schedule_[n % slots].clear();
      file_arrivals(n, ring_[n % slots], n + 1);
    }
    if constexpr (has_on_pre_spike) {
      arrival_traces_.clear();
      for (const auto& spike : arrivals_) {
        auto a = pre_trace_now(spike.pre);
        Synapse::on_pre_spike(a, params_);
        save(pre_traces_, spike.pre, a);
        if constexpr (event_driven_pre) pre_stamp_[spike.pre] = steps_;
        arrival_traces_.push_back(a);
      }
    }
  }

  /// Part 3 of propagate, for post neurons [lo, hi) (pieces in any order or
  /// at once): decays their traces, delivers the spikes recorded by record()
  /// to the synapses onto them (adding to `target`, the post population's
  /// column), then on_post for those in `post_fired`. Each touches only
  /// what belongs to its post neurons, and adds to each target in the order
  /// of propagate, so the result does not depend on the split.
  void deliver(std::size_t lo, std::size_t hi, std::span<const std::uint32_t> post_fired, Real* target) {
    if constexpr (requires(model::post_trace_t<Synapse, Real>& b) { Synapse::update_post(b, params_, dt_); })
      for (std::size_t j = lo; j < hi; ++j) {
        auto b = load(post_traces_, j);
        Synapse::update_post(b, params_, dt_);
        save(post_traces_, j, b);
      }

    const piece_of part(*this, lo, hi);
    constexpr std::size_t ahead = 4;  // rows in flight: measured best for rows of 16-80 synapses (8 and 16 no better for the microcircuit's delay groups of ~10)
    const std::size_t count = arrivals_.size();
    for (std::size_t s = 0; s < std::min(ahead, count); ++s) prefetch_part(arrivals_[s], part);
    for (std::size_t s = 0; s < count; ++s) {
      if (s + ahead < count) prefetch_part(arrivals_[s + ahead], part);
      const auto& spike = arrivals_[s];
      auto [first, last] = part.range(spike.pre, spike.first, spike.last);
      if constexpr (has_on_pre_spike)
        arrive(arrival_traces_[s], first, last, target);
      else
        arrive(pre_trace_now(spike.pre), first, last, target);
    }

    if constexpr (model::has_on_post<Synapse, Real> || model::has_post_trace<Synapse>) {
      auto j_at = std::lower_bound(post_fired.begin(), post_fired.end(), lo);
      for (; j_at != post_fired.end() && *j_at < hi; ++j_at) {
        const auto j = *j_at;
        auto b = post_trace_now(j);
        if constexpr (requires { Synapse::on_post_spike(b, params_); }) Synapse::on_post_spike(b, params_);
        save(post_traces_, j, b);
        if constexpr (model::has_on_post<Synapse, Real>)
          for (auto e = post_ptr_[j], end = post_ptr_[j + 1]; e < end && learning_; ++e) {
            // The synapses onto j are scattered: ask for those a few ahead, so
            // that their misses overlap (a hook that calls exp would otherwise
            // wait for each in turn).
            if (e + on_post_ahead < end) prefetch_synapse(by_post_[e + on_post_ahead].synapse);
            const auto [k, i] = by_post_[e];
            auto s = synapse_now(k);
            model::on_post<Synapse, Real>(s, pre_trace_now(i), b, params_);
            keep(k, s);
          }
      }
    }
  }

  /// The post neurons at which a network split among threads cuts this
  /// projection's targets (ascending, each in (0, n_post)). deliver and
  /// transmit for a range between cuts then find their part of each row in
  /// a table (4 bytes per pre neuron and cut, made here and whenever the
  /// synapses change) instead of by bisection; other ranges still work.
  void set_cuts(std::vector<std::size_t> cuts) {
    cuts_ = std::move(cuts);
    index_cuts();
  }
  /// The cuts given by set_cuts.
  [[nodiscard]] const std::vector<std::size_t>& cuts() const { return cuts_; }

  /// Step n of a rate-coded projection: every synapse adds
  /// transmit(s, r[pre]) to the target (ascending pre, then storage order);
  /// `r` is the pre population's `Synapse::source` after its update.
  template <class Rates, class TargetColumn>
  void transmit(const Rates& r, TargetColumn& target) {
    transmit(r, target.data(), 0, n_post_);
  }
  /// transmit for post neurons [lo, hi) only (pieces in any order or at
  /// once; each target receives its terms in the order of the whole).
  template <class Rates>
  void transmit(const Rates& r, Real* target, std::size_t lo, std::size_t hi) {
    const piece_of part(*this, lo, hi);
    for (std::size_t i = 0; i + 1 < row_ptr_.size(); ++i) {
      const Real ri = r[i];
      if (ri == 0) continue;  // silent neurons send nothing (and cost nothing)
      const auto [first, last] = part.range(static_cast<std::uint32_t>(i), row_ptr_[i], row_ptr_[i + 1]);
      for (auto k = first; k < last; ++k)
        target[post_[k]] += static_cast<Real>(Synapse::transmit(synapse(k), ri, params_));
    }
  }

 protected:
  /// Synapses made by `rule`, starting from `init`, with `delay` [ms],
  /// sharing parameters `p`; `where` names the projection in messages.
  projection_core(std::string where, connectivity rule, initial_values init, initial_value delay, parameters_type p)
      : where_(std::move(where)),
        rule_(std::move(rule)),
        initial_(std::move(init)),
        delay_spec_(std::move(delay)),
        params_(std::move(p)) {
    validate(params_);
  }
  /// The description of `other` (not built), in this precision.
  template <class R>
  projection_core(std::string where, const projection_core<Synapse, R>& other)
      : where_(std::move(where)),
        rule_(other.rule_),
        initial_(other.initial_),
        delay_spec_(other.delay_spec_),
        params_(other.params_) {}

 private:
  template <class, class>
  friend class projection_core;

  static constexpr bool has_on_pre_spike =
      requires(model::pre_trace_t<Synapse, Real>& a, const parameters_type& p) { Synapse::on_pre_spike(a, p); };

  // A spike whose delay ends in this step: its pre neuron and the synapses it reaches.
  struct arrival {
    std::uint32_t pre;
    std::uint64_t first, last;
  };

  // The synapses onto post neurons [lo, hi) within a run of a row sorted by
  // post (a row, or a delay group of one): by the cut table where it has lo
  // and hi, else by bisection.
  class piece_of {
   public:
    piece_of(const projection_core& proj, std::size_t lo, std::size_t hi)
        : proj_(proj), lo_(lo), hi_(hi), whole_(lo == 0 && hi >= proj.n_post_) {
      if (!whole_ && !proj.cut_offsets_.empty()) {
        lo_cut_ = cut_index(lo);
        hi_cut_ = cut_index(hi);
      }
    }
    [[nodiscard]] bool whole() const { return whole_; }
    [[nodiscard]] std::pair<std::size_t, std::size_t> range(std::uint32_t i, std::size_t first, std::size_t last) const {
      if (whole_) return {first, last};
      const std::uint32_t* p = proj_.post_.data();
      const std::size_t n_cuts = proj_.cuts_.size(), row = proj_.row_ptr_[i];
      std::size_t from = first, to = last;
      if (lo_ > 0)
        from = lo_cut_ < n_cuts ? row + proj_.cut_offsets_[i * n_cuts + lo_cut_]
                                : static_cast<std::size_t>(std::lower_bound(p + first, p + last, lo_) - p);
      if (hi_ < proj_.n_post_)
        to = hi_cut_ < n_cuts ? row + proj_.cut_offsets_[i * n_cuts + hi_cut_]
                              : static_cast<std::size_t>(std::lower_bound(p + from, p + last, hi_) - p);
      return {from, to};
    }
    // The range without touching the synapses: exact with the table, else a share of the row.
    [[nodiscard]] std::pair<std::size_t, std::size_t> estimate(std::uint32_t i, std::size_t first, std::size_t last) const {
      if (whole_ || ((lo_ == 0 || lo_cut_ < proj_.cuts_.size()) && (hi_ >= proj_.n_post_ || hi_cut_ < proj_.cuts_.size())))
        return range(i, first, last);
      const double n = static_cast<double>(proj_.n_post_), len = static_cast<double>(last - first);
      const std::size_t margin = 64 / sizeof(Real);
      const auto from = static_cast<std::size_t>(len * static_cast<double>(lo_) / n);
      const auto to = static_cast<std::size_t>(len * static_cast<double>(hi_) / n) + margin;
      return {first + (from > margin ? from - margin : 0), std::min(last, first + to)};
    }

   private:
    [[nodiscard]] std::size_t cut_index(std::size_t at) const {
      const auto it = std::lower_bound(proj_.cuts_.begin(), proj_.cuts_.end(), at);
      return it != proj_.cuts_.end() && *it == at ? static_cast<std::size_t>(it - proj_.cuts_.begin()) : proj_.cuts_.size();
    }
    const projection_core& proj_;
    std::size_t lo_, hi_;
    bool whole_;
    std::size_t lo_cut_ = ~std::size_t{0}, hi_cut_ = ~std::size_t{0};
  };

  // With delays that differ: files the delay groups of the spikes `fired` in step m under the steps they
  // arrive in (schedule_[a % slots] for a = m + d), those arriving from step `from` on. A spike's row is read
  // once here (its delay-group table, or its delays), not once per delay and step. Groups without synapses
  // are left out unless the synapse has on_pre_spike (which each arrival applies to the pre trace).
  void file_arrivals(std::uint64_t m, std::span<const std::uint32_t> fired, std::uint64_t from) {
    const std::size_t slots = ring_.size();
    const std::size_t d_min = from > m ? static_cast<std::size_t>(from - m) : 1;
    for (const auto i : fired) {
      const std::uint64_t row = row_ptr_[i];
      if (!delay_starts_.empty()) {
        const std::uint32_t* at = delay_starts_.data() + std::size_t{i} * slots;
        for (std::size_t d = d_min; d < slots; ++d)
          if (has_on_pre_spike || at[d - 1] != at[d]) schedule_[(m + d) % slots].push_back({i, row + at[d - 1], row + at[d]});
        continue;
      }
      // Without the table: one pass over the row's delays (sorted ascending within the row).
      const delay_type* delay = delays_.data();
      std::uint64_t k = row;
      const std::uint64_t end = row_ptr_[i + 1];
      for (std::size_t d = 1; d < slots; ++d) {
        const std::uint64_t first = k;
        while (k < end && delay[k] == d) ++k;
        if (d >= d_min && (has_on_pre_spike || first != k)) schedule_[(m + d) % slots].push_back({i, first, k});
      }
    }
  }
  // The schedule from the spikes in transit (after the synapses or the spikes changed), for steps n on.
  void reschedule(std::uint64_t n) {
    const std::size_t slots = ring_.size();
    schedule_.assign(slots, {});
    for (std::uint64_t m = n >= slots - 1 ? n - (slots - 1) : 0; m < n; ++m) file_arrivals(m, ring_[m % slots], n);
    schedule_ready_ = true;
  }

  // With delays that differ: delay_starts_[i * ring_.size() + d - 1], for d
  // = 1 .. max delay + 1: where, from the start of row i, the synapses with
  // delay >= d begin; so the synapses a spike reaches after d steps are found
  // in two reads instead of a bisection per spike and step. Kept while it
  // costs at most 4 bytes per synapse (else record() bisects).
  void index_delays() {
    schedule_ready_ = false;
    delay_starts_.clear();
    if (delays_.empty()) return;
    const std::size_t n_pre = row_ptr_.size() - 1, slots = ring_.size();
    if (n_pre * slots > size()) return;
    delay_starts_.resize(n_pre * slots);
    for (std::size_t i = 0; i < n_pre; ++i) {
      const auto first = delays_.begin() + static_cast<std::ptrdiff_t>(row_ptr_[i]);
      const auto last = delays_.begin() + static_cast<std::ptrdiff_t>(row_ptr_[i + 1]);
      auto at = first;
      for (std::size_t d = 1; d <= slots; ++d) {
        while (at != last && *at < d) ++at;
        delay_starts_[i * slots + d - 1] = static_cast<std::uint32_t>(at - first);
      }
    }
  }

  // cut_offsets_[i * cuts_.size() + j]: where, from the start of row i, the
  // synapses onto post neurons >= cuts_[j] begin. Rows with one delay only
  // (with several, a delay group is found first and bisected).
  void index_cuts() {
    cut_offsets_.clear();
    if (cuts_.empty() || !delays_.empty()) return;
    const std::size_t n_pre = row_ptr_.size() - 1, n_cuts = cuts_.size();
    cut_offsets_.resize(n_pre * n_cuts);
    const std::uint32_t* p = post_.data();
    for (std::size_t i = 0; i < n_pre; ++i) {
      const std::uint32_t* at = p + row_ptr_[i];
      for (std::size_t j = 0; j < n_cuts; ++j) {
        at = std::lower_bound(at, p + row_ptr_[i + 1], cuts_[j]);
        cut_offsets_[i * n_cuts + j] = static_cast<std::uint32_t>(at - (p + row_ptr_[i]));
      }
    }
  }

  [[nodiscard]] const std::string& where() const { return where_; }

  static std::vector<std::uint32_t> pre_of(const std::vector<std::uint64_t>& row_ptr, std::size_t n) {
    std::vector<std::uint32_t> out(n);
    for (std::size_t i = 0; i + 1 < row_ptr.size(); ++i)
      for (auto k = row_ptr[i]; k < row_ptr[i + 1]; ++k) out[k] = static_cast<std::uint32_t>(i);
    return out;
  }

  // The random values of synapse g of a generated rule: variable f (the
  // delay counts as variable field_count) draws from the pair f / 2, half
  // f % 2, of block (g, attempt): two values from one block of bits (one
  // Box-Muller transform gives two normal numbers).
  class synapse_draws {
   public:
    synapse_draws(random::key key, std::uint64_t g) : key_(key), g_(g) {}
    double value(const initial_value& v, std::uint32_t f) {
      return v.draw([&](std::uint32_t attempt) {
        const std::uint32_t pair = f / 2;
        if (pair != pair_ || attempt != attempt_ || !drawn_) {
          bits_ = random::bits(key_, g_, attempt, pair);
          pair_ = pair;
          attempt_ = attempt;
          drawn_ = true;
          normals_ = false;
        }
        const int half = static_cast<int>(f % 2);
        if (v.how == initial_value::kind::uniform) return v.a + (v.b - v.a) * random::uniform01<double>(bits_, half);
        if (!normals_) {
          const double r = std::sqrt(-2.0 * std::log(1.0 - random::uniform01<double>(bits_, 0)));
          const double angle = 2.0 * std::numbers::pi * random::uniform01<double>(bits_, 1);
          normal_[0] = r * std::cos(angle);
          normal_[1] = r * std::sin(angle);
          normals_ = true;
        }
        return v.a + v.b * normal_[half];
      });
    }

   private:
    random::key key_;
    std::uint64_t g_;
    random::block bits_{};
    std::uint32_t pair_ = 0, attempt_ = 0;
    bool drawn_ = false, normals_ = false;
    double normal_[2] = {0, 0};
  };

  // Delay in steps of `ms`: rounded to the nearest step, as Brian2 and NEST
  // do; at least one step.
  std::size_t delay_in_steps(double ms, std::size_t k, double dt) const {
    if (!(ms >= 0) || !std::isfinite(ms))
      throw config_error(where() + ": delay of synapse " + std::to_string(k) + " = " + detail::number(ms) +
                         " ms, must be finite and >= 0");
    const double s = std::max(1.0, std::round(ms / dt));
    if (s > std::numeric_limits<delay_type>::max())
      throw config_error(where() + ": delay = " + detail::number(ms) + " ms is more than 65535 steps");
    return static_cast<std::size_t>(s);
  }

  // fixed_total_number, drawn straight into the final arrays on the team's
  // threads. The post neurons come in blocks (connect.hpp); the blocks are
  // cut into chunks of about equal synapse counts. Pass 1 draws each
  // chunk's synapses and counts them per pre neuron, so every chunk knows
  // where in each row its synapses go; pass 2 writes each synapse (post,
  // variables, delay) into its place: rows then hold (post, number) order,
  // and a stable counting sort by delay gives the (delay, post) order of
  // every projection. Nothing depends on the chunks: the values of synapse
  // g are keyed by g, and its place by (delay, post, g). The final arrays
  // are allocated once; besides them, pass 1 keeps 9 bytes a synapse.
  template <class Team>
  void build_total_number(const fixed_total_number& r, std::size_t n_pre, std::size_t n_post, bool same,
                          random::key key, double dt, Team& team) {
    if (const std::string problem = detail::total_number_problem(r, n_pre, n_post, same); !problem.empty())
      throw config_error(where() + ": " + problem);
    if (delay_spec_.how == initial_value::kind::array)
      throw config_error(where() + ": per-synapse delay values need a rule whose synapse order is given "
                         "(from_list, from_csr), not fixed_total_number");
    auto check_spec = [&](std::string_view var, const initial_value& v) {
      if (v.how == initial_value::kind::model_default || v.how == initial_value::kind::array) return;
      if (const std::string problem = v.problem(); !problem.empty())
        throw config_error(where() + ": " + std::string(var) + " " + v.describe() + ": " + problem);
    };
    check_spec("delay", delay_spec_);
    reflect::for_each_field(initial_, [&](std::string_view var, const initial_value& v) { check_spec(var, v); });

    const random::key connect_key{key.seed, key.stream | 0x40000u}, init_key{key.seed, key.stream | 0xC0000u};
    const std::size_t blocks = (n_post + total_number_block - 1) / total_number_block;
    const auto split = detail::split_total_number(r, n_pre, n_post, same, connect_key, 0, blocks);
    const std::uint64_t n = r.n;
    // Chunks of whole blocks, about n / chunks synapses each.
    const std::size_t chunks = std::max<std::size_t>(1, std::min<std::size_t>(blocks, team.threads() * 4));
    std::vector<std::size_t> chunk_first(chunks + 1, blocks);
    for (std::size_t c = 0; c < chunks; ++c)
      chunk_first[c] = static_cast<std::size_t>(
          std::lower_bound(split.start.begin(), split.start.end() - 1, n / chunks * c) - split.start.begin());
    chunk_first[0] = 0;
    auto block_of = [&](std::size_t b, std::vector<std::uint32_t>& pre, std::vector<std::uint32_t>& post) {
      detail::draw_total_number_block(r, n_pre, b * total_number_block, std::min(n_post, (b + 1) * total_number_block),
                                      same, connect_key, split.start[b], split.start[b + 1], pre, post);
    };

    // Pass 1: each chunk draws its synapses, block by block, and keeps them
    // in (post, number) order (a counting sort over the block's post
    // neurons): pre neuron, post neuron within the block, number within the
    // block; 9 bytes a synapse until pass 2. Then the synapses per pre
    // neuron of each chunk tell every chunk where in each row its synapses go.
    // (Not value-initialised: every element is written before it is read; large ones on huge pages.)
    struct drawn {
      std::vector<std::uint32_t, detail::uninitialized_allocator<std::uint32_t>> pre, number;
      std::vector<std::uint8_t, detail::uninitialized_allocator<std::uint8_t>> post;  // - the block's first post neuron
    };
    static_assert(total_number_block <= 256);
    std::vector<drawn> chunk(chunks);
    std::vector<std::vector<std::uint64_t>> next(chunks);
    team.for_each(chunks, [&](std::size_t c) {
      std::vector<std::uint32_t> pre, post;
      std::array<std::uint32_t, total_number_block + 1> bucket{};
      drawn& d = chunk[c];
      const std::size_t count = split.start[chunk_first[c + 1]] - split.start[chunk_first[c]];
      d.pre.resize(count);
      d.number.resize(count);
      d.post.resize(count);
      next[c].assign(n_pre, 0);
      std::size_t at = 0;
      for (std::size_t b = chunk_first[c]; b < chunk_first[c + 1]; ++b) {
        block_of(b, pre, post);
        bucket.fill(0);
        const auto lo = static_cast<std::uint32_t>(b * total_number_block);
        for (auto j : post) ++bucket[j - lo + 1];
        for (std::size_t j = 0; j < total_number_block; ++j) bucket[j + 1] += bucket[j];
        for (std::uint32_t t = 0; t < post.size(); ++t) {
          const std::size_t place = at + bucket[post[t] - lo]++;
          d.pre[place] = pre[t];
          d.number[place] = t;
          d.post[place] = static_cast<std::uint8_t>(post[t] - lo);
        }
        at += post.size();
        for (auto i : pre) ++next[c][i];
      }
    });
    std::vector<std::uint64_t> row_ptr(n_pre + 1, 0);
    for (std::size_t i = 0; i < n_pre; ++i) {
      std::uint64_t at = row_ptr[i];
      for (std::size_t c = 0; c < chunks; ++c) {
        const std::uint64_t count = next[c][i];
        next[c][i] = at;
        at += count;
      }
      row_ptr[i + 1] = at;
    }

    // Pass 2: every synapse into its place.
    constexpr std::uint32_t delay_field = static_cast<std::uint32_t>(reflect::field_count<columns_type>);
    const bool one_delay = delay_spec_.how == initial_value::kind::model_default ||
                           delay_spec_.how == initial_value::kind::constant;
    const std::size_t fixed_delay =
        delay_spec_.how == initial_value::kind::constant ? delay_in_steps(delay_spec_.a, 0, dt) : 1;
    post_ = detail::large_vector<std::uint32_t>(n);
    reflect::for_each_field(columns_, [&](auto, std::vector<Real>& c) { c = detail::large_vector<Real>(n); });
    std::vector<delay_type> steps;
    if (!one_delay) steps = detail::large_vector<delay_type>(n);
    const auto defaults = model_defaults();
    team.for_each(chunks, [&](std::size_t c) {
      drawn& d = chunk[c];
      std::size_t at = 0;
      for (std::size_t b = chunk_first[c]; b < chunk_first[c + 1]; ++b) {
        const auto lo = static_cast<std::uint32_t>(b * total_number_block);
        const std::size_t end = at + (split.start[b + 1] - split.start[b]);
        for (; at < end; ++at) {
          const std::uint64_t g = split.start[b] + d.number[at];
          const std::uint64_t k = next[c][d.pre[at]]++;
          post_[k] = lo + d.post[at];
          synapse_draws draws(init_key, g);
          std::uint32_t field = 0;
          reflect::for_each_field_of(
              [&](std::string_view, std::vector<Real>& column, const initial_value& init, const double& fallback) {
                const double value = init.random() ? draws.value(init, field)
                                     : init.how == initial_value::kind::constant ? init.a
                                                                                 : fallback;
                column[k] = static_cast<Real>(value);
                ++field;
              },
              columns_, initial_, defaults);
          if (!one_delay) steps[k] = static_cast<delay_type>(delay_in_steps(draws.value(delay_spec_, delay_field), g, dt));
        }
      }
      d = drawn{};  // freed as soon as placed
    });
    next.clear();
    next.shrink_to_fit();

    // Per-element values, in storage order.
    reflect::for_each_field_of(
        [&](std::string_view var, std::vector<Real>& column, const initial_value& init) {
          if (init.how != initial_value::kind::array) return;
          if (init.values.size() != n)
            throw config_error(where() + ": initial value of '" + std::string(var) + "' has " +
                               std::to_string(init.values.size()) + " values for " + std::to_string(n) + " synapses");
          for (std::size_t k = 0; k < n; ++k) column[k] = static_cast<Real>(init.values[k]);
        },
        columns_, initial_);

    if (!one_delay) sort_rows_by_delay(row_ptr, steps, team);
    const bool uniform = one_delay || n == 0 || std::all_of(steps.begin(), steps.end(), [&](auto d) { return d == steps[0]; });
    if constexpr (model::has_pre_trace<Synapse>)
      if (!uniform)
        throw config_error(where() + ": the synapse model keeps traces per pre-synaptic neuron, "
                           "which needs one delay for all synapses");
    if (one_delay) {
      delays_.clear();
      uniform_delay_ = fixed_delay;
    } else {
      set_delays(steps, uniform);
    }
    const std::size_t max_delay = one_delay ? fixed_delay
                                  : n == 0  ? 1
                                            : static_cast<std::size_t>(*std::max_element(steps.begin(), steps.end()));
    steps = {};
    row_ptr_ = std::move(row_ptr);
    ring_.assign(max_delay + 1, {});
    index_cuts();
    index_delays();
    dt_ = dt;
    reflect::for_each_field(pre_traces_, [&](auto, std::vector<Real>& c) { c.assign(n_pre, Real(0)); });
    reflect::for_each_field(post_traces_, [&](auto, std::vector<Real>& c) { c.assign(n_post, Real(0)); });
    n_post_ = n_post;
    index_by_post(n_post, team);
  }

  // Each row (post order) stably sorted by delay, in parallel over rows.
  template <class Team>
  void sort_rows_by_delay(const std::vector<std::uint64_t>& row_ptr, std::vector<delay_type>& steps, Team& team) {
    const std::size_t n_pre = row_ptr.size() - 1;
    const std::size_t pieces = std::max<std::size_t>(1, std::min(n_pre, team.threads() * 4));
    team.for_each(pieces, [&](std::size_t p) {
      std::vector<std::uint32_t> post_tmp;
      std::vector<Real> value_tmp;
      std::vector<delay_type> delay_tmp;
      std::vector<std::uint64_t> place;
      std::vector<std::uint32_t> count;
      for (std::size_t i = n_pre * p / pieces; i < n_pre * (p + 1) / pieces; ++i) {
        const std::uint64_t first = row_ptr[i], last = row_ptr[i + 1];
        if (last - first < 2) continue;
        const auto [low, high] = std::minmax_element(steps.begin() + static_cast<std::ptrdiff_t>(first),
                                                     steps.begin() + static_cast<std::ptrdiff_t>(last));
        const std::size_t d0 = *low, range = static_cast<std::size_t>(*high) - d0 + 1;
        if (range == 1) continue;
        count.assign(range + 1, 0);
        for (auto k = first; k < last; ++k) ++count[steps[k] - d0 + 1];
        for (std::size_t d = 0; d < range; ++d) count[d + 1] += count[d];
        place.resize(last - first);
        for (auto k = first; k < last; ++k) place[k - first] = first + count[steps[k] - d0]++;
        auto permute = [&](auto& column, auto& tmp) {
          tmp.assign(column.begin() + static_cast<std::ptrdiff_t>(first), column.begin() + static_cast<std::ptrdiff_t>(last));
          for (std::size_t t = 0; t < tmp.size(); ++t) column[place[t]] = tmp[t];
        };
        permute(post_, post_tmp);
        permute(steps, delay_tmp);
        reflect::for_each_field(columns_, [&](auto, std::vector<Real>& column) { permute(column, value_tmp); });
      }
    });
  }

  // A per-synapse value of a spec; random draws keyed by the (pre, post) pair,
  // so they do not depend on how synapses are stored or split.
  double value_of(const initial_value& v, std::size_t k, std::uint32_t pre, std::uint32_t post, random::key key,
                  std::uint32_t field, std::string_view var) const {
    using kind = initial_value::kind;
    if (v.how == kind::array) return v.values[k];
    if (v.how == kind::uniform && !(v.a <= v.b))
      throw config_error(where() + ": " + std::string(var) + " uniform(" + detail::number(v.a) + ", " +
                         detail::number(v.b) + "): needs lo <= hi");
    if (v.how == kind::normal && !(v.b >= 0))
      throw config_error(where() + ": " + std::string(var) + " normal(" + detail::number(v.a) + ", " +
                         detail::number(v.b) + "): needs sd >= 0");
    switch (v.how) {
      case kind::uniform: return v.a + (v.b - v.a) * random::uniform01<double>(random::bits(key, pre, post, field));
      case kind::normal: return v.a + v.b * random::normal01<double>(random::bits(key, pre, post, field));
      default: return v.a;
    }
  }

  [[nodiscard]] variables_type<double> model_defaults() const {
    if constexpr (requires { Synapse::initial(params_); })
      return Synapse::initial(params_);
    else
      return variables_type<double>{};
  }

  // Takes synapses in rows with their variables and delays in steps, and
  // orders each row by (delay, post), stably: the synapses a spike reaches
  // after d steps are one range, and within it a range of post neurons is
  // found by bisection (a step split among threads by post neuron). Rows
  // from the connectivity rules, and from files saved by a network, are in
  // that order already; for others only the storage order changes, never
  // the order in which a target receives its terms (multapses, one post
  // neuron reached twice by one row, keep their order).
  template <class Step>
  // `along`: another per-synapse array (restore's event ages) that goes where its synapse goes.
  void adopt(std::vector<std::uint64_t> row_ptr, std::vector<std::uint32_t> post, columns_type& cols,
             std::span<const Step> steps, std::vector<std::uint32_t>* along = nullptr) {
    const std::size_t n = post.size(), n_pre = row_ptr.size() - 1;
    const bool uniform = n == 0 || std::all_of(steps.begin(), steps.end(), [&](auto d) { return d == steps[0]; });
    const auto before = [&](std::size_t a, std::size_t b) {
      return steps[a] != steps[b] ? steps[a] < steps[b] : post[a] < post[b];
    };
    // Rows in order already (always for the connectivity rules and for files
    // a network saved): take the arrays as they are, without a permutation.
    bool ordered = true;
    if (uniform) {  // post neurons ascend in each row; checked without branches, a row at a time
      for (std::size_t i = 0; i < n_pre && ordered; ++i) {
        bool descends = false;
        for (auto k = row_ptr[i] + 1; k < row_ptr[i + 1]; ++k) descends |= post[k] < post[k - 1];
        ordered = !descends;
      }
    } else {
      for (std::size_t i = 0; i < n_pre && ordered; ++i)
        for (auto k = row_ptr[i] + 1; k < row_ptr[i + 1]; ++k)
          if (before(k, k - 1)) {
            ordered = false;
            break;
          }
    }
    if (ordered) {
      post_ = std::move(post);
      reflect::for_each_field_of([&](auto, std::vector<Real>& dst, std::vector<Real>& src) { dst = std::move(src); },
                                 columns_, cols);
    } else {
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), std::size_t{0});
      for (std::size_t i = 0; i < n_pre; ++i) {
        const auto first = order.begin() + static_cast<std::ptrdiff_t>(row_ptr[i]);
        const auto last = order.begin() + static_cast<std::ptrdiff_t>(row_ptr[i + 1]);
        if (!std::is_sorted(first, last, before)) std::stable_sort(first, last, before);
      }
      post_.resize(n);
      for (std::size_t k = 0; k < n; ++k) post_[k] = post[order[k]];
      reflect::for_each_field_of(
          [&](auto, std::vector<Real>& dst, std::vector<Real>& src) {
            dst.resize(n);
            for (std::size_t k = 0; k < n; ++k) dst[k] = src[order[k]];
          },
          columns_, cols);
      if (along) {
        std::vector<std::uint32_t> moved(n);
        for (std::size_t k = 0; k < n; ++k) moved[k] = (*along)[order[k]];
        *along = std::move(moved);
      }
      std::vector<Step> sorted(n);
      for (std::size_t k = 0; k < n; ++k) sorted[k] = steps[order[k]];
      set_delays(sorted, uniform);
    }
    if (ordered) set_delays(steps, uniform);
    row_ptr_ = std::move(row_ptr);
    ring_.assign((n == 0 ? 1 : static_cast<std::size_t>(*std::max_element(steps.begin(), steps.end()))) + 1, {});
    index_cuts();
    index_delays();
  }
  template <class Steps>
  void set_delays(const Steps& steps, bool uniform) {
    delays_.clear();
    if (!uniform) delays_.assign(steps.begin(), steps.end());
    uniform_delay_ = steps.empty() ? 1 : static_cast<std::size_t>(steps[0]);
  }

  // The post -> pre index, for models that act when the post neuron fires:
  // the synapses onto post neuron j are by_post_[post_ptr_[j] .. post_ptr_[j+1]),
  // in ascending storage order. With threads, each fills the part of the
  // index of one range of post neurons (ranges of about equal synapse
  // counts), going through every row: with one delay per projection a
  // row's post neurons ascend and its part is found by bisection. Every
  // construction (build, restore) ends here, with synapses and traces fresh:
  // their event-driven clocks start here too.
  template <class Team>
  void index_by_post(std::size_t n_post, Team& team) {
    start_clocks(row_ptr_.size() - 1, n_post);
    post_ptr_.clear();
    by_post_.clear();
    if constexpr (model::has_on_post<Synapse, Real>) {
      const std::size_t n = size(), n_pre = row_ptr_.size() - 1;
      if (n > std::numeric_limits<std::uint32_t>::max())
        throw config_error(where() + ": " + std::to_string(n) +
                           " synapses; a model with on_post allows at most 2^32 - 1 per projection");
      const std::size_t pieces = std::max<std::size_t>(1, std::min(team.threads(), n / (std::size_t{1} << 16)));
      // Synapses per post neuron, counted by each piece over its share of the synapses.
      std::vector<std::vector<std::uint64_t>> counts(pieces);
      team.for_each(pieces, [&](std::size_t p) {
        std::vector<std::uint64_t>& c = counts[p];
        c.assign(n_post + 1, 0);
        const std::size_t first = n / pieces * p, last = p + 1 == pieces ? n : n / pieces * (p + 1);
        for (std::size_t k = first; k < last; ++k) ++c[post_[k] + 1];
      });
      post_ptr_ = std::move(counts[0]);
      for (std::size_t p = 1; p < pieces; ++p)
        for (std::size_t j = 0; j <= n_post; ++j) post_ptr_[j] += counts[p][j];
      for (std::size_t j = 0; j < n_post; ++j) post_ptr_[j + 1] += post_ptr_[j];
      by_post_.resize(n);  // not zeroed: every entry is written below
      std::vector<std::size_t> bounds(pieces + 1, n_post);  // post neurons [bounds[p], bounds[p + 1]) in piece p
      for (std::size_t p = 0; p < pieces; ++p)
        bounds[p] = static_cast<std::size_t>(
            std::lower_bound(post_ptr_.begin(), post_ptr_.end() - 1, n / pieces * p) - post_ptr_.begin());
      const bool ascending = delays_.empty();
      team.for_each(pieces, [&](std::size_t p) {
        const std::size_t lo = bounds[p], hi = bounds[p + 1];
        if (lo >= hi) return;
        std::vector<std::uint64_t> next(post_ptr_.begin() + static_cast<std::ptrdiff_t>(lo),
                                        post_ptr_.begin() + static_cast<std::ptrdiff_t>(hi));
        for (std::size_t i = 0; i < n_pre; ++i) {
          auto k = row_ptr_[i];
          const auto end = row_ptr_[i + 1];
          if (ascending) {
            if (lo > 0)
              k = static_cast<std::uint64_t>(std::lower_bound(post_.begin() + static_cast<std::ptrdiff_t>(k),
                                                              post_.begin() + static_cast<std::ptrdiff_t>(end),
                                                              static_cast<std::uint32_t>(lo)) -
                                             post_.begin());
            for (; k < end && post_[k] < hi; ++k)
              by_post_[next[post_[k] - lo]++] = {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(i)};
          } else {
            for (; k < end; ++k)
              if (post_[k] >= lo && post_[k] < hi)
                by_post_[next[post_[k] - lo]++] = {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(i)};
          }
        }
      });
    }
  }

  // Synapse k's variables, and back.
  [[nodiscard]] variables_type<Real> synapse(std::size_t k) const {
    variables_type<Real> s;
    reflect::for_each_field_of([&](auto, Real& x, const std::vector<Real>& c) { x = c[k]; }, s, columns_);
    return s;
  }
  void store(std::size_t k, const variables_type<Real>& s) {
    reflect::for_each_field_of([&](auto, const Real& x, std::vector<Real>& c) { c[k] = x; }, s, columns_);
  }
  // Traces of neuron i, and back.
  template <class Columns>
  static auto load(const Columns& cols, std::size_t i) {
    if constexpr (std::is_same_v<Columns, no_trace>) {
      return no_trace{};
    } else {
      using value = std::conditional_t<std::is_same_v<Columns, pre_trace_columns>, model::pre_trace_t<Synapse, Real>,
                                       model::post_trace_t<Synapse, Real>>;
      value v;
      reflect::for_each_field_of([&](auto, Real& x, const std::vector<Real>& c) { x = c[i]; }, v, cols);
      return v;
    }
  }
  template <class Columns, class Value>
  static void save(Columns& cols, std::size_t i, const Value& v) {
    reflect::for_each_field_of([&](auto, const Real& x, std::vector<Real>& c) { c[i] = x; }, v, cols);
  }

  // Rows are read once per spike, far apart in memory: ask for the next
  // spike's row while delivering this one (the row starts are cache misses
  // once the synapses outgrow the cache). A piece of the post neurons asks
  // for its part of the row (without the cut table: the whole row's post
  // indices, to bisect, and about its share of the variables).
  void prefetch_part(const arrival& spike, const piece_of& part) const {
    const auto range = part.estimate(spike.pre, spike.first, spike.last);
    const std::size_t first = range.first, last = range.second;
    const bool bisects = !part.whole() && cut_offsets_.empty();
    const std::size_t post_from = bisects ? spike.first : first, post_to = bisects ? spike.last : last;
    prefetch_lines(post_.data() + post_from, post_.data() + post_to);
    reflect::for_each_field(columns_, [&](auto, const std::vector<Real>& c) { prefetch_lines(c.data() + first, c.data() + last); });
  }
  static constexpr std::size_t on_post_ahead = 8;
  void prefetch_synapse(std::size_t k) const {
    reflect::for_each_field(columns_, [&](auto, const std::vector<Real>& c) { prefetch(c.data() + k); });
    if constexpr (event_driven) prefetch(synapse_stamp_.data() + k);
  }
  // Every cache line of [from, to).
  template <class T>
  static void prefetch_lines(const T* from, const T* to) {
    if (from == to) return;
    const auto first = reinterpret_cast<std::uintptr_t>(from) & ~std::uintptr_t{63};
    const auto last = reinterpret_cast<std::uintptr_t>(to - 1);
    for (std::uintptr_t line = first; line <= last; line += 64) prefetch(reinterpret_cast<const void*>(line));
  }
  static void prefetch(const void* address) {
    __builtin_prefetch(address);
    // GCC deletes loops that only prefetch (-ffinite-loops); this keeps them.
    asm volatile("" : : "r"(address));
  }

  // A spike reaches synapses [first, last); `a` is its pre neuron's trace after the arrival.
  void arrive(const model::pre_trace_t<Synapse, Real>& a, std::size_t first, std::size_t last, Real* tgt) {
    for (std::size_t k = first; k < last; ++k) {
      if constexpr (model::on_pre_reads_only<Synapse, Real> && !event_driven) {
        const variables_type<Real> s = synapse(k);
        tgt[post_[k]] += model::on_pre<Synapse, Real>(s, a, post_trace_now(post_[k]), params_);
      } else {
        variables_type<Real> s = synapse_now(k);
        const Real value = model::on_pre<Synapse, Real>(s, a, post_trace_now(post_[k]), params_);
        if (learning_) keep(k, s);
        tgt[post_[k]] += value;
      }
    }
  }

  // Event-driven state. Synapse k's variables hold as of learning step
  // synapse_stamp_[k] (mod 2^32), neuron i's pre traces as of step
  // pre_stamp_[i], post traces likewise; an age of 0 needs no advance.
  static constexpr std::uint64_t refresh_period = std::uint64_t{1} << 31;

  // Synapse k's variables as of the current step (a copy).
  [[nodiscard]] variables_type<Real> synapse_now(std::size_t k) const {
    variables_type<Real> s = synapse(k);
    if constexpr (event_driven)
      if (const std::uint32_t age = static_cast<std::uint32_t>(learning_steps_) - synapse_stamp_[k])
        Synapse::advance(s, params_, static_cast<double>(age) * dt_);
    return s;
  }
  // Stores synapse k's variables, up to date now.
  void keep(std::size_t k, const variables_type<Real>& s) {
    store(k, s);
    if constexpr (event_driven) synapse_stamp_[k] = static_cast<std::uint32_t>(learning_steps_);
  }
  // Pre neuron i's traces as of the current step (a copy: read by the
  // pieces of several post ranges at once, the stored value stays).
  [[nodiscard]] model::pre_trace_t<Synapse, Real> pre_trace_now(std::size_t i) const {
    auto a = load(pre_traces_, i);
    if constexpr (event_driven_pre)
      if (const std::uint64_t age = steps_ - pre_stamp_[i])
        Synapse::advance_pre(a, params_, static_cast<double>(age) * dt_);
    return a;
  }
  // Post neuron j's traces as of the current step (a copy).
  [[nodiscard]] model::post_trace_t<Synapse, Real> post_trace_at(std::size_t j) const {
    auto b = load(post_traces_, j);
    if constexpr (event_driven_post)
      if (const std::uint64_t age = steps_ - post_stamp_[j])
        Synapse::advance_post(b, params_, static_cast<double>(age) * dt_);
    return b;
  }
  // The same, also stored: only the piece that owns post neuron j calls it,
  // so at most one advance per neuron and step, whatever reads it.
  model::post_trace_t<Synapse, Real> post_trace_now(std::size_t j) {
    auto b = post_trace_at(j);
    if constexpr (event_driven_post)
      if (post_stamp_[j] != steps_) {
        save(post_traces_, j, b);
        post_stamp_[j] = steps_;
      }
    return b;
  }
  // Every 2^31 learning steps: variables 2^31 or more steps old are brought
  // up to date, so that no age reaches 2^32 (it is kept in 32 bits). Depends
  // on the learning steps only: the same for every split and after a load.
  void refresh() {
    const auto now = static_cast<std::uint32_t>(learning_steps_);
    for (std::size_t k = 0; k < size(); ++k)
      if (now - synapse_stamp_[k] >= refresh_period) keep(k, synapse_now(k));
  }
  // Every synapse and trace up to date (just made or loaded).
  void start_clocks(std::size_t n_pre, std::size_t n_post) {
    if constexpr (event_driven) synapse_stamp_.assign(size(), static_cast<std::uint32_t>(learning_steps_));
    if constexpr (event_driven_pre) pre_stamp_.assign(n_pre, steps_);
    if constexpr (event_driven_post) post_stamp_.assign(n_post, steps_);
  }
  [[nodiscard]] std::vector<std::uint64_t> ages_of(const std::vector<std::uint64_t>& stamps) const {
    std::vector<std::uint64_t> out(stamps.size());
    for (std::size_t i = 0; i < stamps.size(); ++i) out[i] = steps_ - stamps[i];
    return out;
  }

  std::string where_;
  connectivity rule_;
  initial_values initial_;
  initial_value delay_spec_;
  parameters_type params_;
  std::vector<std::uint64_t> row_ptr_{0};
  std::vector<std::uint32_t> post_;
  columns_type columns_{};
  std::vector<delay_type> delays_;
  std::size_t uniform_delay_ = 1;
  std::vector<std::vector<std::uint32_t>> ring_{{}, {}};
  pre_trace_columns pre_traces_{};
  post_trace_columns post_traces_{};
  struct incoming {  // a synapse onto a post neuron, and its pre neuron
    std::uint32_t synapse;
    std::uint32_t pre;
  };
  std::vector<std::uint64_t> post_ptr_;
  std::vector<incoming, detail::uninitialized_allocator<incoming>> by_post_;
  std::size_t n_post_ = 0;
  std::vector<std::size_t> cuts_;            // see set_cuts
  std::vector<std::uint32_t> cut_offsets_;  // see index_cuts
  std::vector<std::uint32_t> delay_starts_;  // see index_delays
  double dt_ = 0.1;
  bool learning_ = true;
  // Clocks of event-driven state (see synapse_now): steps recorded since the
  // synapses were made, and those of them with learning on.
  std::uint64_t steps_ = 0, learning_steps_ = 0;
  std::vector<std::uint32_t> synapse_stamp_;
  std::vector<std::uint64_t> pre_stamp_, post_stamp_;
  // The delay groups of the spikes in transit by the step they arrive in (see file_arrivals): made from
  // ring_, never saved.
  std::vector<std::vector<arrival>> schedule_;
  bool schedule_ready_ = false;
  // Scratch of the current step (record() to deliver()), never saved.
  std::vector<arrival> arrivals_;
  std::vector<model::pre_trace_t<Synapse, Real>> arrival_traces_;
};

/// Synapses of model `Synapse` from population `Pre` onto variable `Target`
/// of population `Post`, named `Name` (empty: the network names it proj<k>),
/// stored in precision `Real`. The names are compile-time facts checked by
/// the network; everything else is projection_core<Synapse, Real>.
template <class Synapse, fixed_string Pre, fixed_string Post, fixed_string Target, fixed_string Name = fixed_string{},
          class Real = double>
class projection : public projection_core<Synapse, Real> {
  using core = projection_core<Synapse, Real>;

 public:
  using element_kind = projection_tag;
  using typename core::initial_values;
  using typename core::parameters_type;

  static constexpr fixed_string pre_name = Pre;
  static constexpr fixed_string post_name = Post;
  static constexpr fixed_string target_name = Target;
  static constexpr fixed_string static_name = Name;
  template <fixed_string N, class R>
  using rebind = projection<Synapse, Pre, Post, Target, N, R>;

  /// Synapses made by `rule`, starting from `init` (e.g. `{.w = 0.6}`), with
  /// `delay` [ms] (a number, per-synapse values or a distribution; default one
  /// step), sharing parameters `p`. Built when the network is.
  explicit projection(connectivity rule, initial_values init = {}, initial_value delay = {}, parameters_type p = {})
      : core(label(), std::move(rule), std::move(init), std::move(delay), std::move(p)) {}

  /// A copy of the description of `other` (not built) under another name or precision.
  template <fixed_string N, class R>
  explicit projection(const projection<Synapse, Pre, Post, Target, N, R>& other) : core(label(), other) {}

  [[nodiscard]] static constexpr std::string_view name() { return Name.view(); }

  /// E.g. "projection 'EE' (E -> E.g_e)", as messages name it.
  static std::string label() {
    return "projection '" + std::string(Name.empty() ? "(unnamed)" : Name.view()) + "' (" + std::string(Pre.view()) +
           " -> " + std::string(Post.view()) + "." + std::string(Target.view()) + ")";
  }
};

}  // namespace spikeweave
