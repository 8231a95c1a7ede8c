// save_monitors writes its metadata without nlohmann::json (compile time, docs/performance.md): the same text
// nlohmann::json writes, names with quotes escaped (state files refuse
// control characters and backslashes in names, so quotes are what is left to escape).
#include <cstdint>
#include <filesystem>
#include <string>

#include <spikeweave/core/network.hpp>
#include <spikeweave/io/monitors.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/models/izhikevich.hpp>

#if defined(NLOHMANN_JSON_VERSION_MAJOR)
#error "io/monitors.hpp includes nlohmann/json.hpp: every program that saves monitors pays ~1.5 s for it"
#endif

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace sw = spikeweave;

TEST_CASE("save_monitors' metadata is what nlohmann::json writes, quotes escaped", "[monitor][npz]") {
  auto net = sw::network{{.dt = 0.1, .seed = 2}, sw::population<sw::models::izhikevich, "N \"1\"">{5, {.I_ext = 10}},
                         sw::spike_monitor<"S\"a b", "N \"1\"">{}, sw::rate_monitor<"R'1", "N \"1\"">{},
                         sw::state_monitor<"V", "N \"1\"", "v">{{.period = 0.5}}};
  net.simulate(12.3);
  const auto path = (std::filesystem::temp_directory_path() / "sw_monitors_metadata_test.npz").string();
  sw::io::save_monitors(net, path);
  const std::string written = sw::io::npz_reader(path).read_string("metadata");
  nlohmann::ordered_json expected = {{"format", "spikeweave-monitors"}, {"version", 1},  {"library", sw::version},
                                     {"dt", net.dt()},  {"time", net.current_time()},   {"step", net.current_step()},
                                     {"monitors", nlohmann::ordered_json::object()}};
  expected["monitors"]["S\"a b"] = {{"kind", "spike"}, {"population", "N \"1\""}};
  expected["monitors"]["R'1"] = {{"kind", "rate"}, {"population", "N \"1\""}};
  expected["monitors"]["V"] = {{"kind", "state"}, {"population", "N \"1\""}};
  CHECK(written == expected.dump());
  const auto meta = nlohmann::json::parse(written);
  CHECK(meta["time"].get<double>() == net.current_time());
  CHECK(meta["dt"].get<double>() == 0.1);
  CHECK(meta["monitors"]["S\"a b"]["population"] == "N \"1\"");
  std::filesystem::remove(path);
}

TEST_CASE("json_number writes the shortest text that reads back, whole numbers with .0", "[monitor][npz]") {
  for (double x : {0.1, 1000.0, 123.456, 1e-7, 2.5e20, 0.30000000000000004, -3.0})
    CHECK(sw::io::detail::json_number(x) == nlohmann::json(x).dump());
}

TEST_CASE("json_string escapes as nlohmann::json does", "[monitor][npz]") {
  const std::string s = std::string("quote \" backslash \\ tab \t newline \n bell \a nul ") + '\0' + " unit \x1f end";
  CHECK(sw::io::detail::json_string(s) == nlohmann::json(s).dump());
}
