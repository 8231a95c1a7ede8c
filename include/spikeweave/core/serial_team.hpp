// kernel::serial_team: chunks of work one after the other, on the calling thread.
//
// The team a network runs on without TBB (kernel.hpp has the TBB one), and
// the one a projection indexes its synapses with when no network lends it
// its threads. A header of its own so that projection.hpp needs no xsimd.
#pragma once

#include <cstddef>
#include <utility>

namespace spikeweave::kernel {

/// Runs chunks of work one after the other, on the calling thread.
class serial_team {
 public:
  serial_team() = default;
  explicit serial_team(std::size_t /*threads*/) {}
  [[nodiscard]] static constexpr std::size_t threads() { return 1; }
  /// Runs f() (a step or a run of steps: the span in which for_each may use threads).
  template <class F>
  void run(F&& f) {
    f();
  }
  /// Calls f(c) for c in [0, chunks), in order.
  template <class F>
  void for_each(std::size_t chunks, F&& f) {
    for (std::size_t c = 0; c < chunks; ++c) f(c);
  }
  /// The same (for_each for pieces of unequal size).
  template <class F>
  void for_each_dynamic(std::size_t chunks, F&& f) {
    for_each(chunks, std::forward<F>(f));
  }
};

}  // namespace spikeweave::kernel
