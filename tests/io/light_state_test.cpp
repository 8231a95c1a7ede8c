// A translation unit that saves and loads networks and monitors pays only for the headers it uses: io/state.hpp
// and io/monitors.hpp parse neither nlohmann::json, Boost.Serialization, HDF5 nor zlib (spikeweave::io's library
// holds them, compiled once), and still save and load every format, bit for bit.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/core/network.hpp>
#include <spikeweave/io/monitors.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/models/lif_cond_exp.hpp>
#include <spikeweave/models/stdp_additive.hpp>

#ifdef NLOHMANN_JSON_VERSION_MAJOR
#error "io/state.hpp or io/monitors.hpp includes nlohmann/json.hpp"
#endif
#ifdef BOOST_ARCHIVE_BASIC_ARCHIVE_HPP
#error "io/state.hpp or io/monitors.hpp includes a Boost.Serialization archive"
#endif
#ifdef H5_VERS_MAJOR
#error "io/state.hpp or io/monitors.hpp includes <hdf5.h>"
#endif
#ifdef ZLIB_VERSION
#error "io/state.hpp or io/monitors.hpp includes <zlib.h>"
#endif

namespace sw = spikeweave;

namespace {

auto light_network(std::uint64_t seed) {
  using sw::models::lif_cond_exp;
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<lif_cond_exp, "E">{60, {}, {.v = sw::uniform(-60, -50)}},
                     sw::poisson_input<"E", "g_e">{.n = 50, .rate = 40.0, .weight = 0.05},
                     sw::projection<sw::models::stdp_additive, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1},
                                                                                     {.w = 0.02}, 1.5},
                     sw::spike_monitor<"spikes", "E">{},
                     sw::state_monitor<"v", "E", "v">{{.neurons = {0, 1, 2}}}};
}

template <class Net>
std::vector<double> voltages(Net& net) {
  const auto v = net.template population<"E">().columns().v;
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("state.hpp without the formats' headers: every format saves and loads, and the run continues exactly",
          "[state][array_file]") {
  const auto dir = std::filesystem::temp_directory_path() / "spikeweave_light_state_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<std::string> names{"s.npz", "s.bin", "s.txt.gz", "s.xml"};
#if __has_include(<hdf5.h>)
  names.push_back("s.h5");
#endif
  auto reference = light_network(3);
  reference.simulate(400);
  for (const auto& name : names) {
    INFO(name);
    const std::string path = (dir / name).string();
    auto first = light_network(3);
    first.simulate(200);
    first.save(path, {.monitors = true});
    auto second = light_network(9);
    const sw::state_report report = second.load(path, {.monitors = true});
    CHECK(report.complete());
    CHECK(second.current_step() == 2000);
    CHECK(sw::io::check_state(second, path, {.monitors = true}).complete());
    second.simulate(200);
    CHECK(voltages(second) == voltages(reference));
    CHECK(second.monitor<"spikes">().size() == reference.monitor<"spikes">().size());
  }
  sw::io::save_monitors(reference, (dir / "monitors.npz").string());
  CHECK(std::filesystem::file_size(dir / "monitors.npz") > 0);
  std::filesystem::remove_all(dir);
}
