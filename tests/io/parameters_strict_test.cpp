// Parameter files: strict loads are complete (nothing missing, nothing unexpected, one error listing both),
// non-strict loads report what was missing and unexpected; typed access to the "network" dictionary and
// type errors that name the key (issue 15).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;
using sw::json;

namespace {

struct strict_dir {
  std::filesystem::path path;
  strict_dir() : path(std::filesystem::temp_directory_path() / ("sw_params_strict_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path);
  }
  strict_dir(const strict_dir&) = delete;
  strict_dir& operator=(const strict_dir&) = delete;
  ~strict_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  [[nodiscard]] std::string file(const std::string& name, const std::string& text) const {
    const auto p = (path / name).string();
    std::ofstream(p) << text;
    return p;
  }
};

auto make_network() {
  return sw::network{{.dt = 0.1, .seed = 1},
                     sw::population<izhikevich, "E">{20, {.a = 0.02, .I_ext = 5}},
                     sw::population<lif_cond_exp, "I">{10},
                     sw::projection<static_synapse, "E", "I", "g_e", "EI">{sw::fixed_probability{0.2}, {.w = 0.5}}};
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

template <class Net>
json parameters_of(Net& net) {
  return sw::io::parameter_io::to_document(net);
}

struct counts {
  std::int32_t n = 3;
  std::uint8_t small = 7;
  float x = 1;
};

}  // namespace

BOOST_HANA_ADAPT_STRUCT(counts, n, small, x);

TEST_CASE("strict: a file save_parameters wrote is complete and loads", "[parameters][strict]") {
  strict_dir dir;
  auto net = make_network();
  net.constant("k", 2);
  const auto file = (dir.path / "all.json").string();
  net.save_parameters(file);
  auto other = make_network();
  other.constant("k", 1);
  const auto values = other.load_parameters(file, {.strict = true});
  CHECK(values.complete());
  CHECK(values.missing().empty());
  CHECK(values.unexpected().empty());
  CHECK(parameters_of(other) == parameters_of(net));
}

TEST_CASE("strict: what the file lacks or the network lacks is one config_error listing it all; nothing changes",
          "[parameters][strict]") {
  strict_dir dir;
  auto net = make_network();
  net.constant("k", 1);
  const auto before = parameters_of(net);
  // E lacks b and I_ext, I is missing, EI is there (static synapses have no parameters), constant k is
  // missing; X and E/tau are unexpected. Before, a strict load set E's a and left the rest silently.
  const auto file = dir.file("partial.json", R"({"populations": {"E": {"a": 0.05, "c": -60, "d": 2, "v_peak": 30,
      "tau": 1}, "X": {}}, "projections": {"EI": {}}, "constants": {"g": 1}})");
  const std::string m = error_of([&] { net.load_parameters(file, {.strict = true}); });
  CHECK(m == file + ": does not match the network (strict), nothing was loaded:\n"
                    "  /populations/E/b: missing from the file\n"
                    "  /populations/E/I_ext: missing from the file\n"
                    "  /populations/E/tau: no parameter 'tau'\n"
                    "  /populations/X: no population 'X' in the network\n"
                    "  /populations/I: missing from the file\n"
                    "  /constants/k: missing from the file");
  CHECK(parameters_of(net) == before);
  CHECK(net.constant("k") == 1);

  // A missing section is every element in it.
  const auto empty = dir.file("empty.json", "{}");
  CHECK(error_of([&] { net.load_parameters(empty, {.strict = true}); }) ==
        empty + ": does not match the network (strict), nothing was loaded:\n"
                "  /populations/E: missing from the file\n"
                "  /populations/I: missing from the file\n"
                "  /projections/EI: missing from the file\n"
                "  /constants/k: missing from the file");
  // Variables with global_only (the default) are unexpected: the hint says how to set them.
  sw::json doc = sw::io::parameter_io::to_document(net);
  doc["populations"]["E"]["v"] = -60;
  const auto with_variable = dir.file("variable.json", doc.dump());
  CHECK(error_of([&] { net.load_parameters(with_variable, {.strict = true}); }) ==
        with_variable + ": does not match the network (strict), nothing was loaded:\n"
                        "  /populations/E/v: 'v' is a variable, not a parameter (load with global_only = false to set it)");
  CHECK_NOTHROW(net.load_parameters(with_variable, {.global_only = false, .strict = true}));
  CHECK(net.population<"E">().columns().v[0] == -60);
}

TEST_CASE("non-strict: what the file has is set, missing and unexpected are reported", "[parameters][strict]") {
  strict_dir dir;
  auto net = make_network();
  net.constant("k", 1);
  const auto file = dir.file("partial.json", R"({"populations": {"E": {"a": 0.05, "tau": 1}, "X": {}},
                                                 "network": {"seed": 12}})");
  const auto values = net.load_parameters(file);  // ANNarchy's semantics: set what is there, keep the rest
  CHECK(net.population<"E">().parameters().a == 0.05);
  CHECK(net.population<"E">().parameters().I_ext == 5);  // kept
  CHECK_FALSE(values.complete());
  CHECK(values.missing() == std::vector<std::string>{"/populations/E/b", "/populations/E/c", "/populations/E/d",
                                                      "/populations/E/v_peak", "/populations/E/I_ext",
                                                      "/populations/I", "/projections/EI", "/constants/k"});
  CHECK(values.unexpected() == std::vector<std::string>{"/populations/E/tau", "/populations/X"});
  // Only the unexpected are warnings (a partial file is the usual way to change a few values).
  CHECK(values.warnings() == std::vector<std::string>{file + ": /populations/E/tau: no parameter 'tau'; ignored",
                                                      file + ": /populations/X: no population 'X' in the network; ignored"});
}

TEST_CASE("the network dictionary: typed values; every type error names the file and the key", "[parameters]") {
  strict_dir dir;
  auto net = make_network();
  const auto file = dir.file("n.json", R"({"network": {"seed": "abc", "runs": 3, "negative": -1, "big": 300,
      "ratio": 0.5, "huge": 1e300, "label": "x", "on": true}})");
  const auto values = net.load_parameters(file);
  // Was nlohmann's "[json.exception.type_error.302] type must be number, but is string", without the key.
  CHECK(error_of([&] { (void)values.get<std::uint64_t>("seed"); }) ==
        file + ": /network/seed = \"abc\", must be an unsigned integer");
  CHECK(values.get<std::uint64_t>("runs") == 3);
  CHECK(values.get<int>("negative") == -1);
  CHECK(error_of([&] { (void)values.get<std::uint64_t>("negative"); }) ==
        file + ": /network/negative = -1, must be an unsigned integer");
  CHECK(error_of([&] { (void)values.get<std::uint8_t>("big"); }) ==
        file + ": /network/big = 300, must be an integer in [0, 255]");
  CHECK(error_of([&] { (void)values.get<int>("ratio"); }) == file + ": /network/ratio = 0.5, must be an integer in [" +
                                                                 std::to_string(INT32_MIN) + ", 2147483647]");
  CHECK(values.get<double>("ratio") == 0.5);
  CHECK(error_of([&] { (void)values.get<float>("huge"); }) ==
        file + ": /network/huge = 1e+300, must be a finite number in the range of float");
  CHECK(values.get<std::string>("label") == "x");
  CHECK(error_of([&] { (void)values.get<std::string>("on"); }) == file + ": /network/on = true, must be a string");
  CHECK(values.get<bool>("on"));
  CHECK(error_of([&] { (void)values.get<bool>("absent"); }) == file + ": /network has no 'absent'");
  CHECK(values.get<int>("absent", 7) == 7);
  CHECK(error_of([&] { (void)values.get<int>("label", 7); }) == file + ": /network/label = \"x\", must be an integer in [" +
                                                                    std::to_string(INT32_MIN) + ", 2147483647]");
}

TEST_CASE("integer and float members are checked against their range, naming the path", "[parameters]") {
  counts c;
  CHECK(error_of([&] { sw::io::from_json(json{{"small", 256}}, c, "/c"); }) == "/c/small = 256, must be an integer in [0, 255]");
  CHECK(error_of([&] { sw::io::from_json(json{{"small", -1}}, c, "/c"); }) == "/c/small = -1, must be an integer in [0, 255]");
  CHECK(error_of([&] { sw::io::from_json(json{{"n", 1.5}}, c, "/c"); }) ==
        "/c/n = 1.5, must be an integer in [" + std::to_string(INT32_MIN) + ", 2147483647]");
  CHECK(error_of([&] { sw::io::from_json(json{{"x", 1e39}}, c, "/c"); }) ==
        "/c/x = 1e+39, must be a finite number in the range of float");
  CHECK(c.small == 7);  // all or nothing
  sw::io::from_json(json{{"small", 255}, {"n", -4}, {"x", 2.5}}, c, "/c");
  CHECK(c.small == 255);
  CHECK(c.n == -4);
  CHECK(c.x == 2.5f);
}
