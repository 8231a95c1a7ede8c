// Population<Neuron>: a named group of neurons of one model, stored as one column per variable.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../model/fixed_string.hpp"
#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "column.hpp"
#include "initial.hpp"
#include "kernel.hpp"

namespace spikeweave {

/// Marks the network elements that are populations.
struct population_tag {};

/// Spikes given in advance: neuron indices[k] fires at times[k] ms.
struct spike_times {
  std::vector<std::uint32_t> indices;
  std::vector<double> times;  ///< [ms]
};

/// A group of `size()` neurons of model `Neuron`, named `Name` (empty: the
/// network names it pop<k>, k its index among the populations), stored in precision `Real`.
///
/// Parameters are shared by the population; variables are one aligned column
/// each, reached by name as members: `pop.columns().v[i]`.
template <class Neuron, fixed_string Name = fixed_string{}, class Real = double>
class population {
  static_assert(check_neuron_model<Neuron>());
  static_assert(std::is_floating_point_v<Real>, "spikeweave: a population's precision is float or double");

 public:
  using element_kind = population_tag;
  using model_type = Neuron;
  using real_type = Real;
  using parameters_type = model::parameters_t<Neuron>;
  using derived_type = model::derived_t<Neuron>;
  template <class T>
  using variables_type = model::variables_t<Neuron, T>;
  /// One initial_value per variable: `{.v = uniform(-60, -50)}`.
  using initial_values = variables_type<initial_value>;
  /// One column per variable.
  using columns_type = variables_type<column<Real>>;

  static constexpr fixed_string static_name = Name;
  template <fixed_string N, class R>
  using rebind = population<Neuron, N, R>;

  /// `size` neurons with parameters `p`, starting from `init`.
  explicit population(std::size_t size, parameters_type p = {}, initial_values init = {})
      : size_(size), params_(std::move(p)), initial_(std::move(init)) {
    if (size_ > std::numeric_limits<std::uint32_t>::max())
      throw config_error("population '" + std::string(Name.view()) + "': size = " + std::to_string(size_) +
                         ", must be < 2^32");
    validate(params_);
    validate_initial();
    allocate();
    reset();
  }

  /// `size` neurons that fire at the given times (NEST's spike_generator,
  /// Brian2's SpikeGeneratorGroup; see set_spike_times):
  /// `{3, sw::spike_times{.indices = {0, 2}, .times = {5, 12.5}}}`. The
  /// schedule must be named `sw::spike_times` (a template parameter is never
  /// deduced from `{}`), so `{n, {}}` and `{n, {}, {}}` mean parameters and
  /// initial values.
  template <std::same_as<spike_times> Schedule>
  population(std::size_t size, Schedule schedule, parameters_type p = {}, initial_values init = {})
      : population(size, std::move(p), std::move(init)) {
    set_spike_times(std::move(schedule));
  }

  /// A copy of the description of `other` (size, parameters, initial values,
  /// spike times) under another name or precision, in its initial state.
  template <fixed_string N, class R>
  explicit population(const population<Neuron, N, R>& other, random::key rng = {})
      : size_(other.size()), params_(other.parameters()), initial_(other.initial()), rng_(rng),
        schedule_(other.schedule_) {
    allocate();
    reset();
  }

  /// Name as given, or empty when the network assigns one.
  [[nodiscard]] static constexpr std::string_view name() { return Name.view(); }
  [[nodiscard]] std::size_t size() const { return size_; }

  /// Shared parameters.
  [[nodiscard]] const parameters_type& parameters() const { return params_; }
  /// Replaces the parameters after checking them (config_error on a broken rule).
  void set_parameters(const parameters_type& p) {
    validate(p);
    params_ = p;
    derived_dt_ = std::numeric_limits<double>::quiet_NaN();
  }
  /// Throws config_error if `p` breaks a rule of the model (every value finite,
  /// plus the model's own `check`), naming the population, parameter, value and rule.
  static void validate(const parameters_type& p) {
    rules r(p);
    reflect::for_each_field(p, [&](std::string_view, const auto& value) {
      if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(value)>>)
        r.require(std::isfinite(value), r.name(&value) + " = " + detail::number(value) + ", must be finite");
    });
    if constexpr (model::has_check<Neuron>) Neuron::check(p, r);
    if (!r.violations().empty()) {
      std::string msg = "population '" + std::string(Name.empty() ? "(unnamed)" : Name.view()) + "': ";
      for (std::size_t i = 0; i < r.violations().size(); ++i) msg += (i ? "; " : "") + r.violations()[i];
      throw config_error(msg);
    }
  }

  /// The parameter named at run time, as a double; config_error if there is none.
  [[nodiscard]] double parameter(std::string_view param) const {
    double out = 0;
    visit_parameter(params_, param, [&](auto& field) { out = static_cast<double>(field); });
    return out;
  }
  /// Sets the parameter named at run time, after checking every rule.
  void set_parameter(std::string_view param, double value) {
    parameters_type p = params_;
    visit_parameter(p, param, [&](auto& field) { field = static_cast<std::remove_cvref_t<decltype(field)>>(value); });
    set_parameters(p);
  }

  /// Initial values, as given.
  [[nodiscard]] const initial_values& initial() const { return initial_; }

  /// The state: one column per variable, e.g. `columns().v`.
  columns_type& columns() { return columns_; }
  const columns_type& columns() const { return columns_; }

  /// The column of variable `Var`, checked at compile time.
  template <fixed_string Var>
  column<Real>& var() {
    constexpr std::size_t i = reflect::field_index<columns_type>(Var.view());
    static_assert(i < reflect::field_count<columns_type>, "spikeweave: the neuron model has no such variable");
    return reflect::get<(i < reflect::field_count<columns_type> ? i : 0)>(columns_);
  }

  /// The column of a variable named at run time; config_error if there is none.
  std::span<Real> var(std::string_view var_name) {
    std::span<Real> out;
    bool found = false;
    reflect::for_each_field(columns_, [&](std::string_view n, column<Real>& c) {
      if (n == var_name) {
        out = c;
        found = true;
      }
    });
    if (!found) {
      std::string known;
      for (auto n : variable_names()) known += (known.empty() ? "" : ", ") + std::string(n);
      throw config_error("population '" + std::string(Name.view()) + "': no variable '" +
                         std::string(var_name) + "' (the model has: " + known + ")");
    }
    return out;
  }

  /// Names of the model's variables, in declaration order.
  static constexpr auto variable_names() { return reflect::field_names<columns_type>(); }

  /// Remaining refractory steps per neuron (0: not refractory); empty for
  /// models without a refractory period.
  [[nodiscard]] const column<Real>& refractory_counter() const { return refractory_; }

  /// Replaces the state with checked values read from a file: one column per
  /// variable, the refractory counters, the last step's spikes, the spike count.
  void restore(const columns_type& columns, const column<Real>& refractory, std::vector<std::uint32_t> spikes,
               std::uint64_t spike_count) {
    columns_ = columns;
    reflect::for_each_field(columns_, [](auto, column<Real>& c) { c.fill_padding(); });
    refractory_ = refractory;
    spikes_ = std::move(spikes);
    spike_count_ = spike_count;
  }

  /// Indices of the neurons that fired in the last step, ascending.
  [[nodiscard]] std::span<const std::uint32_t> spikes() const { return spikes_; }
  /// Spikes fired since the last reset.
  [[nodiscard]] std::uint64_t spike_count() const { return spike_count_; }

  /// Back to the initial state: initial values applied, nobody refractory, no spikes.
  void reset() {
    const auto defaults = model_defaults();
    std::uint32_t field = 0;
    reflect::for_each_field_of(
        [&](auto, column<Real>& c, const initial_value& init, const double& fallback) {
          for (std::size_t i = 0; i < size_; ++i)
            c[i] = static_cast<Real>(init.value(i, fallback, init_key(), field));
          c.fill_padding();
          ++field;
        },
        columns_, initial_, defaults);
    std::fill(refractory_.data(), refractory_.data() + refractory_.padded_size(), Real(0));
    spikes_.clear();
    spike_count_ = 0;
  }

  /// Gives the population another generator key (a network copy with another
  /// seed); call reset() to apply it to the initial values.
  void rekey(random::key rng) { rng_ = rng; }

  /// Generator key of this population (set by the network from its seed).
  [[nodiscard]] random::key rng() const { return rng_; }

  /// Refractory period in whole steps of dt, rounded as Brian2 does:
  /// floor(t_ref / dt + 0.001).
  [[nodiscard]] double refractory_steps(double dt) const {
    if constexpr (model::has_refractory<Neuron>)
      return std::floor(Neuron::refractory(params_) / dt + 1e-3);
    else
      return 0;
  }

  /// Neuron indices[k] fires in the step of times[k] ms (the step k with
  /// k dt nearest to it), whatever its model does; the model's reset and
  /// refractoriness do not apply to these spikes. Replaces earlier times;
  /// config_error naming the entry on an index out of range or a time that is
  /// negative or not finite. Part of the population's description, like its
  /// parameters: not of its state (a loaded network keeps its own).
  void set_spike_times(spike_times s) {
    if (s.indices.size() != s.times.size())
      throw config_error("population '" + std::string(Name.view()) + "': spike times: " +
                         std::to_string(s.indices.size()) + " indices but " + std::to_string(s.times.size()) + " times");
    std::vector<std::pair<double, std::uint32_t>> schedule;
    for (std::size_t k = 0; k < s.times.size(); ++k) {
      if (s.indices[k] >= size_)
        throw config_error("population '" + std::string(Name.view()) + "': spike " + std::to_string(k) + ": neuron " +
                           std::to_string(s.indices[k]) + ", the population has " + std::to_string(size_));
      if (!(s.times[k] >= 0) || !std::isfinite(s.times[k]))
        throw config_error("population '" + std::string(Name.view()) + "': spike " + std::to_string(k) + ": t = " +
                           detail::number(s.times[k]) + " ms, must be finite and >= 0");
      schedule.emplace_back(s.times[k], s.indices[k]);
    }
    std::sort(schedule.begin(), schedule.end());
    schedule_ = std::move(schedule);
  }
  /// The spikes given in advance, by time.
  [[nodiscard]] const std::vector<std::pair<double, std::uint32_t>>& scheduled_spikes() const { return schedule_; }

  /// Neurons per SIMD batch: the update loop runs over whole batches.
  static constexpr std::size_t lanes = column<Real>::lanes;
  /// size() rounded up to whole batches: the range the update loop covers.
  [[nodiscard]] std::size_t padded_size() const { return (size_ + lanes - 1) / lanes * lanes; }

  /// Advances every neuron by one step of dt ms from time t (step number `step`).
  void advance(double dt, double t, std::uint64_t step) {
    begin_step(dt);
    advance_range(dt, t, step, 0, padded_size(), spikes_);
    end_step(dt, step);
  }

  /// advance() in parts, for a step split among threads: begin_step once;
  /// advance_range on pieces that cover [0, padded_size()), each starting at
  /// a multiple of `lanes`, concurrently if they like; append_spikes with
  /// each piece's spikes, pieces in ascending order; end_step once. Every
  /// neuron runs the same instructions whatever the split, so the result
  /// is that of advance().
  void begin_step(double dt) {
    if (dt != derived_dt_) {
      derived_ = model::derive<Neuron>(params_, dt);
      derived_dt_ = dt;
    }
    spikes_.clear();
  }
  /// Advances neurons [begin, end) and appends those that fired to `out`, ascending.
  void advance_range(double dt, double t, std::uint64_t step, std::size_t begin, std::size_t end,
                     std::vector<std::uint32_t>& out) {
    const kernel::step_args<Neuron> args{params_, derived_, dt, t, step, rng_, refractory_steps(dt)};
    kernel::advance<Neuron, Real>(columns_, &refractory_, args, begin, end, size_, out);
  }
  void append_spikes(std::span<const std::uint32_t> fired) { spikes_.insert(spikes_.end(), fired.begin(), fired.end()); }
  void end_step(double dt, std::uint64_t step) {
    if (!schedule_.empty()) add_scheduled(dt, step);
    spike_count_ += spikes_.size();
  }

 private:
  template <class, fixed_string, class>
  friend class population;

  // The spikes scheduled for this step join the model's, in ascending order.
  void add_scheduled(double dt, std::uint64_t step) {
    const auto step_of = [dt](double t) { return static_cast<std::uint64_t>(std::llround(t / dt)); };
    auto it = std::partition_point(schedule_.begin(), schedule_.end(), [&](const auto& e) { return step_of(e.first) < step; });
    const std::size_t before = spikes_.size();
    for (; it != schedule_.end() && step_of(it->first) == step; ++it) spikes_.push_back(it->second);
    if (spikes_.size() == before) return;
    std::sort(spikes_.begin(), spikes_.end());
    spikes_.erase(std::unique(spikes_.begin(), spikes_.end()), spikes_.end());
  }

  // Initial values use their own stream: bit 19 of the stream set.
  [[nodiscard]] random::key init_key() const { return {rng_.seed, rng_.stream | 0x80000u}; }

  [[nodiscard]] variables_type<double> model_defaults() const {
    if constexpr (model::has_initial<Neuron>)
      return Neuron::initial(params_);
    else
      return variables_type<double>{};
  }

  template <class P>  // parameters_type, const or not
  static void visit_parameter(P& p, std::string_view param, auto&& f) {
    bool found = false;
    std::string known;
    reflect::for_each_field(p, [&](std::string_view n, auto& field) {
      if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(field)>>) {
        known += (known.empty() ? "" : ", ") + std::string(n);
        if (n == param) {
          f(field);
          found = true;
        }
      }
    });
    if (!found)
      throw config_error("population '" + std::string(Name.view()) + "': no parameter '" + std::string(param) +
                         "' (the model has: " + known + ")");
  }

  void validate_initial() const {
    reflect::for_each_field(initial_, [&](std::string_view var_name, const initial_value& init) {
      auto fail = [&](const std::string& rule) {
        throw config_error("population '" + std::string(Name.view()) + "': initial value of '" +
                           std::string(var_name) + "' " + rule);
      };
      using k = initial_value::kind;
      if (init.how == k::array && init.values.size() != size_)
        fail("has " + std::to_string(init.values.size()) + " values, the population has " +
             std::to_string(size_) + " neurons");
      if (init.how == k::constant && !std::isfinite(init.a)) fail("= " + detail::number(init.a) + ", must be finite");
      if (init.how == k::uniform && !(init.a <= init.b && std::isfinite(init.a) && std::isfinite(init.b)))
        fail("uniform(" + detail::number(init.a) + ", " + detail::number(init.b) + "): needs finite lo <= hi");
      if (init.how == k::normal && !(init.b >= 0 && std::isfinite(init.a) && std::isfinite(init.b)))
        fail("normal(" + detail::number(init.a) + ", " + detail::number(init.b) + "): needs a finite mean and sd >= 0");
      if (init.bound != initial_value::bounds::none)
        if (const std::string problem = init.problem(); !problem.empty()) fail(init.describe() + ": " + problem);
    });
  }

  void allocate() {
    reflect::for_each_field(columns_, [&](std::string_view, column<Real>& c) { c = column<Real>(size_); });
    // Only models with a refractory period keep a counter per neuron.
    refractory_ = column<Real>(model::has_refractory<Neuron> ? size_ : 0);
  }

  std::size_t size_;
  parameters_type params_;
  initial_values initial_;
  random::key rng_{};
  columns_type columns_{};
  column<Real> refractory_;
  derived_type derived_{};
  double derived_dt_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::uint32_t> spikes_;
  std::uint64_t spike_count_ = 0;
  std::vector<std::pair<double, std::uint32_t>> schedule_;  // (time [ms], neuron), by time
};

}  // namespace spikeweave
