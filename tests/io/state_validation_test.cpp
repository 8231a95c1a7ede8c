// Full-state loads that check what the library relies on (issue 15): `.only` names that name nothing, values a
// model cannot take (non-finite variables, refractory counters, the clock, spikes in transit), one message per
// broken parameter rule, and files that explain themselves (model names, units, .h5 attributes as str).
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/archive.hpp>
#include <spikeweave/io/hdf5.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// A LIF neuron that remembers the time of its latest spike, -inf before the first: a variable that legitimately
// holds inf, declared so with `non_finite`; it names itself and declares its units.
struct lif_last {
  static constexpr std::string_view name = "lif_last";
  struct parameters {
    double tau_m = 10;  // [ms]
    double v_th = 1;    // [1]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v), (T, t_last), (T, I));
  };
  static constexpr variables<std::string_view> units{.v = "1", .t_last = "ms"};
  static constexpr std::string_view non_finite[] = {"t_last"};
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    x.v += (x.I - x.v) * (s.dt / p.tau_m);
    x.I = 0;
    const auto fired = x.v > p.v_th;
    x.t_last = sw::select(fired, T(s.t), x.t_last);
    return fired;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters&) {
    x.v = 0;
  }
  static variables<double> initial(const parameters&) { return {0, -std::numeric_limits<double>::infinity(), 0}; }
};

}  // namespace

BOOST_HANA_ADAPT_STRUCT(lif_last::parameters, tau_m, v_th);

namespace {

using stdp = stdp_additive;

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
                     sw::poisson_input<"I", "g_e">{.n = 300, .rate = 10, .weight = 0.05},
                     sw::spike_monitor<"spikes", "E">{},
                     sw::state_monitor<"trace", "E", "v", "g_e">{{.neurons = {0, 1}}},
                     sw::rate_monitor<"rate", "I">{}};
}

auto make_last(std::uint64_t seed) {
  return sw::network{{.dt = 0.1, .seed = seed}, sw::population<lif_last, "L">{50},
                     sw::poisson_input<"L", "I">{.n = 100, .rate = 20, .weight = 0.5},
                     sw::projection<static_synapse, "L", "L", "I", "LL">{sw::fixed_probability{0.1}, {.w = 0.2}, 1.0}};
}

// Every bit of the state: clock, seed, variables, counters, spikes, synapses, delays, spikes in transit, traces.
template <class Net>
std::vector<std::uint64_t> snapshot(Net& net) {
  std::vector<std::uint64_t> out{net.current_step(), net.seed()};
  auto add = [&](const auto& range) {
    for (const auto& x : range) {
      if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(x)>>)
        out.push_back(std::bit_cast<std::uint64_t>(static_cast<double>(x)));
      else
        out.push_back(static_cast<std::uint64_t>(x));
    }
  };
  net.for_each_population([&](auto& pop) {
    sw::reflect::for_each_field(pop.columns(), [&](auto, const auto& c) { add(c); });
    add(pop.refractory_counter());
    add(pop.spikes());
    out.push_back(pop.spike_count());
    sw::reflect::for_each_field(pop.parameters(), [&](auto, const auto& x) { add(std::vector<double>{double(x)}); });
  });
  net.for_each_projection([&](auto& proj) {
    sw::reflect::for_each_field(proj.columns(), [&](auto, const auto& c) { add(c); });
    add(proj.row_ptr());
    add(proj.post());
    add(proj.delays());
    for (const auto& [s, i] : proj.spikes_in_transit(net.current_step())) out.insert(out.end(), {s, i});
    sw::reflect::for_each_field(proj.pre_traces(), [&](auto, const auto& c) { add(c); });
    sw::reflect::for_each_field(proj.post_traces(), [&](auto, const auto& c) { add(c); });
    out.push_back(proj.learning());
  });
  return out;
}

std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

bool has_python_module(const char* module) {
  return std::system(("/usr/bin/python3 -c 'import " + std::string(module) + "' 2>/dev/null").c_str()) == 0;
}

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

// change(name, values) for the entry `entry` of type std::vector<T> only.
template <class T, class F>
auto at_entry(std::string entry, F f) {
  return [entry, f](const std::string& name, auto& values) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(values)>, std::vector<T>>)
      if (name == entry) f(values);
  };
}
template <class F>
auto in_metadata(F f) {
  return [f](const std::string& name, auto& values) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(values)>, sw::json>)
      if (name == "metadata") f(values);
  };
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE(".only names that name nothing: a config_error with the names, nothing loaded or saved", "[state][only]") {
  auto source = make(1);
  source.simulate(20);
  const auto path = temp("sw_validation_only.npz");
  source.save(path, {.monitors = true});

  auto net = make(2);
  net.simulate(10);
  const auto before = snapshot(net);
  try {
    net.load(path, {.only = {"Ee", "E", "X"}});
    FAIL("no config_error");
  } catch (const sw::config_error& e) {
    CHECK(std::string(e.what()) ==
          path + ": .only = {\"Ee\", \"E\", \"X\"}: the network has no population, projection or monitor called 'Ee', "
                 "'X' (the network has populations E, I; projections EE, EI, IE; monitors spikes, trace, rate; the "
                 "file has populations E, I; projections EE, EI, IE; monitors spikes, trace, rate); nothing was loaded");
  }
  CHECK(snapshot(net) == before);
  CHECK_THROWS_AS(sw::io::check_state(net, path, {.only = {"Ee"}}), sw::config_error);

  // Names of a kind the options leave out select nothing either.
  CHECK_THROWS_WITH(net.load(path, {.projections = false, .only = {"E", "EE"}}),
                    Catch::Contains("'EE' is a projection and .projections = false; nothing was loaded"));
  CHECK_THROWS_WITH(net.load(path, {.only = {"spikes"}}),
                    Catch::Contains("'spikes' is a monitor and .monitors = false; nothing was loaded"));
  CHECK_THROWS_WITH(net.load<"EE">(path, {.projections = false}),
                    Catch::Contains("'EE' is a projection and .projections = false"));
  CHECK(snapshot(net) == before);

  // Saving: the same error, and no file.
  const auto nothing = temp("sw_validation_only_nothing.npz");
  std::filesystem::remove(nothing);
  CHECK_THROWS_WITH(net.save(nothing, {.only = {"Ee"}}),
                    nothing + ": .only = {\"Ee\"}: the network has no population, projection or monitor called 'Ee' "
                              "(the network has populations E, I; projections EE, EI, IE; monitors spikes, trace, "
                              "rate); nothing was saved");
  CHECK_THROWS_AS(net.save<"E">(nothing, {.populations = false}), sw::config_error);
  CHECK_FALSE(std::filesystem::exists(nothing));
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    CHECK(entry.path().filename().string().find("sw_validation_only_nothing.npz.tmp") == std::string::npos);

  // Names that exist still load alone.
  net.load(path, {.only = {"E"}});
  CHECK(net.current_step() == 200);
  std::filesystem::remove(path);
}

TEST_CASE("values the model cannot take are refused, naming entry, element, value and rule; nothing changes",
          "[state][values]") {
  auto source = make(21);
  source.simulate(30);
  const auto path = temp("sw_validation_source.npz");
  const auto bad = temp("sw_validation_bad.npz");
  source.save(path);
  auto target = make(22);
  target.simulate(3);
  const auto before = snapshot(target);

  // `alone`: the only problem (a step far ahead also puts other projections' spikes in transit out of time).
  auto refused = [&](const std::string& expected, auto change, bool alone = true) {
    rewrite_state(path, bad, change);
    INFO(expected);
    try {
      target.load(bad);
      FAIL("no mismatch_error");
    } catch (const sw::mismatch_error& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::StartsWith(bad + ": does not fit the network, nothing was loaded:\n  "));
      CHECK_THAT(what, Catch::Contains(expected));
      if (alone) CHECK(lines(what) == 1);  // that rule, nothing else
    }
    CHECK(snapshot(target) == before);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  refused("population 'E': v[17] = nan, must be finite",
          at_entry<double>("populations/E/v", [&](auto& v) { v[17] = nan; }));
  refused("population 'I': g_i[3] = -inf, must be finite (and 1 more)",
          at_entry<double>("populations/I/g_i", [&](auto& v) { v[3] = -inf, v[30] = nan; }));
  refused("projection 'EE': w[5] = inf, must be finite",
          at_entry<double>("projections/EE/w", [&](auto& v) { v[5] = inf; }));
  refused("projection 'EE': pre_trace/x[2] = nan, must be finite",
          at_entry<double>("projections/EE/pre_trace/x", [&](auto& v) { v[2] = nan; }));
  refused("projection 'EE': post_trace/y[0] = inf, must be finite",
          at_entry<double>("projections/EE/post_trace/y", [&](auto& v) { v[0] = inf; }));
  refused("population 'E': refractory[4] = -1e+09, must be a whole number of steps in [0, 16777216]",
          at_entry<double>("populations/E/refractory", [&](auto& v) { v[4] = -1e9; }));
  refused("population 'E': refractory[4] = 2.5, must be a whole number of steps",
          at_entry<double>("populations/E/refractory", [&](auto& v) { v[4] = 2.5; }));
  refused("population 'E': refractory[9] = nan",
          at_entry<double>("populations/E/refractory", [&](auto& v) { v[9] = nan; }));
  refused("step = 4611686018427387904, must be below 2^48 = 281474976710656",
          in_metadata([](auto& m) {
            m["step"] = std::uint64_t{1} << 62;
            m["time"] = static_cast<double>(std::uint64_t{1} << 62) * 0.1;
          }),
          false);
  refused("time = 12 ms, must be step * dt = 300 * 0.1 = 30 ms", in_metadata([](auto& m) { m["time"] = 12.0; }));
  // Spikes in transit of projection EE (delay 15 steps): steps and neurons.
  auto transit = [](std::vector<std::uint64_t> steps, std::vector<std::uint32_t> pres, auto also) {
    return [=](const std::string& name, auto& values) {
      using V = std::remove_cvref_t<decltype(values)>;
      if constexpr (std::is_same_v<V, std::vector<std::uint64_t>>)
        if (name == "projections/EE/transit_step") values = steps;
      if constexpr (std::is_same_v<V, std::vector<std::uint32_t>>)
        if (name == "projections/EE/transit_pre") values = pres;
      also(name, values);
    };
  };
  const auto nothing_else = [](const std::string&, auto&) {};
  // A step far ahead of the spikes in transit: before, they were dropped without a word.
  refused("projection 'EE': spike in transit 0 (neuron 7, step 299) must be emitted in steps [385, 400)",
          transit({299}, {7}, in_metadata([](auto& m) {
                    m["step"] = 400;
                    m["time"] = 400 * 0.1;
                  })),
          false);
  refused("projection 'EE': spike in transit 1 (neuron 3, step 280) must be emitted in steps [285, 300): the file's "
          "step is 300 and its longest delay 15 steps",
          transit({290, 280}, {1, 3}, nothing_else));
  refused("projection 'EE': spike in transit 1 (neuron 3, step 300) must be emitted in steps [285, 300)",
          transit({290, 300}, {1, 3}, nothing_else));
  refused("projection 'EE': spike in transit 1 (neuron 3, step 290) is out of order: spikes in transit go by step, "
          "then neuron, each once",
          transit({290, 290}, {3, 3}, nothing_else));
  refused("projection 'EE': spike in transit 1 (neuron 2, step 289) is out of order",
          transit({290, 289}, {1, 2}, nothing_else));
  refused("projection 'EE': spike in transit 0 (neuron 160, step 290) must be a neuron of the 160 of 'E'",
          transit({290}, {160}, nothing_else));
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

TEST_CASE("a model may declare variables that hold inf (non_finite); the rest are still checked", "[state][values]") {
  auto net = make_last(3);
  const auto path = temp("sw_validation_last.npz");
  const auto bad = temp("sw_validation_last_bad.npz");
  net.simulate(5);
  const auto& t_last = net.population<"L">().columns().t_last;
  REQUIRE(std::any_of(t_last.begin(), t_last.end(), [](double t) { return std::isinf(t); }));  // never fired
  net.save(path);
  auto other = make_last(4);
  other.load(path);
  CHECK(snapshot(other) == snapshot(net));
  rewrite_state(path, bad, at_entry<double>("populations/L/v", [](auto& v) { v[1] = std::nan(""); }));
  CHECK_THROWS_WITH(other.load(bad), Catch::Contains("population 'L': v[1] = nan, must be finite"));
  const auto meta = sw::json::parse(sw::io::npz_reader(path).read_string("metadata"));
  CHECK(meta["populations"]["L"]["model_name"] == "lif_last");  // the model's own name
  CHECK(meta["populations"]["L"]["units"] == sw::json{{"v", "1"}, {"t_last", "ms"}, {"I", ""}, {"refractory", "steps"}});
  CHECK(meta["projections"]["LL"]["units"]["w"] == "");  // "{target}" of a target without a unit
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

TEST_CASE("a parameter that breaks a rule is reported alone, not with every variable of its population",
          "[state][parameters]") {
  auto source = make(5);
  source.simulate(10);
  const auto path = temp("sw_validation_params.npz");
  const auto bad = temp("sw_validation_params_bad.npz");
  source.save(path);
  auto target = make(6);
  const auto before = snapshot(target);
  for (const char* element : {"populations", "projections"}) {
    INFO(element);
    const bool pop = std::string_view(element) == "populations";
    rewrite_state(path, bad, in_metadata([&](auto& m) {
                    if (pop)
                      m["populations"]["E"]["parameters"]["tau_m"] = -1;
                    else
                      m["projections"]["EE"]["parameters"]["tau_plus"] = -1;
                  }));
    try {
      target.load(bad);
      FAIL("no mismatch_error");
    } catch (const sw::mismatch_error& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::Contains(pop ? "population 'E': tau_m = -1, must be > 0 (the file's parameters)"
                                           : "tau_plus = -1, must be > 0 (the file's parameters)"));
      CHECK_THAT(what, !Catch::Contains("not a variable of the network"));
      CHECK(lines(what) == 1);
    }
    CHECK(snapshot(target) == before);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

TEST_CASE("state files name their models and the units of every variable, in every format", "[state][metadata]") {
  auto net = make(7);
  net.simulate(10);
  for (const char* ext : {".npz", ".bin", ".xml.gz", ".h5"}) {
    INFO(ext);
    const auto path = temp(std::string("sw_validation_meta") + ext);
    net.save(path, {.monitors = true});
    std::string text;
    if (std::string_view(ext) == ".npz")
      text = sw::io::npz_reader(path).read_string("metadata");
    else if (std::string_view(ext) == ".h5")
      text = sw::io::h5_reader(path).read_string("metadata");
    else
      text = sw::io::archive_reader(path).read_string("metadata");
    const auto meta = sw::json::parse(text);
    CHECK(meta["units"] == sw::json{{"dt", "ms"}, {"time", "ms"}});
    const auto& e = meta["populations"]["E"];
    CHECK(e["model_name"] == "spikeweave::models::lif_cond_exp");
    CHECK(e["units"] == sw::json{{"v", "mV"}, {"g_e", "g_L"}, {"g_i", "g_L"}, {"refractory", "steps"}});
    const auto& ee = meta["projections"]["EE"];
    CHECK(ee["model_name"] == "spikeweave::models::stdp_additive");
    CHECK(ee["units"] == sw::json{{"w", "g_L"}, {"delay", "steps"}, {"transit_step", "steps"},
                                  {"pre_trace/x", "g_L"}, {"post_trace/y", "g_L"}});
    CHECK(meta["projections"]["IE"]["units"]["w"] == "g_L");
    CHECK(meta["monitors"]["trace"]["units"] == sw::json{{"steps", "steps"}, {"v", "mV"}, {"g_e", "g_L"}});
    CHECK(meta["monitors"]["rate"]["units"] == sw::json{{"steps", "steps"}, {"rates", "Hz"}});
    if (std::string_view(ext) == ".h5") {
      if (has_python_module("h5py")) {
        const std::string check =
            "/usr/bin/python3 -c \"import h5py, json; f = h5py.File('" + path + "', 'r'); "
            "m = f.attrs['metadata']; assert isinstance(m, str), type(m); "
            "assert json.loads(m)['populations']['E']['model_name'] == 'spikeweave::models::lif_cond_exp'; "
            "a = f['populations/E'].attrs['model']; assert a == 'spikeweave::models::lif_cond_exp', a; "
            "u = f['populations/E/v'].attrs['units']; assert u == 'mV' and isinstance(u, str), u; "
            "assert f['projections/EE/delay'].attrs['units'] == 'steps'; "
            "assert f['projections/EE/pre_trace/x'].attrs['units'] == 'g_L'; "
            "assert f['monitors/rate/rates'].attrs['units'] == 'Hz'\"";
        CHECK(std::system(check.c_str()) == 0);
      } else {
        WARN("h5py is not installed: the .h5 attributes were not read back");
      }
    }
    auto other = make(8);
    other.load(path, {.monitors = true});
    CHECK(snapshot(other) == snapshot(net));
    std::filesystem::remove(path);
  }
}

TEST_CASE("files of the previous version (no model names, no units) still load, bit for bit", "[state][metadata]") {
  auto reference = make(9);
  reference.simulate(20);
  const auto path = temp("sw_validation_new.npz");
  const auto old = temp("sw_validation_old.npz");
  reference.save(path);
  rewrite_state(path, old, in_metadata([](auto& m) {
                  m.erase("units");
                  for (const char* section : {"populations", "projections"})
                    for (auto& element : m[section]) {
                      element.erase("model_name");
                      element.erase("units");
                    }
                }));
  auto resumed = make(10);
  resumed.load(old);
  CHECK(snapshot(resumed) == snapshot(reference));
  reference.simulate(10);
  resumed.simulate(10);
  CHECK(snapshot(resumed) == snapshot(reference));
  std::filesystem::remove(path);
  std::filesystem::remove(old);
}
