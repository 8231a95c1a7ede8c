// The fused update loop: one pass over all variables of a population per step, in xsimd batches.
//
// For each batch of neurons the loop loads every variable once, counts down
// the refractory period, calls the model's update, gates the spike condition
// by refractoriness, applies the reset where a neuron fired, stores every
// variable once and appends the indices of the neurons that fired, in
// ascending order. The last, partial batch runs on padding, so every neuron
// goes through the same instructions wherever it sits: results do not depend
// on how a population is split.
//
// The parallel driver: a network splits each step's work into chunks of
// neurons and runs them on a team, serial_team (one after the other) or,
// when the program links spikeweave::tbb (which defines SPIKEWEAVE_HAS_TBB),
// tbb_team (on a tbb::task_arena of the chosen size). Compile every
// translation unit of a program with the same setting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "serial_team.hpp"

#if defined(SPIKEWEAVE_HAS_TBB) && SPIKEWEAVE_HAS_TBB
#if !__has_include(<tbb/task_arena.h>)
#error "spikeweave: SPIKEWEAVE_HAS_TBB is set but <tbb/task_arena.h> is missing (Debian: libtbb-dev)"
#endif
#include <algorithm>
#include <memory>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#endif

#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "column.hpp"

namespace spikeweave::kernel {

/// Everything one call of the loop needs besides the state.
template <class Neuron>
struct step_args {
  const model::parameters_t<Neuron>& p;
  const model::derived_t<Neuron>& d;
  double dt;
  double t;
  std::uint64_t step;
  random::key rng;
  double refractory_steps;  // steps a neuron stays refractory after a spike
};

/// Advances neurons [begin, end) of `columns` by one step. `begin` must be a
/// multiple of the batch size; `size` is the number of real neurons.
/// Appends the neurons that fired to `spikes`.
template <class Neuron, class Real>
void advance(model::variables_t<Neuron, column<Real>>& columns, column<Real>* refractory,
             const step_args<Neuron>& a, std::size_t begin, std::size_t end, std::size_t size,
             std::vector<std::uint32_t>& spikes) {
  using batch = xsimd::batch<Real>;
  using mask = xsimd::batch_bool<Real>;
  constexpr std::size_t lanes = batch::size;
  constexpr bool has_refractory = model::has_refractory<Neuron>;

  // Local copies: xsimd's stores may alias anything as far as GCC knows, so
  // values read through references would be reloaded (and dt / tau divided
  // again) in every batch.
  const model::parameters_t<Neuron> p = a.p;
  const model::derived_t<Neuron> d = a.d;
  const double dt = a.dt, t = a.t;
  const std::uint64_t step = a.step;
  const random::key rng = a.rng;
  const batch refractory_steps(static_cast<Real>(a.refractory_steps));
  model::variables_t<Neuron, Real*> base;
  reflect::for_each_field_of([](auto, Real*& b, column<Real>& c) { b = c.data(); }, base, columns);
  Real* const counters = has_refractory ? refractory->data() : nullptr;

  for (std::size_t i = begin; i < end; i += lanes) {
    model::variables_t<Neuron, batch> x;
    reflect::for_each_field_of([&](auto, batch& xb, Real* b) { xb = batch::load_aligned(b + i); }, x, base);

    batch counter(Real(0));
    mask refr(false);
    if constexpr (has_refractory) {
      counter = xsimd::max(batch::load_aligned(counters + i) - Real(1), batch(Real(0)));
      refr = counter > Real(0);
    }
    const step_info<batch> s{dt, t, refr, rng, i, step, 0};

    if constexpr (model::spiking<Neuron>) {
      const mask fired = mask(model::update<Neuron, batch>(x, p, d, s)) && !refr;
      if (xsimd::any(fired)) {
        if constexpr (model::resettable<Neuron, batch>) {
          model::variables_t<Neuron, batch> after = x;
          model::reset<Neuron, batch>(after, p, d);
          reflect::for_each_field_of(
              [&](auto, batch& xb, const batch& rb) { xb = xsimd::select(fired, rb, xb); }, x, after);
        }
        if constexpr (has_refractory) counter = xsimd::select(fired, refractory_steps, counter);
        alignas(64) bool lane_fired[lanes];
        fired.store_aligned(lane_fired);
        for (std::size_t l = 0; l < lanes && i + l < size; ++l)
          if (lane_fired[l]) spikes.push_back(static_cast<std::uint32_t>(i + l));
      }
    } else {
      model::update<Neuron, batch>(x, p, d, s);
    }

    reflect::for_each_field_of([&](auto, const batch& xb, Real* b) { xb.store_aligned(b + i); }, x, base);
    if constexpr (has_refractory) counter.store_aligned(counters + i);
  }
}

#if defined(SPIKEWEAVE_HAS_TBB) && SPIKEWEAVE_HAS_TBB
/// Runs chunks of work on `threads()` threads of its own tbb::task_arena
/// (0 threads: as many as TBB allows here, normally every core). Chunk c
/// goes to the same thread in every call when the chunk count equals the
/// thread count (static partitioner), so each thread keeps its neurons in
/// its own cache. The arena has no more threads than TBB allows (its
/// max_allowed_parallelism, by default the core count); more chunks than
/// threads share them. Copies get an arena of their own.
class tbb_team {
 public:
  explicit tbb_team(std::size_t threads = 0)
      : threads_(threads == 0 ? static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()) : threads) {
    const std::size_t allowed = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    const std::size_t size = std::min(threads_, std::max<std::size_t>(allowed, 1));
    if (size > 1) arena_ = std::make_unique<tbb::task_arena>(static_cast<int>(size));
  }
  tbb_team(const tbb_team& other) : tbb_team(other.threads_) {}
  tbb_team(tbb_team&&) noexcept = default;
  tbb_team& operator=(const tbb_team& other) {
    if (this != &other) *this = tbb_team(other.threads_);
    return *this;
  }
  tbb_team& operator=(tbb_team&&) noexcept = default;
  ~tbb_team() = default;

  [[nodiscard]] std::size_t threads() const { return threads_; }
  /// Runs f() inside the arena, so that the for_each calls it makes do not
  /// enter the arena one by one.
  template <class F>
  void run(F&& f) {
    if (arena_)
      arena_->execute([&] { f(); });
    else
      f();
  }
  /// Calls f(c) for c in [0, chunks), concurrently; returns when all are done.
  template <class F>
  void for_each(std::size_t chunks, F&& f) {
    parallel(chunks, f, tbb::static_partitioner());
  }
  /// Calls f(c) for c in [0, chunks), concurrently, each c taken by the next
  /// free thread: for pieces of very unequal size (whose results must not
  /// depend on which thread runs them).
  template <class F>
  void for_each_dynamic(std::size_t chunks, F&& f) {
    parallel(chunks, f, tbb::simple_partitioner());
  }

 private:
  template <class F, class Partitioner>
  void parallel(std::size_t chunks, F& f, Partitioner partitioner) {
    if (!arena_ || chunks <= 1) {
      for (std::size_t c = 0; c < chunks; ++c) f(c);
      return;
    }
    arena_->execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, chunks, 1),
          [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t c = r.begin(); c < r.end(); ++c) f(c);
          },
          partitioner);
    });
  }

  std::size_t threads_;
  std::unique_ptr<tbb::task_arena> arena_;
};
/// The team networks use: TBB's, as the program links spikeweave::tbb.
using team = tbb_team;
/// True when networks can run on more than one thread.
inline constexpr bool threads_available = true;
#else
/// The team networks use: serial, as the program does not link spikeweave::tbb.
using team = serial_team;
inline constexpr bool threads_available = false;
#endif

}  // namespace spikeweave::kernel
