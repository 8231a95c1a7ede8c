// Monitors: spike, state and population-rate recorders, network elements like populations.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../model/fixed_string.hpp"
#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "array.hpp"

namespace spikeweave {

/// Marks the network elements that are monitors.
struct monitor_tag {};

/// What every monitor takes.
struct monitor_options {
  std::vector<std::uint32_t> neurons;  ///< which neurons (empty: all)
  double period = 0;                   ///< [ms] sampling period of state monitors (0: every step)
  double period_offset = 0;            ///< [ms] first sample at this time (then every period)
  bool start = true;                   ///< record from the start; false: from resume()
  std::vector<std::string> variables;  ///< state monitors: variables named at run time
};

namespace detail {

// Recording control shared by the monitors: pause, resume, stop, period.
class recorder {
 public:
  explicit recorder(monitor_options o) : options_(std::move(o)), active_(options_.start) {}

  /// Records from now on.
  void resume() { active_ = true; }
  /// Records nothing until resume().
  void pause() { active_ = false; }
  /// Pauses and forgets what was recorded.
  void stop() {
    pause();
    clear();
  }
  [[nodiscard]] bool recording() const { return active_; }
  [[nodiscard]] const monitor_options& options() const { return options_; }
  virtual void clear() = 0;

 protected:
  ~recorder() = default;

  // Checks the options against the population; `where` names the monitor.
  void attach(std::size_t population_size, double dt, const std::string& where) {
    dt_ = dt;
    for (auto i : options_.neurons)
      if (i >= population_size)
        throw config_error(where + ": neuron " + std::to_string(i) + " is not in the population (" +
                           std::to_string(population_size) + " neurons)");
    if (!(options_.period >= 0) || !std::isfinite(options_.period) || (options_.period > 0 && options_.period < dt))
      throw config_error(where + ": period = " + detail::number(options_.period) +
                         " ms, must be 0 (every step) or at least dt = " + detail::number(dt) + " ms");
    if (!(options_.period_offset >= 0) || !std::isfinite(options_.period_offset))
      throw config_error(where + ": period_offset = " + detail::number(options_.period_offset) +
                         " ms, must be finite and >= 0");
    period_steps_ = options_.period == 0 ? 1 : static_cast<std::uint64_t>(std::llround(options_.period / dt));
    offset_steps_ = static_cast<std::uint64_t>(std::llround(options_.period_offset / dt));
    if (options_.neurons.empty()) {
      options_.neurons.resize(population_size);
      for (std::size_t i = 0; i < population_size; ++i) options_.neurons[i] = static_cast<std::uint32_t>(i);
    }
  }
  // True if step n is a sampling step.
  [[nodiscard]] bool due(std::uint64_t n) const {
    return active_ && n >= offset_steps_ && (n - offset_steps_) % period_steps_ == 0;
  }

  monitor_options options_;
  bool active_;
  double dt_ = 0.1;
  std::uint64_t period_steps_ = 1, offset_steps_ = 0;
};

// Times [ms] of recorded steps.
inline array<double> times_of(const std::vector<std::uint64_t>& steps, double dt) {
  array<double> t({steps.size()});
  for (std::size_t k = 0; k < steps.size(); ++k) t[k] = static_cast<double>(steps[k]) * dt;
  return t;
}

}  // namespace detail

/// Records the spikes of population `Population` (or of some of its neurons).
template <fixed_string Name, fixed_string Population>
class spike_monitor : public detail::recorder {
 public:
  using element_kind = monitor_tag;
  static constexpr const char* kind = "spike";
  static constexpr fixed_string static_name = Name;
  static constexpr fixed_string population_name = Population;

  explicit spike_monitor(monitor_options o = {}) : recorder(std::move(o)) {}

  [[nodiscard]] static constexpr std::string_view name() { return Name.view(); }
  /// Spike times [ms].
  [[nodiscard]] array<double> times() const { return detail::times_of(steps_, dt_); }
  /// Index of the neuron of each spike, in the population.
  [[nodiscard]] array_view<std::uint32_t> indices() const { return indices_; }
  [[nodiscard]] const std::vector<std::uint32_t>& index_data() const { return indices_; }
  /// Steps of the spikes.
  [[nodiscard]] const std::vector<std::uint64_t>& steps() const { return steps_; }
  /// Spikes recorded.
  [[nodiscard]] std::size_t size() const { return steps_.size(); }
  void clear() override {
    steps_.clear();
    indices_.clear();
  }
  /// Replaces the recorded spikes (a loaded state; checked by the loader).
  void restore(std::vector<std::uint64_t> steps, std::vector<std::uint32_t> indices) {
    steps_ = std::move(steps);
    indices_ = std::move(indices);
  }

  template <class Pop>
  void attach(const Pop& pop, double dt) {
    recorder::attach(pop.size(), dt, "spike_monitor '" + std::string(Name.view()) + "'");
    all_ = options_.neurons.size() == pop.size();
    std::vector<bool> wanted(pop.size(), all_);
    for (auto i : options_.neurons) wanted[i] = true;
    wanted_ = std::move(wanted);
  }
  /// After the update of step n.
  template <class Pop>
  void after_update(const Pop& pop, std::uint64_t n) {
    if (!active_) return;
    for (auto i : pop.spikes())
      if (all_ || wanted_[i]) {
        steps_.push_back(n);
        indices_.push_back(i);
      }
  }
  template <class Pop>
  void before_update(const Pop&, std::uint64_t) {}

 private:
  std::vector<std::uint64_t> steps_;
  std::vector<std::uint32_t> indices_;
  std::vector<bool> wanted_;
  bool all_ = true;
};

/// Samples variables of population `Population` every `period` ms, at the
/// start of a step: the values at time t = step * dt, as Brian2's
/// StateMonitor. Variables named as template arguments are checked at
/// compile time; `options.variables` names them at run time instead.
template <fixed_string Name, fixed_string Population, fixed_string... Variables>
class state_monitor : public detail::recorder {
 public:
  using element_kind = monitor_tag;
  static constexpr const char* kind = "state";
  static constexpr fixed_string static_name = Name;
  static constexpr fixed_string population_name = Population;

  explicit state_monitor(monitor_options o = {}) : recorder(std::move(o)) {
    if constexpr (sizeof...(Variables) > 0) {
      if (!options_.variables.empty())
        throw config_error("state_monitor '" + std::string(Name.view()) +
                           "': variables are named as template arguments; leave options.variables empty");
      options_.variables = {std::string(Variables.view())...};
    }
  }

  [[nodiscard]] static constexpr std::string_view name() { return Name.view(); }
  /// Sampling times [ms].
  [[nodiscard]] array<double> times() const { return detail::times_of(steps_, dt_); }
  /// Steps of the samples.
  [[nodiscard]] const std::vector<std::uint64_t>& steps() const { return steps_; }
  /// The recorded neurons.
  [[nodiscard]] const std::vector<std::uint32_t>& neurons() const { return options_.neurons; }
  /// The recorded variables.
  [[nodiscard]] const std::vector<std::string>& variables() const { return options_.variables; }
  /// Samples of `variable`: shape (samples, neurons); config_error if it is not recorded.
  [[nodiscard]] array<double, 2> data(std::string_view variable) const {
    const auto v = variable_index(variable);
    const std::size_t n = options_.neurons.size(), nv = options_.variables.size();
    array<double, 2> out({steps_.size(), n});
    for (std::size_t k = 0; k < steps_.size(); ++k)
      for (std::size_t i = 0; i < n; ++i) out(k, i) = values_[(k * nv + v) * n + i];
    return out;
  }
  void clear() override {
    steps_.clear();
    values_.clear();
  }
  /// Every sample: [sample][variable][neuron].
  [[nodiscard]] const std::vector<double>& value_data() const { return values_; }
  /// Replaces the samples (a loaded state; checked by the loader).
  void restore(std::vector<std::uint64_t> steps, std::vector<double> values) {
    steps_ = std::move(steps);
    values_ = std::move(values);
  }

  template <class Pop>
  void attach(Pop& pop, double dt) {
    const std::string where = "state_monitor '" + std::string(Name.view()) + "'";
    if constexpr (sizeof...(Variables) > 0) {
      static_assert((reflect::require_field<typename Pop::columns_type, Variables>() && ...),
                    "spikeweave: a state_monitor names a variable the population's model does not have "
                    "(`no_member_named<the model's variables, the name, the names it has>` above)");
    } else {
      if (options_.variables.empty()) throw config_error(where + ": no variable to record");
      for (const auto& v : options_.variables) (void)pop.var(v);  // config_error naming the unknown one
    }
    recorder::attach(pop.size(), dt, where);
  }
  template <class Pop>
  void before_update(Pop& pop, std::uint64_t n) {
    if (!due(n)) return;
    steps_.push_back(n);
    for (const auto& v : options_.variables) {
      const auto column = pop.var(v);
      for (auto i : options_.neurons) values_.push_back(static_cast<double>(column[i]));
    }
  }
  template <class Pop>
  void after_update(const Pop&, std::uint64_t) {}

 private:
  [[nodiscard]] std::size_t variable_index(std::string_view variable) const {
    for (std::size_t v = 0; v < options_.variables.size(); ++v)
      if (options_.variables[v] == variable) return v;
    throw config_error("state_monitor '" + std::string(Name.view()) + "' does not record '" + std::string(variable) + "'");
  }

  std::vector<std::uint64_t> steps_;
  std::vector<double> values_;  // [sample][variable][neuron]
};

/// The population rate of `Population` (or of some of its neurons) in every
/// step: spikes / (neurons dt), in Hz, as Brian2's PopulationRateMonitor.
template <fixed_string Name, fixed_string Population>
class rate_monitor : public detail::recorder {
 public:
  using element_kind = monitor_tag;
  static constexpr const char* kind = "rate";
  static constexpr fixed_string static_name = Name;
  static constexpr fixed_string population_name = Population;

  explicit rate_monitor(monitor_options o = {}) : recorder(std::move(o)) {}

  [[nodiscard]] static constexpr std::string_view name() { return Name.view(); }
  /// Times of the steps [ms].
  [[nodiscard]] array<double> times() const { return detail::times_of(steps_, dt_); }
  /// Rates [Hz].
  [[nodiscard]] array_view<double> rates() const { return rates_; }
  [[nodiscard]] const std::vector<double>& rate_data() const { return rates_; }
  [[nodiscard]] const std::vector<std::uint64_t>& steps() const { return steps_; }
  void clear() override {
    steps_.clear();
    rates_.clear();
  }
  /// Replaces the recorded rates (a loaded state; checked by the loader).
  void restore(std::vector<std::uint64_t> steps, std::vector<double> rates) {
    steps_ = std::move(steps);
    rates_ = std::move(rates);
  }

  template <class Pop>
  void attach(const Pop& pop, double dt) {
    recorder::attach(pop.size(), dt, "rate_monitor '" + std::string(Name.view()) + "'");
    all_ = options_.neurons.size() == pop.size();
    wanted_.assign(pop.size(), all_);
    for (auto i : options_.neurons) wanted_[i] = true;
  }
  template <class Pop>
  void after_update(const Pop& pop, std::uint64_t n) {
    if (!active_) return;
    std::size_t spikes = 0;
    for (auto i : pop.spikes()) spikes += all_ || wanted_[i];
    steps_.push_back(n);
    rates_.push_back(static_cast<double>(spikes) / (static_cast<double>(options_.neurons.size()) * dt_ * 1e-3));
  }
  template <class Pop>
  void before_update(const Pop&, std::uint64_t) {}

 private:
  std::vector<std::uint64_t> steps_;
  std::vector<double> rates_;
  std::vector<bool> wanted_;
  bool all_ = true;
};

}  // namespace spikeweave
