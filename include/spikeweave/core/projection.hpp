// Projection<Synapse>: the synapses from one population onto a variable of another, with delays.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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

/// Synapses of model `Synapse` from population `Pre` onto variable `Target`
/// of population `Post`, named `Name` (empty: the network names it proj<k>),
/// stored in precision `Real`.
///
/// Storage is compressed sparse rows by pre-synaptic neuron: a row pointer
/// per pre neuron, then per synapse the post index (4 bytes), one column per
/// synapse variable, and a delay (2 bytes) only when delays differ between
/// synapses. A spike of neuron i in step n reaches its synapse with delay d
/// (in steps, at least 1) in step n + d: `on_pre` runs and its result is
/// added to the target, which the post-synaptic neuron sees in its update of
/// step n + d + 1 (Brian2's order).
template <class Synapse, fixed_string Pre, fixed_string Post, fixed_string Target, fixed_string Name = fixed_string{},
          class Real = double>
class projection {
  static_assert(check_synapse_model<Synapse>());

 public:
  using element_kind = projection_tag;
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
      : rule_(std::move(rule)), initial_(std::move(init)), delay_spec_(std::move(delay)), params_(std::move(p)) {
    validate(params_);
  }

  /// A copy of the description of `other` (not built) under another name or precision.
  template <fixed_string N, class R>
  explicit projection(const projection<Synapse, Pre, Post, Target, N, R>& other)
      : rule_(other.rule_), initial_(other.initial_), delay_spec_(other.delay_spec_), params_(other.params_) {}

  [[nodiscard]] static constexpr std::string_view name() { return Name.view(); }

  /// Shared parameters.
  [[nodiscard]] const parameters_type& parameters() const { return params_; }
  /// Replaces the parameters after checking them.
  void set_parameters(const parameters_type& p) {
    validate(p);
    params_ = p;
  }
  static void validate(const parameters_type& p) {
    rules r(p);
    reflect::for_each_field(p, [&](std::string_view, const auto& value) {
      if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(value)>>)
        r.require(std::isfinite(value), r.name(&value) + " = " + detail::number(value) + ", must be finite");
    });
    if constexpr (requires { Synapse::check(p, r); }) Synapse::check(p, r);
    if (!r.violations().empty()) {
      std::string msg = where() + ": ";
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
  /// Bytes stored per synapse: post index, variables, delays (row pointers,
  /// one per pre neuron, are in bytes()).
  [[nodiscard]] std::size_t synapse_bytes() const {
    return post_.size() * sizeof(std::uint32_t) + size() * reflect::field_count<columns_type> * sizeof(Real) +
           delays_.size() * sizeof(delay_type);
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
    kernel::serial_team serial;
    index_by_post(n_post, serial);
  }

  /// Plasticity on or off (ANNarchy's enable_learning / disable_learning).
  /// Off: the synapses' variables are frozen (no continuous update, on_post
  /// is not called, what on_pre changes is dropped) while spikes are still
  /// delivered with what on_pre returns and the per-neuron traces go on, so
  /// learning can be switched back on at any step. Saved with the state.
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

  /// Replaces synapses and state with checked values read from a file.
  /// `delays` has one value per synapse, in steps; `now` is the current step.
  /// `team` (a kernel::serial_team or tbb_team: threads() and for_each)
  /// builds the post -> pre index on its threads.
  template <class Team>
  void restore(std::vector<std::uint64_t> row_ptr, std::vector<std::uint32_t> post, columns_type cols,
               const std::vector<delay_type>& delays, const std::vector<std::pair<std::uint64_t, std::uint32_t>>& transit,
               std::uint64_t now, pre_trace_columns pre_traces, post_trace_columns post_traces, std::size_t n_post,
               Team& team) {
    adopt(std::move(row_ptr), std::move(post), cols, std::span<const delay_type>(delays));
    const std::size_t max_delay = ring_.size() - 1;
    for (const auto& [step, i] : transit)
      if (step + max_delay >= now) ring_[step % ring_.size()].push_back(i);
    pre_traces_ = std::move(pre_traces);
    post_traces_ = std::move(post_traces);
    n_post_ = n_post;
    index_by_post(n_post, team);
  }
  /// The same on the calling thread.
  void restore(std::vector<std::uint64_t> row_ptr, std::vector<std::uint32_t> post, columns_type cols,
               const std::vector<delay_type>& delays, const std::vector<std::pair<std::uint64_t, std::uint32_t>>& transit,
               std::uint64_t now, pre_trace_columns pre_traces, post_trace_columns post_traces, std::size_t n_post) {
    kernel::serial_team serial;
    restore(std::move(row_ptr), std::move(post), std::move(cols), delays, transit, now, std::move(pre_traces),
            std::move(post_traces), n_post, serial);
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
  }

  /// Step n, after the neurons' update: records the spikes `pre_fired` of
  /// the pre population; runs the synapses' continuous update; decays the
  /// traces; delivers every spike whose delay ends now to `target` (on a
  /// spike's arrival: the pre trace's on_pre_spike, then on_pre of each of its
  /// synapses); then, for each post neuron in `post_fired`, on_post_spike and
  /// on_post of each synapse onto it. Fixed order: oldest emission first, then
  /// ascending pre index, then storage order; post neurons ascending.
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
      for (std::size_t d = slots - 1; d >= 1; --d) {
        if (n < d) continue;
        for (auto i : ring_[(n - d) % slots]) {
          const auto first = delays_.begin() + static_cast<std::ptrdiff_t>(row_ptr_[i]);
          const auto last = delays_.begin() + static_cast<std::ptrdiff_t>(row_ptr_[i + 1]);
          const auto range = std::equal_range(first, last, static_cast<delay_type>(d));
          arrivals_.push_back({i, static_cast<std::uint64_t>(range.first - delays_.begin()),
                               static_cast<std::uint64_t>(range.second - delays_.begin())});
        }
      }
    }
    if constexpr (has_on_pre_spike) {
      arrival_traces_.clear();
      for (const auto& spike : arrivals_) {
        auto a = load(pre_traces_, spike.pre);
        Synapse::on_pre_spike(a, params_);
        save(pre_traces_, spike.pre, a);
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
    constexpr std::size_t ahead = 4;  // rows in flight: measured best for rows of 16-80 synapses
    const std::size_t count = arrivals_.size();
    for (std::size_t s = 0; s < std::min(ahead, count); ++s) prefetch_part(arrivals_[s], part);
    for (std::size_t s = 0; s < count; ++s) {
      if (s + ahead < count) prefetch_part(arrivals_[s + ahead], part);
      const auto& spike = arrivals_[s];
      auto [first, last] = part.range(spike.pre, spike.first, spike.last);
      if constexpr (has_on_pre_spike)
        arrive(arrival_traces_[s], first, last, target);
      else
        arrive(load(pre_traces_, spike.pre), first, last, target);
    }

    if constexpr (model::has_on_post<Synapse, Real> || model::has_post_trace<Synapse>) {
      auto j_at = std::lower_bound(post_fired.begin(), post_fired.end(), lo);
      for (; j_at != post_fired.end() && *j_at < hi; ++j_at) {
        const auto j = *j_at;
        auto b = load(post_traces_, j);
        if constexpr (requires { Synapse::on_post_spike(b, params_); }) Synapse::on_post_spike(b, params_);
        save(post_traces_, j, b);
        if constexpr (model::has_on_post<Synapse, Real>)
          for (auto e = post_ptr_[j]; e < post_ptr_[j + 1] && learning_; ++e) {
            const auto [k, i] = by_post_[e];
            auto s = synapse(k);
            model::on_post<Synapse, Real>(s, load(pre_traces_, i), b, params_);
            store(k, s);
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

 private:
  template <class, fixed_string, fixed_string, fixed_string, fixed_string, class>
  friend class projection;

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
    piece_of(const projection& proj, std::size_t lo, std::size_t hi)
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
    const projection& proj_;
    std::size_t lo_, hi_;
    bool whole_;
    std::size_t lo_cut_ = ~std::size_t{0}, hi_cut_ = ~std::size_t{0};
  };

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

  static std::string where() {
    return "projection '" + std::string(Name.empty() ? "(unnamed)" : Name.view()) + "' (" + std::string(Pre.view()) +
           " -> " + std::string(Post.view()) + "." + std::string(Target.view()) + ")";
  }

  static std::vector<std::uint32_t> pre_of(const std::vector<std::uint64_t>& row_ptr, std::size_t n) {
    std::vector<std::uint32_t> out(n);
    for (std::size_t i = 0; i + 1 < row_ptr.size(); ++i)
      for (auto k = row_ptr[i]; k < row_ptr[i + 1]; ++k) out[k] = static_cast<std::uint32_t>(i);
    return out;
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
  void adopt(std::vector<std::uint64_t> row_ptr, std::vector<std::uint32_t> post, columns_type& cols,
             std::span<const Step> steps) {
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
      std::vector<Step> sorted(n);
      for (std::size_t k = 0; k < n; ++k) sorted[k] = steps[order[k]];
      set_delays(sorted, uniform);
    }
    if (ordered) set_delays(steps, uniform);
    row_ptr_ = std::move(row_ptr);
    ring_.assign((n == 0 ? 1 : static_cast<std::size_t>(*std::max_element(steps.begin(), steps.end()))) + 1, {});
    index_cuts();
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
  // row's post neurons ascend and its part is found by bisection.
  template <class Team>
  void index_by_post(std::size_t n_post, Team& team) {
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
    for (std::size_t k = post_from; k < post_to; k += 64 / sizeof(std::uint32_t)) prefetch(post_.data() + k);
    reflect::for_each_field(columns_, [&](auto, const std::vector<Real>& c) {
      for (std::size_t k = first; k < last; k += 64 / sizeof(Real)) prefetch(c.data() + k);
    });
  }
  static void prefetch(const void* address) {
    __builtin_prefetch(address);
    // GCC deletes loops that only prefetch (-ffinite-loops); this keeps them.
    asm volatile("" : : "r"(address));
  }

  // A spike reaches synapses [first, last); `a` is its pre neuron's trace after the arrival.
  void arrive(const model::pre_trace_t<Synapse, Real>& a, std::size_t first, std::size_t last, Real* tgt) {
    for (std::size_t k = first; k < last; ++k) {
      if constexpr (model::on_pre_reads_only<Synapse, Real>) {
        const variables_type<Real> s = synapse(k);
        tgt[post_[k]] += model::on_pre<Synapse, Real>(s, a, load(post_traces_, post_[k]), params_);
      } else {
        variables_type<Real> s = synapse(k);
        const Real value = model::on_pre<Synapse, Real>(s, a, load(post_traces_, post_[k]), params_);
        if (learning_) store(k, s);
        tgt[post_[k]] += value;
      }
    }
  }

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
  double dt_ = 0.1;
  bool learning_ = true;
  // Scratch of the current step (record() to deliver()), never saved.
  std::vector<arrival> arrivals_;
  std::vector<model::pre_trace_t<Synapse, Real>> arrival_traces_;
};

}  // namespace spikeweave
