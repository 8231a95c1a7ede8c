// save_monitors: every monitor's recorded data in one NumPy .npz file, for Python and the plot tool.
//
// Layout (`np.load(path)` without allow_pickle):
//   metadata                     JSON: format, version, dt, time, step, and per monitor its kind
//                                ("spike", "state", "rate") and population
//   monitors/<name>/times        [ms] float64: spike, sample or step times
//   monitors/<name>/indices      uint32: neuron of each spike            (spike)
//   monitors/<name>/neurons      uint32: recorded neurons                (state)
//   monitors/<name>/<variable>   float64, shape (samples, neurons)       (state)
//   monitors/<name>/rates        [Hz] float64                            (rate)
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "../version.hpp"
#include "npz.hpp"

namespace spikeweave::io {

/// Writes the data of every monitor of `net` to `path` (atomically).
template <class Net>
void save_monitors(Net& net, const std::string& path, npz_options options = {}) {
  npz_writer out(path, options);
  nlohmann::ordered_json meta = {{"format", "spikeweave-monitors"}, {"version", 1},     {"library", version},
                                 {"dt", net.dt()},                  {"time", net.current_time()},
                                 {"step", net.current_step()},      {"monitors", nlohmann::ordered_json::object()}};
  net.for_each_monitor([&](auto& m) {
    using M = std::remove_cvref_t<decltype(m)>;
    const std::string at = "monitors/" + std::string(m.name()) + "/";
    meta["monitors"][std::string(m.name())] = {{"kind", M::kind}, {"population", std::string(M::population_name.view())}};
    const auto times = m.times();
    out.add(at + "times", std::span<const double>(times.data(), times.size()));
    if constexpr (std::string_view(M::kind) == "spike") {
      out.add(at + "indices", m.index_data());
    } else if constexpr (std::string_view(M::kind) == "state") {
      out.add(at + "neurons", m.neurons());
      for (const auto& v : m.variables()) {
        const auto data = m.data(v);
        out.add(at + v, std::span<const double>(data.data(), data.size()),
                {static_cast<std::uint64_t>(data.shape()[0]), static_cast<std::uint64_t>(data.shape()[1])});
      }
    } else {
      out.add(at + "rates", m.rate_data());
    }
  });
  out.add_string("metadata", meta.dump());
  out.close();
}

}  // namespace spikeweave::io
