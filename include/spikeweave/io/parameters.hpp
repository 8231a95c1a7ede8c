// JSON parameter files: save_parameters / load_parameters, reflected to_json / from_json, and a JSON Schema.
//
// The file holds the shared parameters of every population and projection,
// the network's constants and a free "network" dictionary, as ANNarchy's
// parameter files do:
//   {"populations": {"E": {"tau_m": 20, ...}}, "projections": {"EE": {...}},
//    "network": {...}, "constants": {"c": 2.0}}
// Keys follow the declaration order of the model structs. Loading is
// transactional: the whole file is parsed and every value checked (type,
// finite, the model's own rules) before anything changes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "atomic_file.hpp"

namespace spikeweave {

/// JSON with keys in insertion order (declaration order of the structs).
using json = nlohmann::ordered_json;

/// Options of load_parameters (ANNarchy's, plus `strict`).
struct load_parameters_options {
  bool global_only = true;  ///< false: a value may also set a variable of every neuron or synapse
  bool verbose = false;     ///< print `path: old -> new` for every change
  bool strict = false;      ///< unknown populations, projections and names are errors, not warnings
};

/// What load_parameters returns: the file's "network" dictionary, and the warnings it gave.
class parameter_values {
 public:
  parameter_values() = default;
  parameter_values(json network, std::vector<std::string> warnings, std::string file)
      : network_(std::move(network)), warnings_(std::move(warnings)), file_(std::move(file)) {}

  /// The "network" dictionary as JSON.
  [[nodiscard]] const json& network() const { return network_; }
  /// True if the dictionary has `key`.
  [[nodiscard]] bool contains(std::string_view key) const { return network_.contains(key); }
  /// The number stored under `key`; config_error if it is missing or not a number.
  [[nodiscard]] double number(std::string_view key) const {
    const auto it = network_.find(key);
    if (it == network_.end())
      throw config_error(file_ + ": /network has no '" + std::string(key) + "'");
    if (!it->is_number())
      throw config_error(file_ + ": /network/" + std::string(key) + " is " + it->type_name() + ", not a number");
    return it->get<double>();
  }
  /// Warnings about names the network does not know (also printed to stderr).
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  json network_ = json::object();
  std::vector<std::string> warnings_;
  std::string file_;
};

namespace io {

/// The members of a reflected struct as a JSON object (nested structs nested).
template <reflect::reflected S>
json to_json(const S& s) {
  json out = json::object();
  reflect::for_each_field(s, [&](std::string_view name, const auto& value) {
    using T = std::remove_cvref_t<decltype(value)>;
    if constexpr (reflect::reflected<T>)
      out[std::string(name)] = to_json(value);
    else
      out[std::string(name)] = value;
  });
  return out;
}

/// One JSON value into one member; returns what is wrong, or "" if it fits.
template <class T>
std::string assign(T& field, const json& value, const std::string& where) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) return where + " is " + value.type_name() + ", expected a boolean";
    field = value.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!value.is_number_integer()) return where + " is " + value.dump() + ", expected an integer";
    field = value.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) return where + " is " + std::string(value.type_name()) + ", expected a number";
    const double x = value.get<double>();
    if (!std::isfinite(x)) return where + " = " + value.dump() + ", must be finite";
    field = static_cast<T>(x);
  } else {
    static_assert(reflect::reflected<T>, "spikeweave: parameters are numbers, booleans or reflected structs");
    if (!value.is_object()) return where + " is " + std::string(value.type_name()) + ", expected an object";
    std::string problem;
    reflect::for_each_field(field, [&](std::string_view name, auto& member) {
      const auto it = value.find(name);
      if (problem.empty() && it != value.end()) problem = assign(member, *it, where + "/" + std::string(name));
    });
    if (!problem.empty()) return problem;
    for (const auto& item : value.items())
      if (!reflect::has_field<T>(item.key())) return where + "/" + item.key() + ": no such member";
  }
  return "";
}

/// Members of `s` from a JSON object; config_error on a wrong type or an unknown key.
template <reflect::reflected S>
void from_json(const json& j, S& s, const std::string& where = "") {
  S staged = s;
  if (const std::string problem = assign(staged, j, where); !problem.empty()) throw config_error(problem);
  s = staged;
}

/// JSON Schema of a reflected struct, with the values of `defaults` as defaults.
template <reflect::reflected S>
json schema_of(const S& defaults) {
  json properties = json::object();
  reflect::for_each_field(defaults, [&](std::string_view name, const auto& value) {
    using T = std::remove_cvref_t<decltype(value)>;
    json p;
    if constexpr (reflect::reflected<T>) {
      p = schema_of(value);
    } else {
      p["type"] = std::is_same_v<T, bool> ? "boolean" : std::is_integral_v<T> ? "integer" : "number";
      p["default"] = value;
    }
    properties[std::string(name)] = p;
  });
  return json{{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
}

/// Writes `text` to `path` atomically: a temporary file beside it, synced, then renamed over it.
inline void write_atomically(const std::filesystem::path& path, const std::string& text) {
  io::detail::write_file_atomically(path.string(), text);
}

/// save_parameters / load_parameters / parameter_schema of a network.
struct parameter_io {
  template <class Net>
  static json to_document(Net& net) {
    json doc = {{"populations", json::object()}, {"projections", json::object()}, {"network", json::object()},
                {"constants", json::object()}};
    net.for_each_population([&](auto& pop) { doc["populations"][std::string(pop.name())] = to_json(pop.parameters()); });
    net.for_each_projection([&](auto& proj) { doc["projections"][std::string(proj.name())] = to_json(proj.parameters()); });
    for (const auto& [name, value] : net.constants()) doc["constants"][name] = value;
    return doc;
  }

  template <class Net>
  static void save(Net& net, const std::filesystem::path& path) {
    write_atomically(path, to_document(net).dump(4) + "\n");
  }

  template <class Net>
  static json schema(Net& net) {
    json pops = json::object(), projs = json::object();
    net.for_each_population([&](auto& pop) { pops[std::string(pop.name())] = schema_of(pop.parameters()); });
    net.for_each_projection([&](auto& proj) { projs[std::string(proj.name())] = schema_of(proj.parameters()); });
    return json{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                {"title", "spikeweave parameter file"},
                {"type", "object"},
                {"properties",
                 {{"populations", {{"type", "object"}, {"properties", pops}, {"additionalProperties", false}}},
                  {"projections", {{"type", "object"}, {"properties", projs}, {"additionalProperties", false}}},
                  {"network", {{"type", "object"}}},
                  {"constants", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}}}},
                {"additionalProperties", false}};
  }

  template <class Net>
  static parameter_values load(Net& net, const std::filesystem::path& path, const load_parameters_options& o) {
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(file + ": cannot open the parameter file");
    json doc;
    try {
      doc = json::parse(in);
    } catch (const json::exception& e) {
      // Syntax errors carry the line and column; overflows (1e999) the token.
      throw format_error(file + ": " + e.what());
    }
    if (!doc.is_object()) throw format_error(file + ": the top level must be an object, not " + doc.type_name());

    std::vector<std::string> warnings;
    std::vector<std::function<void()>> commits;  // run only once everything is checked
    std::vector<std::string> changes;
    auto unknown = [&](const std::string& message) {
      if (o.strict) throw config_error(file + ": " + message);
      warnings.push_back(file + ": " + message);
    };

    for (const auto& item : doc.items())
      if (item.key() != "populations" && item.key() != "projections" && item.key() != "network" &&
          item.key() != "constants")
        unknown("/" + item.key() + ": not a section of a parameter file (populations, projections, network, "
                "constants); ignored");

    auto section = [&](const char* name) -> const json* {
      const auto it = doc.find(name);
      if (it == doc.end()) return nullptr;
      if (!it->is_object())
        throw config_error(file + ": /" + std::string(name) + " is " + it->type_name() + ", expected an object");
      return &*it;
    };

    auto stage_element = [&](auto& element, const json& values, const std::string& where, std::size_t count,
                             const char* per) {
      if (!values.is_object()) throw config_error(file + ": " + where + " is " + values.type_name() + ", expected an object");
      auto staged = element.parameters();
      for (const auto& item : values.items()) {
        const std::string key = item.key(), at = where + "/" + key;
        bool known = false;
        reflect::for_each_field(staged, [&](std::string_view name, auto& field) {
          if (name != key) return;
          known = true;
          const auto old = to_json_value(field);
          if (const std::string problem = assign(field, item.value(), at); !problem.empty())
            throw config_error(file + ": " + problem);
          if (o.verbose && old != item.value()) changes.push_back(at + ": " + old.dump() + " -> " + item.value().dump());
        });
        if (known) continue;
        reflect::for_each_field(element.columns(), [&](std::string_view name, auto& column) {
          if (name != key) return;
          known = true;
          if (o.global_only) {
            unknown(at + ": '" + key + "' is a variable, not a parameter; ignored (load with global_only = false "
                    "to set it)");
            return;
          }
          commits.push_back(stage_variable(column, item.value(), file + ": " + at, count, per, o.verbose, changes, at));
        });
        if (!known) unknown(at + ": no parameter '" + key + "'; ignored");
      }
      try {
        element.validate(staged);
      } catch (const config_error& e) {
        throw config_error(file + ": " + where + ": " + e.what());
      }
      commits.push_back([&element, staged] { element.set_parameters(staged); });
    };

    if (const json* pops = section("populations"))
      for (const auto& item : pops->items()) {
        bool found = false;
        net.for_each_population([&](auto& pop) {
          if (pop.name() != item.key()) return;
          found = true;
          stage_element(pop, item.value(), "/populations/" + item.key(), pop.size(), "neurons");
        });
        if (!found) unknown("/populations/" + item.key() + ": no population '" + item.key() + "' in the network; ignored");
      }
    if (const json* projs = section("projections"))
      for (const auto& item : projs->items()) {
        bool found = false;
        net.for_each_projection([&](auto& proj) {
          if (proj.name() != item.key()) return;
          found = true;
          stage_element(proj, item.value(), "/projections/" + item.key(), proj.size(), "synapses");
        });
        if (!found) unknown("/projections/" + item.key() + ": no projection '" + item.key() + "' in the network; ignored");
      }
    if (const json* constants = section("constants"))
      for (const auto& item : constants->items()) {
        double value = 0;
        if (const std::string problem = assign(value, item.value(), "/constants/" + item.key()); !problem.empty())
          throw config_error(file + ": " + problem);
        if (o.verbose) {
          const auto& known = net.constants();
          auto it = std::find_if(known.begin(), known.end(), [&](const auto& c) { return c.first == item.key(); });
          changes.push_back("/constants/" + item.key() + ": " + (it == known.end() ? std::string("(new)") : json(it->second).dump()) +
                            " -> " + item.value().dump());
        }
        commits.push_back([&net, name = item.key(), value] { net.constant(name, value); });
      }
    json network = json::object();
    if (const json* n = section("network")) network = *n;

    // Everything is checked: change the network.
    for (auto& commit : commits) commit();
    for (const auto& w : warnings) std::cerr << "spikeweave: warning: " << w << "\n";
    for (const auto& c : changes) std::cout << c << "\n";
    return {std::move(network), std::move(warnings), file};
  }

 private:
  template <class T>
  static json to_json_value(const T& field) {
    if constexpr (reflect::reflected<T>)
      return to_json(field);
    else
      return json(field);
  }

  // Checks a value for a variable column (a number for all elements, or one
  // per element) and returns the change to make.
  template <class Column>
  static std::function<void()> stage_variable(Column& column, const json& value, const std::string& where,
                                              std::size_t count, const char* per, bool verbose,
                                              std::vector<std::string>& changes, const std::string& at) {
    using real = std::remove_cvref_t<decltype(column[0])>;
    std::vector<real> values;
    if (value.is_array()) {
      if (value.size() != count)
        throw config_error(where + " has " + std::to_string(value.size()) + " values, there are " + std::to_string(count) +
                           " " + per);
      values.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        double x = 0;
        if (const std::string problem = assign(x, value[i], where + "/" + std::to_string(i)); !problem.empty())
          throw config_error(problem);
        values.push_back(static_cast<real>(x));
      }
    } else {
      double x = 0;
      if (const std::string problem = assign(x, value, where); !problem.empty()) throw config_error(problem);
      values.assign(count, static_cast<real>(x));
    }
    if (verbose) changes.push_back(at + ": " + std::to_string(count) + " " + per + " set");
    return [&column, values = std::move(values)] {
      for (std::size_t i = 0; i < values.size(); ++i) column[i] = values[i];
    };
  }
};

}  // namespace io
}  // namespace spikeweave
