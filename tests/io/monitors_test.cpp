// save_monitors: every monitor in one .npz, readable back and by NumPy.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <spikeweave/io/monitors.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

TEST_CASE("save_monitors writes times, indices, samples and rates with their metadata", "[monitor][npz]") {
  auto net = sw::network{{.dt = 0.1, .seed = 2}, sw::population<izhikevich, "N">{20, {.I_ext = 10}},
                         sw::spike_monitor<"S", "N">{}, sw::state_monitor<"V", "N", "v", "u">{{.neurons = {1, 4}, .period = 0.5}},
                         sw::rate_monitor<"R", "N">{}};
  net.simulate(200);
  const auto path = (std::filesystem::temp_directory_path() / "sw_monitors_test.npz").string();
  sw::io::save_monitors(net, path);
  sw::io::npz_reader in(path);
  const auto indices = in.read<std::uint32_t>("monitors/S/indices");
  const auto& s = net.monitor<"S">();
  CHECK(indices == s.index_data());
  const auto times = in.read<double>("monitors/S/times");
  REQUIRE(times.size() == s.size());
  for (std::size_t k = 0; k < times.size(); ++k) CHECK(times[k] == s.times()(k));
  const auto v = in.read<double>("monitors/V/v");
  const auto expected = net.monitor<"V">().data("v");
  CHECK(in.info("monitors/V/v").shape == std::vector<std::uint64_t>{400, 2});
  CHECK(std::equal(v.begin(), v.end(), expected.begin()));
  CHECK(in.read<double>("monitors/R/rates") == net.monitor<"R">().rate_data());
  const auto meta = sw::json::parse(in.read_string("metadata"));
  CHECK(meta["format"] == "spikeweave-monitors");
  CHECK(meta["monitors"]["V"]["kind"] == "state");
  CHECK(meta["monitors"]["S"]["population"] == "N");
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0) {
    const std::string check = "/usr/bin/python3 -c \"import numpy as np, json; d = np.load('" + path +
                              "', allow_pickle=False); m = json.loads(str(d['metadata'])); "
                              "assert d['monitors/V/v'].shape == (400, 2); assert m['monitors']['R']['kind'] == 'rate'\"";
    CHECK(std::system(check.c_str()) == 0);
  }
  std::filesystem::remove(path);
}
