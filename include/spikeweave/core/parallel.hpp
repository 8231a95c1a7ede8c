// parallel_run: a function run on independent copies of a network, concurrently (TBB).
#pragma once

// SPIKEWEAVE_WITH_TBB: TBB is linked but networks run serially (SPIKEWEAVE_HAS_TBB unset).
#if !defined(SPIKEWEAVE_HAS_TBB) && !defined(SPIKEWEAVE_WITH_TBB)
#error "spikeweave/core/parallel.hpp needs the CMake target spikeweave::tbb (it links TBB): target_link_libraries(<your target> PRIVATE spikeweave::tbb); without CMake, define SPIKEWEAVE_HAS_TBB=1 and link -ltbb yourself"
#endif

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include <tbb/parallel_for.h>

#include "../error.hpp"

namespace spikeweave {

/// Seeds of the copies: every copy the network's own seed, or seed, seed + 1, ...
enum class seeds { same, sequential };

/// Runs `f(copy, i)` on `n` copies of `net` (ANNarchy's parallel_run), at the
/// same time on TBB's threads, and returns the results in order. Copy i is
/// `net.copy(seed_i)`: the same structure, back to its initial state under
/// its seed, so each result equals that of a serial run with that seed.
/// Callbacks must use the network they are given, not a captured one.
template <class Net, class F>
auto parallel_run(const Net& net, std::size_t n, F f, std::variant<seeds, std::vector<std::uint64_t>> which = seeds::sequential) {
  std::vector<std::uint64_t> seed_list;
  if (const auto* list = std::get_if<std::vector<std::uint64_t>>(&which)) {
    if (list->size() != n)
      throw config_error("parallel_run: " + std::to_string(list->size()) + " seeds for " + std::to_string(n) + " copies");
    seed_list = *list;
  } else {
    for (std::size_t i = 0; i < n; ++i) seed_list.push_back(std::get<seeds>(which) == seeds::same ? net.seed() : net.seed() + i);
  }
  std::vector<Net> copies;
  copies.reserve(n);
  for (auto s : seed_list) copies.push_back(net.copy(s));
  using result = std::invoke_result_t<F&, Net&, std::size_t>;
  std::vector<std::optional<result>> results(n);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { results[i].emplace(f(copies[i], i)); });
  std::vector<result> out;
  out.reserve(n);
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

}  // namespace spikeweave
