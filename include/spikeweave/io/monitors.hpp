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

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/monitors.hpp needs the CMake target spikeweave::io (its library reads and writes the files; it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO, compile one .cpp that includes <spikeweave/io/implementation.hpp> and link those libraries (docs/building.md)"
#endif

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "../version.hpp"
#include "array_file.hpp"

namespace spikeweave::io {

namespace detail {

// The metadata is a few fixed keys: written here rather than with nlohmann::json, which costs every
// translation unit that includes it ~1.5 s and 100 MB of compiler memory (docs/performance.md).
inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[7];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out += '"';
}
// The shortest text that reads back as the same double, with ".0" on whole numbers (as nlohmann::json writes it).
inline std::string json_number(double x) {
  char text[32];
  std::string out(text, std::to_chars(text, text + sizeof text, x).ptr);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

}  // namespace detail

/// Writes the data of every monitor of `net` to `path` (atomically).
template <class Net>
void save_monitors(Net& net, const std::string& path, npz_options options = {}) {
  const auto writer = open_array_writer(path, array_format::npz, options);  // .npz whatever the name (compiled once)
  array_file_writer& out = *writer;
  using detail::json_number, detail::json_string;
  std::string meta = "{\"format\":\"spikeweave-monitors\",\"version\":1,\"library\":" + json_string(version) +
                     ",\"dt\":" + json_number(net.dt()) + ",\"time\":" + json_number(net.current_time()) +
                     ",\"step\":" + std::to_string(net.current_step()) + ",\"monitors\":{";
  bool first = true;
  net.for_each_monitor([&](auto& m) {
    using M = std::remove_cvref_t<decltype(m)>;
    const std::string at = "monitors/" + std::string(m.name()) + "/";
    meta += (first ? "" : ",") + json_string(m.name()) + ":{\"kind\":" + json_string(M::kind) +
            ",\"population\":" + json_string(M::population_name.view()) + "}";
    first = false;
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
  out.add_string("metadata", meta + "}}");
  out.close();
}

}  // namespace spikeweave::io
