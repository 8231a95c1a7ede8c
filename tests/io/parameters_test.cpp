// JSON parameter files: save, load, round trips, warnings, transactions, errors, schema.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;
using sw::json;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() : path(std::filesystem::temp_directory_path() / ("sw_params_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  [[nodiscard]] std::string file(const std::string& name, const std::string& text = "") const {
    const auto p = (path / name).string();
    if (!text.empty()) std::ofstream(p) << text;
    return p;
  }
};

auto make_network() {
  return sw::network{{.dt = 0.1, .seed = 1},
                     sw::population<izhikevich, "E">{20, {.a = 0.02, .I_ext = 5}},
                     sw::population<lif_cond_exp>{10},
                     sw::projection<static_synapse, "E", "E", "I", "EE">{sw::fixed_probability{0.2}, {.w = 0.5}}};
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const sw::error& e) {
    return e.what();
  }
  return "(no error)";
}

// Every parameter and variable, to compare whole networks.
template <class Net>
json snapshot(Net& net) {
  json s = sw::io::parameter_io::to_document(net);
  net.for_each_population([&](auto& pop) {
    sw::reflect::for_each_field(pop.columns(), [&](std::string_view name, const auto& c) {
      s["state"][std::string(pop.name())][std::string(name)] = std::vector<double>(c.begin(), c.end());
    });
  });
  net.for_each_projection([&](auto& proj) {
    s["state"][std::string(proj.name())]["w"] = std::vector<double>(proj.columns().w.begin(), proj.columns().w.end());
  });
  return s;
}

}  // namespace

TEST_CASE("save_parameters writes every population, projection and constant, keys in declaration order", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  net.constant("gain", 2.5);
  const auto file = dir.file("p.json");
  net.save_parameters(file);
  std::ifstream in(file);
  const json doc = json::parse(in);
  std::vector<std::string> sections;
  for (const auto& item : doc.items()) sections.push_back(item.key());
  CHECK(sections == std::vector<std::string>{"populations", "projections", "network", "constants"});
  std::vector<std::string> keys;
  for (const auto& item : doc["populations"]["E"].items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"a", "b", "c", "d", "v_peak", "I_ext"});
  CHECK(doc["populations"]["E"]["I_ext"] == 5.0);
  CHECK(doc["populations"]["pop1"]["tau_m"] == 20.0);  // the default name
  CHECK(doc["projections"]["EE"] == json::object());  // static synapses have no parameters
  CHECK(doc["constants"]["gain"] == 2.5);
  CHECK(doc["network"] == json::object());
}

TEST_CASE("save_parameters then load_parameters is the identity", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  net.population<"E">().set_parameters({.a = 0.1, .b = 0.25, .c = -60, .d = 2, .v_peak = 25, .I_ext = 7.25});
  net.constant("c1", 0.125);
  const auto file = dir.file("p.json");
  net.save_parameters(file);
  auto other = make_network();
  other.load_parameters(file);
  CHECK(snapshot(other) == snapshot(net));
  // And saving again gives the same file.
  const auto again = dir.file("q.json");
  other.save_parameters(again);
  std::ifstream a(file), b(again);
  CHECK(std::string(std::istreambuf_iterator<char>(a), {}) == std::string(std::istreambuf_iterator<char>(b), {}));
}

TEST_CASE("load_parameters returns the network dictionary with typed access", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  const auto file = dir.file("p.json", R"({"network": {"r_min": 0.1, "label": "x"}})");
  const auto values = net.load_parameters(file);
  CHECK(values.number("r_min") == 0.1);
  CHECK(values.contains("label"));
  CHECK(values.network()["label"] == "x");
  CHECK(error_of([&] { (void)values.number("label"); }) == file + ": /network/label = \"x\", must be a finite number");
  CHECK(error_of([&] { (void)values.number("r_max"); }).find("/network has no 'r_max'") != std::string::npos);
}

TEST_CASE("unknown names are warnings that name them; strict makes them errors", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  const auto file = dir.file("p.json", R"({"populations": {"E": {"a": 0.03, "tau": 1}, "X": {"a": 1}},
                                           "projections": {"YY": {}}, "extra": 1})");
  const auto before = snapshot(net);
  const auto values = net.load_parameters(file);
  REQUIRE(values.warnings().size() == 4);
  CHECK(values.warnings()[0] == file + ": /extra: not a section of a parameter file (populations, projections, network, constants); ignored");
  CHECK(values.warnings()[1] == file + ": /populations/E/tau: no parameter 'tau'; ignored");
  CHECK(values.warnings()[2] == file + ": /populations/X: no population 'X' in the network; ignored");
  CHECK(values.warnings()[3] == file + ": /projections/YY: no projection 'YY' in the network; ignored");
  CHECK(net.population<"E">().parameters().a == 0.03);  // the known value was loaded

  // Strict: one error lists everything unexpected (and missing: tests/io/parameters_strict_test.cpp), without
  // the "; ignored" of the warnings.
  auto strict = make_network();
  const auto strict_before = snapshot(strict);
  const std::string m = error_of([&] { strict.load_parameters(file, sw::load_parameters_options{.strict = true}); });
  CHECK(m.starts_with(file + ": does not match the network (strict), nothing was loaded:\n"
                             "  /extra: not a section of a parameter file (populations, projections, network, constants)\n"
                             "  /populations/E/b: missing from the file\n"));
  CHECK(m.find("\n  /populations/E/tau: no parameter 'tau'\n") != std::string::npos);
  CHECK(m.find("\n  /populations/X: no population 'X' in the network\n") != std::string::npos);
  CHECK(m.find("ignored") == std::string::npos);
  CHECK(snapshot(strict) == strict_before);
  (void)before;
}

TEST_CASE("a rejected file changes nothing: types, finiteness and the model's rules are checked first", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  net.constant("k", 1);
  const auto before = snapshot(net);
  auto rejects = [&](const std::string& text, const std::string& expected) {
    const auto file = dir.file("bad.json", text);
    INFO(text);
    CHECK(error_of([&] { net.load_parameters(file); }) == file + ": " + expected);
    CHECK(snapshot(net) == before);
    CHECK(net.constant("k") == 1);
  };
  // The good values before the bad one must not be applied either.
  rejects(R"({"constants": {"k": 5}, "populations": {"E": {"a": 0.5, "c": 40}}})",
          "/populations/E: population 'E': c = 40, must be < v_peak = 30");
  rejects(R"({"populations": {"E": {"a": "fast"}}})", "/populations/E/a = \"fast\", must be a finite number");
  rejects(R"({"populations": {"pop1": {"tau_m": -1}}})", "/populations/pop1: population 'pop1': tau_m = -1, must be > 0");
  rejects(R"({"populations": []})", "/populations = [], must be an object");
  rejects(R"({"constants": {"k": true}})", "/constants/k = true, must be a finite number");
}

TEST_CASE("malformed JSON is a format_error with line and column; a missing file an io_error", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  const auto file = dir.file("broken.json", "{\n  \"populations\": {\n    \"E\": {\"a\": 0.1,}\n  }\n}\n");
  try {
    net.load_parameters(file);
    FAIL("no exception");
  } catch (const sw::format_error& e) {
    CHECK(std::string(e.what()).find(file + ": ") == 0);
    INFO(e.what());
    CHECK(std::string(e.what()).find("line 3, column 20") != std::string::npos);
  }
  CHECK_THROWS_AS(net.load_parameters(dir.file("absent.json")), sw::io_error);
  // Numbers JSON cannot hold as a double are format errors too.
  CHECK_THROWS_AS(net.load_parameters(dir.file("huge.json", R"({"populations": {"E": {"a": 1e999}}})")),
                  sw::format_error);
}

TEST_CASE("global_only = false sets variables: a scalar for all, an array element-wise, checked", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  std::string v10 = "[";
  for (int i = 0; i < 10; ++i) v10 += (i ? ", " : "") + std::to_string(-70 + i);
  v10 += "]";
  const auto file = dir.file("vars.json", R"({"populations": {"E": {"u": -3, "a": 0.05}, "pop1": {"v": )" + v10 +
                                              R"(}}, "projections": {"EE": {"w": 0.25}}})");
  // Ignored with a warning by default, as ANNarchy does.
  auto first = net.load_parameters(file);
  CHECK(first.warnings().size() == 3);
  CHECK(net.population<"E">().columns().u[0] != -3);
  CHECK(net.population<"E">().parameters().a == 0.05);

  net.load_parameters(file, sw::load_parameters_options{.global_only = false});
  for (double u : net.population<"E">().columns().u) CHECK(u == -3);
  for (std::size_t i = 0; i < 10; ++i) CHECK(net.population<"pop1">().columns().v[i] == -70.0 + static_cast<double>(i));
  for (double w : net.projection<"EE">().columns().w) CHECK(w == 0.25);

  const auto before = snapshot(net);
  const auto wrong = dir.file("wrong.json", R"({"populations": {"E": {"u": 1}, "pop1": {"v": [1, 2]}}})");
  CHECK(error_of([&] { net.load_parameters(wrong, sw::load_parameters_options{.global_only = false}); }) ==
        wrong + ": /populations/pop1/v has 2 values, there are 10 neurons");
  CHECK(snapshot(net) == before);
}

TEST_CASE("constants are saved, loaded (created if absent) and read back", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  CHECK(error_of([&] { (void)net.constant("g"); }) == "network: no constant 'g'");
  net.load_parameters(dir.file("c.json", R"({"constants": {"g": 3.5, "h": -1}})"));
  CHECK(net.constant("g") == 3.5);
  CHECK(net.constant("h") == -1);
  CHECK(net.constants().size() == 2);
  CHECK(error_of([&] { net.constant("bad", INFINITY); }) == "network: constant 'bad' = inf, must be finite");
}

TEST_CASE("verbose lists every change as path: old -> new", "[parameters]") {
  temp_dir dir;
  auto net = make_network();
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  net.load_parameters(dir.file("v.json", R"({"populations": {"E": {"a": 0.1, "b": 0.2}}, "constants": {"k": 2}})"),
                      sw::load_parameters_options{.verbose = true});
  std::cout.rdbuf(old);
  CHECK(captured.str() == "/populations/E/a: 0.02 -> 0.1\n/constants/k: (new) -> 2\n");  // b did not change
}

TEST_CASE("to_json / from_json on any reflected struct; nested structs; JSON Schema of the file", "[parameters]") {
  const lif_cond_exp::parameters p{.tau_m = 12};
  const json j = sw::io::to_json(p);
  CHECK(j["tau_m"] == 12.0);
  lif_cond_exp::parameters q;
  sw::io::from_json(j, q);
  CHECK(sw::io::to_json(q) == j);
  CHECK(error_of([&] { sw::io::from_json(json{{"tau_m", "x"}}, q, "/p"); }) == "/p/tau_m = \"x\", must be a finite number");
  CHECK(error_of([&] { sw::io::from_json(json{{"taum", 1}}, q, "/p"); }) == "/p/taum: no such member");

  auto net = make_network();
  const json schema = net.parameter_schema();
  CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
  const json& e = schema["properties"]["populations"]["properties"]["E"];
  CHECK(e["properties"]["a"]["type"] == "number");
  CHECK(e["properties"]["a"]["default"] == 0.02);
  CHECK(e["additionalProperties"] == false);
  CHECK(schema["properties"]["projections"]["properties"].contains("EE"));
}
