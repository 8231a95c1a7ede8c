// Test helper: an io::parallel_for that runs its pieces on two threads, and records how many it was given.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include <spikeweave/io/npz.hpp>

/// Even pieces on the calling thread, odd ones on another, at the same time; `pieces` gets each call's count.
inline spikeweave::io::parallel_for two_threads(std::vector<std::size_t>& pieces) {
  return [&pieces](std::size_t n, const std::function<void(std::size_t)>& f) {
    pieces.push_back(n);
    std::thread other([&] {
      for (std::size_t c = 1; c < n; c += 2) f(c);
    });
    for (std::size_t c = 0; c < n; c += 2) f(c);
    other.join();
  };
}
