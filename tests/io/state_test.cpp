// Full-state save and load (.npz): exact continuation, replaced connectivity, loads that cannot corrupt.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// STDP with per-neuron traces (stdp_additive), so traces are part of the state.
using stdp = stdp_additive;

}  // namespace

namespace {

// Delays (uniform and per synapse), Poisson input, refractoriness, STDP.
auto make(std::uint64_t seed, double p = 0.1) {
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<lif_cond_exp, "E">{160, {}, {.v = sw::uniform(-60, -50)}},
                     sw::population<lif_cond_exp, "I">{40, {}, {.v = sw::uniform(-60, -50)}},
                     sw::projection<stdp, "E", "E", "g_e", "EE">{sw::fixed_probability{p}, {.w = 0.3}, 1.5,
                                                                {.A_plus = 0.005, .A_minus = 0.006}},
                     sw::projection<static_synapse, "E", "I", "g_e", "EI">{sw::fixed_probability{p}, {.w = 0.4},
                                                                            sw::uniform(0.1, 3.0)},
                     sw::projection<static_synapse, "I", "E", "g_i", "IE">{sw::fixed_probability{p}, {.w = 2.0}, 0.8},
                     sw::poisson_input<"E", "g_e">{.n = 300, .rate = 10, .weight = 0.05},
                     sw::poisson_input<"I", "g_e">{.n = 300, .rate = 10, .weight = 0.05}};
}

template <class Net>
std::vector<std::vector<std::uint32_t>> run(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

template <class Net>
std::vector<double> everything(Net& net) {
  std::vector<double> out{net.current_time()};
  net.for_each_population([&](auto& pop) {
    sw::reflect::for_each_field(pop.columns(), [&](auto, const auto& c) { out.insert(out.end(), c.begin(), c.end()); });
    out.insert(out.end(), pop.refractory_counter().begin(), pop.refractory_counter().end());
  });
  net.for_each_projection([&](auto& proj) {
    out.insert(out.end(), proj.columns().w.begin(), proj.columns().w.end());
    for (auto j : proj.post()) out.push_back(j);
  });
  return out;
}

std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

}  // namespace

TEST_CASE("save at T, load into a fresh network, run T: bit for bit the uninterrupted 2T run", "[state]") {
  auto reference = make(7);
  run(reference, 1500);
  const auto second_half = run(reference, 1500);
  const auto final_state = everything(reference);

  auto first = make(7);
  run(first, 1500);
  const auto path = temp("sw_state_continuation.npz");
  first.save(path);

  // A fresh network built with another seed and other connectivity: the file decides.
  auto resumed = make(99, 0.05);
  resumed.load(path);
  CHECK(resumed.current_step() == 1500);
  CHECK(resumed.seed() == 7);
  CHECK(run(resumed, 1500) == second_half);
  CHECK(everything(resumed) == final_state);
  const auto& w = resumed.projection<"EE">().columns().w;
  CHECK(std::count(w.begin(), w.end(), 0.3) < static_cast<std::ptrdiff_t>(w.size()));  // STDP has been at work
  std::filesystem::remove(path);
}

TEST_CASE("exact continuation through every archive format", "[state]") {
  auto reference = make(11);
  run(reference, 400);
  const auto second_half = run(reference, 400);
  for (const char* ext : {".npz", ".h5", ".bin", ".txt", ".xml", ".bin.gz", ".txt.gz", ".xml.gz"}) {
    INFO(ext);
    auto first = make(11);
    run(first, 400);
    const auto path = temp(std::string("sw_state_formats") + ext);
    first.save(path);
    auto resumed = make(12, 0.05);
    resumed.load(path);
    CHECK(run(resumed, 400) == second_half);
    std::filesystem::remove(path);
  }
}

TEST_CASE("the file is numpy-readable with the documented keys", "[state]") {
  auto net = make(3);
  run(net, 200);
  const auto path = temp("sw_state_keys.npz");
  net.save(path);
  sw::io::npz_reader in(path);
  for (const char* key : {"populations/E/v", "populations/E/g_e", "populations/E/refractory", "projections/EE/pre",
                          "projections/EE/post", "projections/EE/w", "projections/EE/delay",
                          "projections/EE/pre_trace/x", "projections/EE/post_trace/y", "projections/EI/transit_step",
                          "metadata"})
    CHECK(in.contains(key));
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0) {
    const std::string check = "/usr/bin/python3 -c \"import numpy as np, json; d = np.load('" + path +
                              "', allow_pickle=False); m = json.loads(str(d['metadata'])); "
                              "assert m['step'] == 200 and d['populations/E/v'].shape == (160,)\"";
    CHECK(std::system(check.c_str()) == 0);
  }
  std::filesystem::remove(path);
}

TEST_CASE("a file that does not fit is refused whole, with every difference, and changes nothing", "[state]") {
  auto source = sw::network{{.dt = 0.1, .seed = 1}, sw::population<lif_cond_exp, "E">{100},
                            sw::population<izhikevich, "I">{20},
                            sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}, {.w = 0.3}}};
  source.simulate(10);
  const auto path = temp("sw_state_mismatch.npz");
  source.save(path);

  auto target = sw::network{{.dt = 0.1, .seed = 1}, sw::population<lif_cond_exp, "E">{90},
                            sw::population<lif_curr_exp, "I">{20},
                            sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}, {.w = 0.3}}};
  target.simulate(5);
  const auto before = everything(target);
  try {
    target.load(path);
    FAIL("no mismatch_error");
  } catch (const sw::mismatch_error& e) {
    const std::string what = e.what();
    CHECK(what.find(path + ": does not fit the network, nothing was loaded:") == 0);
    CHECK(what.find("population 'E' has 100 neurons in the file, 90 in the network") != std::string::npos);
    CHECK(what.find("population 'I': the file's model") != std::string::npos);
    CHECK(what.find("projection 'EE': synapse") != std::string::npos);  // pre indices beyond 90 neurons
  }
  CHECK(everything(target) == before);
  CHECK(target.current_step() == 50);

  auto other_dt = sw::network{{.dt = 0.05}, sw::population<lif_cond_exp, "E">{100}, sw::population<izhikevich, "I">{20},
                              sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}}};
  CHECK_THROWS_WITH(other_dt.load(path), Catch::Contains("dt = 0.1 ms in the file, 0.05 ms in the network"));
  auto single = sw::network{sw::precision<float>, {.dt = 0.1}, sw::population<lif_cond_exp, "E">{100},
                            sw::population<izhikevich, "I">{20},
                            sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}}};
  CHECK_THROWS_WITH(single.load(path), Catch::Contains("precision '<f8' in the file, '<f4' in the network"));
  auto missing = sw::network{{.dt = 0.1}, sw::population<lif_cond_exp, "E">{100}, sw::population<izhikevich, "I">{20},
                             sw::population<izhikevich, "X">{3}};
  CHECK_THROWS_WITH(missing.load(path), Catch::Contains("population 'X' is missing from the file") &&
                                            Catch::Contains("projection 'EE' is in the file, not in the network"));
  CHECK_THROWS_AS(missing.load(temp("sw_no_such_file.npz")), sw::io_error);
  CHECK_THROWS_AS(missing.save(temp("sw_state.hdf")), sw::io_error);
  std::filesystem::remove(path);
}

TEST_CASE("a .mat export that scipy.io.loadmat reads; loading it is refused", "[state]") {
  auto net = make(4);
  run(net, 100);
  const auto path = temp("sw_state_export.mat");
  net.save(path);
  CHECK_THROWS_WITH(net.load(path), Catch::Contains(".mat files are an export"));
  if (std::system("/usr/bin/python3 -c 'import scipy.io' 2>/dev/null") == 0) {
    const auto& v = net.population<"E">().columns().v;
    const std::string check =
        "/usr/bin/python3 -c \"import scipy.io as s, json; m = s.loadmat('" + path + "'); "
        "v = m['populations__E__v']; assert v.shape == (1, 160), v.shape; "
        "assert v[0, 7] == " + sw::detail::number(v[7]) + "; "
        "assert json.loads(str(m['metadata'][0]))['step'] == 100; "
        "assert m['projections__EE__w'].shape[1] == " + std::to_string(net.projection<"EE">().size()) + "\"";
    CHECK(std::system(check.c_str()) == 0);
  } else {
    WARN("scipy is not installed: the .mat file was not read back");
  }
  std::filesystem::remove(path);
}

TEST_CASE("saving and loading some populations and projections only (ANNarchy's pop.save / pop.load)", "[state]") {
  auto net = make(5);
  run(net, 300);
  const auto path = temp("sw_state_only_E.npz");
  net.save(path, {.projections = false, .only = {"E"}});
  {
    sw::io::npz_reader in(path);
    CHECK(in.contains("populations/E/v"));
    CHECK_FALSE(in.contains("populations/I/v"));
    CHECK_FALSE(in.contains("projections/EE/w"));
  }
  auto other = make(5);
  const auto i_before = std::vector<double>(other.population<"I">().columns().v.begin(), other.population<"I">().columns().v.end());
  other.load(path, {.projections = false, .only = {"E"}});
  CHECK(std::vector<double>(other.population<"E">().columns().v.begin(), other.population<"E">().columns().v.end()) ==
        std::vector<double>(net.population<"E">().columns().v.begin(), net.population<"E">().columns().v.end()));
  CHECK(std::vector<double>(other.population<"I">().columns().v.begin(), other.population<"I">().columns().v.end()) == i_before);
  // Loading everything from a file that holds E only lists what is missing.
  CHECK_THROWS_WITH(other.load(path), Catch::Contains("population 'I' is missing from the file") &&
                                          Catch::Contains("projection 'EE' is missing from the file"));
  std::filesystem::remove(path);
}

TEST_CASE("save<\"E\"> and load<\"E\">: one population or projection alone", "[state]") {
  auto net = make(5);
  run(net, 300);
  const auto path = temp("sw_state_one.npz");
  net.save<"EE">(path);
  {
    sw::io::npz_reader in(path);
    CHECK(in.contains("projections/EE/w"));
    CHECK_FALSE(in.contains("projections/EI/w"));
    CHECK_FALSE(in.contains("populations/E/v"));
  }
  auto other = make(6);
  const auto report = other.load<"EE">(path);
  CHECK(report.complete());
  CHECK(std::find(report.loaded.begin(), report.loaded.end(), "projections/EE/w") != report.loaded.end());
  CHECK(std::vector<double>(other.projection<"EE">().columns().w.begin(), other.projection<"EE">().columns().w.end()) ==
        std::vector<double>(net.projection<"EE">().columns().w.begin(), net.projection<"EE">().columns().w.end()));
  std::filesystem::remove(path);
}

TEST_CASE("learning on and off, per projection and for the network; the flag is part of the state", "[state][learning]") {
  auto net = make(21);
  run(net, 200);
  const auto& w = net.projection<"EE">().columns().w;
  const std::vector<double> frozen(w.begin(), w.end());
  net.disable_learning({"EE"});
  CHECK_FALSE(net.projection<"EE">().learning());
  CHECK(net.projection<"EI">().learning());
  const auto spikes_off = run(net, 300);
  CHECK(std::vector<double>(w.begin(), w.end()) == frozen);  // frozen, although spikes went through
  CHECK(std::any_of(spikes_off.begin(), spikes_off.end(), [](const auto& s) { return !s.empty(); }));
  const auto x = net.projection<"EE">().pre_traces().x;
  CHECK(std::any_of(x.begin(), x.end(), [](double v) { return v > 0; }));  // traces go on

  // The flag travels with the state: a resumed run is the same run.
  const auto path = temp("sw_state_learning.npz");
  net.save(path);
  auto resumed = make(22);
  resumed.load(path);
  CHECK_FALSE(resumed.projection<"EE">().learning());
  CHECK(run(resumed, 200) == run(net, 200));

  net.enable_learning();
  run(net, 300);
  CHECK(std::vector<double>(w.begin(), w.end()) != frozen);
  net.disable_learning();
  net.for_each_projection([](auto& p) { CHECK_FALSE(p.learning()); });
  CHECK_THROWS_WITH(net.enable_learning({"XX"}), "network: enable_learning: no projection 'XX'");
  std::filesystem::remove(path);
}

namespace {
auto make_monitored(std::uint64_t seed) {
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<lif_cond_exp, "E">{80, {}, {.v = sw::uniform(-60, -50)}},
                     sw::projection<static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}, {.w = 0.3}},
                     sw::poisson_input<"E", "g_e">{.n = 300, .rate = 10, .weight = 0.05},
                     sw::spike_monitor<"spikes", "E">{},
                     sw::state_monitor<"v", "E", "v", "g_e">{{.neurons = {0, 5, 7}, .period = 0.5}},
                     sw::rate_monitor<"rate", "E">{}};
}
}  // namespace

TEST_CASE("monitors' data in a state file, on request", "[state][monitors]") {
  auto reference = make_monitored(3);
  reference.simulate(60);
  reference.monitor<"rate">().pause();
  reference.simulate(60);
  for (const char* ext : {".npz", ".h5", ".bin.gz", ".xml"}) {
    INFO(ext);
    auto first = make_monitored(3);
    first.simulate(60);
    first.monitor<"rate">().pause();
    const auto path = temp(std::string("sw_state_monitors") + ext);
    first.save(path, {.monitors = true});
    auto resumed = make_monitored(4);
    resumed.simulate(10);  // recorded data of its own, replaced by the file's
    resumed.load(path, {.monitors = true});
    CHECK_FALSE(resumed.monitor<"rate">().recording());
    resumed.simulate(60);
    CHECK(resumed.monitor<"spikes">().steps() == reference.monitor<"spikes">().steps());
    CHECK(resumed.monitor<"spikes">().index_data() == reference.monitor<"spikes">().index_data());
    CHECK(resumed.monitor<"v">().value_data() == reference.monitor<"v">().value_data());
    CHECK(resumed.monitor<"rate">().rate_data() == reference.monitor<"rate">().rate_data());
    std::filesystem::remove(path);
  }
  // Without .monitors the monitors are neither saved nor touched.
  const auto path = temp("sw_state_no_monitors.npz");
  reference.save(path);
  CHECK_FALSE(sw::io::npz_reader(path).contains("monitors/spikes/steps"));
  auto other = make_monitored(3);
  other.simulate(5);
  const auto recorded = other.monitor<"spikes">().steps();
  other.load(path);
  CHECK(other.monitor<"spikes">().steps() == recorded);
  CHECK_THROWS_WITH(other.load(path, {.monitors = true}), Catch::Contains("monitor 'spikes' is missing from the file"));
  std::filesystem::remove(path);
}

namespace {
// The same network with a plastic or a static projection: files of one lack
// (or have extra) variables for the other, as BrainPy's check_missing example.
template <class Synapse>
auto make_variant(std::uint64_t seed) {
  return sw::network{{.dt = 0.1, .seed = seed}, sw::population<lif_cond_exp, "E">{60, {}, {.v = sw::uniform(-60, -50)}},
                     sw::projection<Synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.2}, {.w = 0.3}},
                     sw::poisson_input<"E", "g_e">{.n = 300, .rate = 10, .weight = 0.05}};
}
}  // namespace

TEST_CASE("missing and unexpected variables: strict by default, a report otherwise (BrainPy's check_missing)", "[state]") {
  auto plain = make_variant<static_synapse>(1);
  plain.simulate(20);
  const auto path = temp("sw_state_static.npz");
  plain.save(path);

  auto plastic = make_variant<stdp>(2);
  plastic.simulate(10);
  const auto before = everything(plastic);
  CHECK_THROWS_WITH(plastic.load(path), Catch::Contains("projection 'EE': the file's model"));
  CHECK(everything(plastic) == before);

  // The report alone, nothing changes.
  const auto check = sw::io::check_state(plastic, path);
  CHECK(everything(plastic) == before);
  for (const char* m : {"projections/EE/pre_trace/x", "projections/EE/post_trace/y", "projections/EE/parameters/tau_plus"})
    CHECK(std::find(check.missing.begin(), check.missing.end(), m) != check.missing.end());
  CHECK(check.unexpected.empty());

  // Not strict: missing traces and parameters keep their values; the rest is the file's.
  const auto traces = plastic.projection<"EE">().pre_traces().x;
  const auto report = plastic.load(path, {.strict = false, .verbose = true});
  CHECK(report.missing == check.missing);
  CHECK(plastic.projection<"EE">().pre_traces().x == traces);
  CHECK(plastic.current_step() == 200);
  CHECK(std::vector<double>(plastic.projection<"EE">().columns().w.begin(), plastic.projection<"EE">().columns().w.end()) ==
        std::vector<double>(plain.projection<"EE">().columns().w.begin(), plain.projection<"EE">().columns().w.end()));

  // The other way round: what the plastic file has beyond w is unexpected.
  const auto plastic_path = temp("sw_state_plastic.npz");
  plastic.save(plastic_path);
  CHECK_THROWS_WITH(plain.load(plastic_path), Catch::Contains("'projections/EE/pre_trace/x' is in the file but not a variable"));
  const auto back = plain.load(plastic_path, {.strict = false});
  CHECK(back.missing.empty());
  CHECK(std::find(back.unexpected.begin(), back.unexpected.end(), "projections/EE/post_trace/y") != back.unexpected.end());
  CHECK(std::find(back.unexpected.begin(), back.unexpected.end(), "projections/EE/parameters/A_plus") != back.unexpected.end());
  std::filesystem::remove(path);
  std::filesystem::remove(plastic_path);
}

TEST_CASE("the parameters in a state file are those of save_parameters", "[state][parameters]") {
  auto net = make(8);
  net.population<"E">().set_parameters({.tau_m = 17.5});
  const auto state = temp("sw_state_params.npz"), json_path = temp("sw_state_params.json");
  net.save(state);
  net.save_parameters(json_path);
  const auto meta = nlohmann::json::parse(sw::io::npz_reader(state).read_string("metadata"));
  std::ifstream in(json_path);
  const auto file = nlohmann::json::parse(in);
  for (const char* p : {"E", "I"}) CHECK(meta["populations"][p]["parameters"] == file["populations"][p]);
  for (const char* j : {"EE", "EI", "IE"}) CHECK(meta["projections"][j]["parameters"] == file["projections"][j]);
  std::filesystem::remove(state);
  std::filesystem::remove(json_path);
}

// Exact continuation across processes: this executable saves in one child
// process and loads and continues in another (hidden test cases below).
TEST_CASE("state child: save after T", "[.][state_child]") {
  auto net = make(7);
  run(net, 1500);
  net.save(std::getenv("SW_STATE_CHILD_PATH"));
}
TEST_CASE("state child: load into a fresh network and run T", "[.][state_child]") {
  auto net = make(99, 0.05);
  net.load(std::getenv("SW_STATE_CHILD_PATH"));
  const auto spikes = run(net, 1500);
  std::vector<std::uint32_t> flat, counts;
  for (const auto& s : spikes) {
    counts.push_back(static_cast<std::uint32_t>(s.size()));
    flat.insert(flat.end(), s.begin(), s.end());
  }
  sw::io::npz_writer out(std::getenv("SW_STATE_CHILD_OUT"));
  out.add("spikes", flat);
  out.add("counts", counts);
  out.add("everything", everything(net));
  out.close();
}

TEST_CASE("save in one process, load and continue in another: bit for bit the uninterrupted run", "[state][process]") {
  auto reference = make(7);
  run(reference, 1500);
  const auto second_half = run(reference, 1500);
  std::vector<std::uint32_t> flat, counts;
  for (const auto& s : second_half) {
    counts.push_back(static_cast<std::uint32_t>(s.size()));
    flat.insert(flat.end(), s.begin(), s.end());
  }
  for (const char* ext : {".npz", ".bin"}) {
    INFO(ext);
    const auto path = temp(std::string("sw_state_process") + ext), out = temp("sw_state_process_out.npz");
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    const std::string env = "SW_STATE_CHILD_PATH='" + path + "' SW_STATE_CHILD_OUT='" + out + "' '" + self + "' ";
    REQUIRE(std::system((env + "'state child: save after T' >/dev/null").c_str()) == 0);
    REQUIRE(std::system((env + "'state child: load into a fresh network and run T' >/dev/null").c_str()) == 0);
    sw::io::npz_reader in(out);
    CHECK(in.read<std::uint32_t>("spikes") == flat);
    CHECK(in.read<std::uint32_t>("counts") == counts);
    CHECK(in.read<double>("everything") == everything(reference));
    std::filesystem::remove(path);
    std::filesystem::remove(out);
  }
}

namespace {

// Copies the state file `from` to `to` through `change(name, values)`: values is the parsed metadata (sw::json)
// or the entry's std::vector<T>.
template <class Change>
void rewrite_state(const std::string& from, const std::string& to, Change change) {
  sw::io::npz_reader in(from);
  sw::io::npz_writer out(to);
  auto copy = [&]<class T>(const std::string& name, T) {
    auto values = in.read<T>(name);
    change(name, values);
    out.add(name, values);
  };
  for (const auto& name : in.names()) {
    const std::string dtype = in.info(name).dtype;
    if (name == "metadata") {
      auto meta = sw::json::parse(in.read_string(name));
      change(name, meta);
      out.add_string(name, meta.dump());
    } else if (dtype == "<f8") {
      copy(name, double{});
    } else if (dtype == "<u2") {
      copy(name, std::uint16_t{});
    } else if (dtype == "<u4") {
      copy(name, std::uint32_t{});
    } else if (dtype == "<u8") {
      copy(name, std::uint64_t{});
    } else {
      FAIL("rewrite_state: entry '" << name << "' has dtype " << dtype);
    }
  }
  out.close();
}

}  // namespace

// Found by fuzz/state_load: values checked only while the network was being changed, and metadata of the wrong
// JSON type (json::value throws); each must be refused whole, with nothing changed.
TEST_CASE("files the fuzzer found: refused whole, the network unchanged", "[state][fuzz]") {
  auto source = make(21);
  run(source, 100);
  const auto path = temp("sw_state_fuzz_source.npz");
  const auto bad = temp("sw_state_fuzz_bad.npz");
  source.save(path);
  auto target = make(22);
  run(target, 30);
  const auto before = everything(target);

  auto refused = [&]<class Error>(Error, const std::string& expected, auto change) {
    rewrite_state(path, bad, change);
    INFO(expected);
    try {
      target.load(bad);
      FAIL("no exception");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Catch::Contains(expected));
    }
    CHECK(everything(target) == before);
    CHECK(target.current_step() == 30);
    CHECK(target.seed() == 22);
  };
  // Parameters that break the model's rules were checked by set_parameters, after 'E' had been restored.
  refused(sw::mismatch_error{""}, "population 'I': v_reset = -20, must be < v_th = -50 (the file's parameters)",
          [](const std::string& name, auto& v) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, sw::json>)
              if (name == "metadata") v["populations"]["I"]["parameters"]["v_reset"] = -20;
          });
  // A seed of the wrong type threw nlohmann's type_error after every population and projection was restored.
  refused(sw::format_error{""}, ": metadata: [json.exception.type_error.302]", [](const std::string&, auto& v) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, sw::json>) v["seed"] = "seven";
  });
  // Wrong types elsewhere let nlohmann's exceptions out, which are no spikeweave::error.
  refused(sw::format_error{""}, ": metadata: [json.exception.type_error.302]", [](const std::string&, auto& v) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, sw::json>) v["dt"] = "0.1";
  });
  refused(sw::format_error{""}, ": metadata: [json.exception.type_error.306]", [](const std::string&, auto& v) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, sw::json>) v["populations"]["E"] = 5;
  });
  // A state build() refuses: STDP keeps traces per pre neuron, so all its synapses need one delay.
  refused(sw::mismatch_error{""}, "projection 'EE': the synapse model keeps traces per pre-synaptic neuron",
          [](const std::string& name, auto& v) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, std::vector<std::uint16_t>>)
              if (name == "projections/EE/delay") v.front() += 1;
          });
  // Last step's spikes twice: delivered twice in the next step.
  refused(sw::mismatch_error{""}, "'populations/E/spikes' holds neuron 3 of 160, out of order",
          [](const std::string& name, auto& v) {
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, std::vector<std::uint32_t>>)
              if (name == "populations/E/spikes") v = {3, 3};
          });
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}
