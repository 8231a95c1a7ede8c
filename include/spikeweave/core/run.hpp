// Run control: options of simulate and reset, stop conditions, the progress bar.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <utility>

#include <unistd.h>

#include "../model/fixed_string.hpp"

namespace spikeweave {

/// When simulate shows a progress bar on stderr.
enum class progress_mode { automatic, always, never };

/// Options of simulate and simulate_until.
struct simulate_options {
  bool measure_time = false;                   ///< print the wall time, as ANNarchy does
  progress_mode progress = progress_mode::automatic;  ///< automatic: only when stderr is a terminal
};

/// What reset() resets (ANNarchy's flags and defaults).
struct reset_options {
  bool populations = true;   ///< neurons to their initial values
  bool projections = false;  ///< synapse variables and traces to their initial values
  bool synapses = false;     ///< connectivity remade from the rule
  bool monitors = true;      ///< recorded data emptied
};

/// A stop condition on population `Population`: `f(pop)` returns true to stop.
template <fixed_string Population, class F>
struct population_condition {
  F f;
  template <class Net>
  bool operator()(Net& net) const {
    return f(net.template population<Population>());
  }
};

/// `stop_when<"E">([](const auto& pop) { return pop.spike_count() > 100; })`
template <fixed_string Population, class F>
population_condition<Population, F> stop_when(F f) {
  return {std::move(f)};
}

/// Stops when any of the conditions holds.
template <class... C>
auto any_of(C... c) {
  return [=](auto& net) { return (c(net) || ...); };
}
/// Stops when all of the conditions hold.
template <class... C>
auto all_of(C... c) {
  return [=](auto& net) { return (c(net) && ...); };
}

namespace run {

using clock = std::chrono::steady_clock;
inline double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

/// A one-line progress bar on stderr: percentage, simulated ms, simulated ms
/// per wall second and the estimated time left; redrawn at most 5 times a second.
class progress_bar {
 public:
  progress_bar(progress_mode mode, std::uint64_t steps, double dt)
      : on_(steps > 0 && (mode == progress_mode::always || (mode == progress_mode::automatic && ::isatty(2) != 0))),
        steps_(steps),
        dt_(dt),
        start_(clock::now()),
        last_(start_) {}

  void update(std::uint64_t done) {
    if (!on_) return;
    const auto now = clock::now();
    if (done != steps_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double wall = std::chrono::duration<double>(now - start_).count();
    const double simulated = static_cast<double>(done) * dt_, total = static_cast<double>(steps_) * dt_;
    const double speed = wall > 0 ? simulated / wall : 0;
    const double eta = speed > 0 ? (total - simulated) / speed : 0;
    const int width = 30, filled = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(steps_));
    char bar[width + 1];
    for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    std::fprintf(stderr, "\r[%s] %3.0f%% %.1f/%.1f ms, %.0f ms/s, ETA %.1f s ", bar,
                 100.0 * static_cast<double>(done) / static_cast<double>(steps_), simulated, total, speed, eta);
    std::fflush(stderr);
  }
  void finish() {
    if (on_) std::fprintf(stderr, "\n");
    on_ = false;
  }

 private:
  bool on_;
  std::uint64_t steps_;
  double dt_;
  clock::time_point start_, last_;
};

}  // namespace run
}  // namespace spikeweave
