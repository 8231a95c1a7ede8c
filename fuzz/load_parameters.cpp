// Fuzz target: network::load_parameters (io::parameter_io::load) on arbitrary bytes. The first byte picks the
// options (bit 0: strict, bit 1: global_only = false), the rest is the JSON file. A load that throws must leave
// the network exactly as it was (checked bit for bit); one that succeeds must leave a network that runs.
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "bombs.hpp"
#include "common.hpp"
#include "network.hpp"

namespace sw = spikeweave;
namespace fz = spikeweave::fuzz;

namespace {

const fz::network_type& baseline() {
  static const fz::network_type net = [] {
    auto n = fz::make_network();
    n.simulate(5);
    n.constant("k", 2.0);
    return n;
  }();
  return net;
}

void write_seeds(const std::filesystem::path& dir) {
  auto net = fz::make_network();
  net.constant("k", 2.0);  // as the baseline: the saved file is complete, a strict load takes it
  const std::string tmp = (fz::scratch_dir() / "seed.json").string();
  net.save_parameters(tmp);
  const std::string saved = fz::slurp(tmp);
  for (char options : {0, 1, 2, 3}) fz::write_seed(dir, "saved_" + std::to_string(int{options}) + ".json", options + saved);
  fz::write_seed(dir, "variables.json",
                 std::string(1, 2) + R"({"populations": {"E": {"tau_m": 15, "v": -55, "g_e": [0,1,2,3,4,5,6,7,8,9,10,11]},
 "I": {"v": [-60, -59, -58, -57]}}, "projections": {"EE": {"w": 0.5, "A_plus": 0.001}, "EI": {"w": [0.1]}},
 "constants": {"k": 3, "c": -1e-3}, "network": {"duration": 100, "name": "x"}})");
  // 50,000 levels of arrays (100 KB): copying such a value overflowed the stack (under AddressSanitizer,
  // 50,000 levels do; 20,000 do not); refused above 512 levels.
  fz::write_seed(dir, "deep.json", std::string(1, 0) + spikeweave::bombs::deep_json(50000));
  fz::write_seed(dir, "unknown.json",
                 std::string(1, 1) + R"({"populations": {"X": {}}, "projections": {"EE": {"nope": 1}}, "extra": []})");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fz::seeds_on_request(write_seeds);
  std::cerr.rdbuf(nullptr);  // the loader's warnings about unknown names
  (void)baseline();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const sw::load_parameters_options options{.global_only = (data[0] & 2) == 0, .verbose = false,
                                            .strict = (data[0] & 1) != 0};
  const std::string path = fz::input_file(data + 1, size - 1, ".json");
  static std::optional<fz::network_type> net;
  net.emplace(baseline());
  const std::string before = fz::snapshot(*net);
  std::optional<sw::parameter_values> values;
  try {
    values.emplace(net->load_parameters(path, options));
  } catch (const sw::error& e) {
    fz::refused(e);
    if (fz::snapshot(*net) != before) fz::bug("load_parameters threw and yet changed the network");
    return 0;
  }
  try {
    if (values->contains("duration")) (void)values->number("duration");  // the "network" dictionary, typed
  } catch (const sw::config_error&) {
  }
  net->simulate(0.5);  // what was loaded passed every check: the network must run
  return 0;
}
