// JSON parameter files: save_parameters / load_parameters, reflected to_json / from_json, and a JSON Schema.
//
// The file holds the shared parameters of every population and projection,
// the network's constants and a free "network" dictionary, as ANNarchy's
// parameter files do:
//   {"populations": {"E": {"tau_m": 20, ...}}, "projections": {"EE": {...}},
//    "network": {...}, "constants": {"c": 2.0}}
// Keys follow the declaration order of the model structs. Loading is
// transactional: the whole file is parsed and every value checked (type,
// range, finite, the model's own rules) before anything changes. What the
// file lacks and what the network lacks are reported (parameter_values), and
// are errors with `strict`. Only regular files of at most 64 MiB, nested at
// most 512 deep, are read (parse_json).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
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
#include "detail/metadata.hpp"

namespace spikeweave {

/// JSON with keys in insertion order (declaration order of the structs).
using json = nlohmann::ordered_json;

/// Options of load_parameters (ANNarchy's, plus `strict`).
struct load_parameters_options {
  bool global_only = true;  ///< false: a value may also set a variable of every neuron or synapse
  bool verbose = false;     ///< print `path: old -> new` for every change
  /// The file must be complete and hold nothing else: every population, projection, parameter and constant
  /// of the network, nothing the network lacks (else one config_error lists them all). false: what the
  /// file has is set, the rest keeps its value (as ANNarchy does); both are listed in the result.
  bool strict = false;
};

namespace io {

/// The deepest nesting of arrays and objects a JSON file read by spikeweave may have (parameter files, the
/// metadata of state files); deeper files are refused with a format_error before they are parsed.
inline constexpr std::size_t max_json_depth = 512;

namespace detail {

/// The byte offset at which `text` nests arrays and objects deeper than `limit`, or npos (brackets inside
/// strings do not count).
inline std::size_t json_too_deep(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

/// A JSON value for a message: its text, cut short after 60 characters.
inline std::string json_excerpt(const json& value) {
  std::string text = value.dump();
  if (text.size() > 64) text = text.substr(0, 60) + " ...";
  return text;
}

/// True when `value` is a T: the right JSON type, finite, in T's range.
template <class T>
bool json_fits(const json& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value.is_boolean();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value.is_string();
  } else if constexpr (std::is_integral_v<T>) {
    if (value.is_number_unsigned())
      return value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (!value.is_number_integer()) return false;
    const auto x = value.get<std::int64_t>();
    if constexpr (std::is_unsigned_v<T>) return x >= 0 && static_cast<std::uint64_t>(x) <= std::numeric_limits<T>::max();
    else return x >= std::numeric_limits<T>::min() && x <= std::numeric_limits<T>::max();
  } else {
    if (!value.is_number()) return false;
    const double x = value.get<double>();
    return std::isfinite(x) && std::abs(x) <= static_cast<double>(std::numeric_limits<T>::max());
  }
}

/// The text of the file at `path`: a regular file (io_error otherwise, e.g. a directory or a FIFO) of at most
/// max_metadata_bytes (format_error otherwise, before anything is allocated).
inline std::string read_text_file(const std::string& path, const char* what) {
  std::uint64_t size = 0;
  const unique_fd fd = open_regular_file(path, size);
  if (size > max_metadata_bytes)
    throw format_error(path + ": " + std::to_string(size) + " bytes, more than the " +
                       std::to_string(max_metadata_bytes >> 20) + " MiB " + what + " spikeweave reads");
  std::string text(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {  // the file may have shrunk since: what is there is parsed
    const ssize_t r = ::pread(fd.get(), text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw io_error(path + ": cannot read: " + system_message(errno));
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  text.resize(done);
  return text;
}

}  // namespace detail

/// Parses JSON text read from a file; format_error starting with `where` (the file) when it is not JSON, or
/// nests deeper than max_json_depth (checked first: a deeper value would overflow the stack when copied).
inline json parse_json(std::string_view text, const std::string& where) {
  if (const std::size_t at = detail::json_too_deep(text, max_json_depth); at != std::string_view::npos)
    throw format_error(where + ": arrays and objects nest deeper than " + std::to_string(max_json_depth) +
                       " levels (at byte " + std::to_string(at) + "), more than spikeweave reads");
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    // Syntax errors carry the line and column; overflows (1e999) the token.
    throw format_error(where + ": " + e.what());
  }
}

}  // namespace io

/// What load_parameters returns: the file's "network" dictionary, the warnings it gave, and what of the
/// network the file did not have (missing) or the network did not know (unexpected).
class parameter_values {
 public:
  parameter_values() = default;
  parameter_values(json network, std::vector<std::string> warnings, std::string file,
                   std::vector<std::string> missing = {}, std::vector<std::string> unexpected = {})
      : network_(std::move(network)), warnings_(std::move(warnings)), file_(std::move(file)),
        missing_(std::move(missing)), unexpected_(std::move(unexpected)) {}

  /// The "network" dictionary as JSON.
  [[nodiscard]] const json& network() const { return network_; }
  /// True if the dictionary has `key`.
  [[nodiscard]] bool contains(std::string_view key) const { return network_.contains(key); }
  /// The number stored under `key`; config_error if it is missing or not a finite number (get<double>).
  [[nodiscard]] double number(std::string_view key) const { return get<double>(key); }
  /// The value stored under `key` as a T (bool, an integer type, float, double or std::string); config_error
  /// naming the file and the key if it is missing, of another type or out of T's range:
  /// `params.json: /network/seed = "abc", must be an unsigned integer`.
  template <class T>
  [[nodiscard]] T get(std::string_view key) const {
    const auto it = network_.find(key);
    if (it == network_.end()) throw config_error(file_ + ": /network has no '" + std::string(key) + "'");
    return checked<T>(key, *it);
  }
  /// As get<T>(key), or `fallback` when the dictionary has no `key` (a value of the wrong type is still an error).
  template <class T>
  [[nodiscard]] T get(std::string_view key, T fallback) const {
    const auto it = network_.find(key);
    return it == network_.end() ? fallback : checked<T>(key, *it);
  }
  /// Warnings about names the network does not know (also printed to stderr).
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }
  /// JSON paths of what the network has and the file did not: kept their values ("/populations/E/tau_m").
  [[nodiscard]] const std::vector<std::string>& missing() const { return missing_; }
  /// JSON paths of what the file has and the network does not: ignored ("/populations/X").
  [[nodiscard]] const std::vector<std::string>& unexpected() const { return unexpected_; }
  /// True when the file set every parameter and constant of the network and nothing else.
  [[nodiscard]] bool complete() const { return missing_.empty() && unexpected_.empty(); }

 private:
  template <class T>
  T checked(std::string_view key, const json& value) const {
    if (!io::detail::json_fits<T>(value))
      throw config_error(file_ + ": /network/" + std::string(key) + " = " + io::detail::json_excerpt(value) +
                         ", must be " + io::detail::json_kind<T>());
    return value.get<T>();
  }

  json network_ = json::object();
  std::vector<std::string> warnings_;
  std::string file_;
  std::vector<std::string> missing_;
  std::vector<std::string> unexpected_;
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

/// One JSON value into one member; returns what is wrong (naming `where`, the value and the rule), or "" if
/// it fits: `/populations/E/a = "fast", must be a finite number`.
template <class T>
std::string assign(T& field, const json& value, const std::string& where) {
  if constexpr (reflect::reflected<T>) {
    if (!value.is_object()) return where + " = " + detail::json_excerpt(value) + ", must be an object";
    std::string problem;
    reflect::for_each_field(field, [&](std::string_view name, auto& member) {
      const auto it = value.find(name);
      if (problem.empty() && it != value.end()) problem = assign(member, *it, where + "/" + std::string(name));
    });
    if (!problem.empty()) return problem;
    for (const auto& item : value.items())
      if (!reflect::has_field<T>(item.key())) return where + "/" + item.key() + ": no such member";
  } else {
    static_assert(std::is_arithmetic_v<T>, "spikeweave: parameters are numbers, booleans or reflected structs");
    if (!detail::json_fits<T>(value)) return where + " = " + detail::json_excerpt(value) + ", must be " + detail::json_kind<T>();
    field = value.get<T>();
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

  /// Loads a parameter file into `net`, all or nothing (see docs/parameters.md).
  template <class Net>
  static parameter_values load(Net& net, const std::filesystem::path& path, const load_parameters_options& o) {
    const std::string file = path.string();
    const json doc = parse_json(detail::read_text_file(file, "parameter file"), file);
    if (!doc.is_object()) throw format_error(file + ": the top level must be an object, not " + doc.type_name());

    std::vector<std::string> warnings, missing, unexpected;
    std::vector<std::string> problems;            // strict: everything missing or unexpected, reported together
    std::vector<std::function<void()>> commits;   // run only once everything is checked
    std::vector<std::string> changes;
    // Something of the file the network does not have: a problem when strict, else ignored with a warning.
    auto extra = [&](const std::string& at, const std::string& why, const std::string& hint = "") {
      unexpected.push_back(at);
      if (o.strict) problems.push_back(at + ": " + why + (hint.empty() ? "" : " (" + hint + ")"));
      else warnings.push_back(file + ": " + at + ": " + why + "; ignored" + (hint.empty() ? "" : " (" + hint + ")"));
    };
    // Something of the network the file does not have: a problem when strict, else it keeps its value.
    auto absent = [&](const std::string& at) {
      missing.push_back(at);
      if (o.strict) problems.push_back(at + ": missing from the file");
    };

    for (const auto& item : doc.items())
      if (item.key() != "populations" && item.key() != "projections" && item.key() != "network" &&
          item.key() != "constants")
        extra("/" + item.key(), "not a section of a parameter file (populations, projections, network, constants)");

    auto section = [&](const char* name) -> const json* {
      const auto it = doc.find(name);
      if (it == doc.end()) return nullptr;
      if (!it->is_object())
        throw config_error(file + ": /" + std::string(name) + " = " + detail::json_excerpt(*it) + ", must be an object");
      return &*it;
    };

    auto stage_element = [&](auto& element, const json& values, const std::string& where, std::size_t count,
                             const char* per) {
      if (!values.is_object())
        throw config_error(file + ": " + where + " = " + detail::json_excerpt(values) + ", must be an object");
      auto staged = element.parameters();
      missing_members(staged, values, where, absent);
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
            extra(at, "'" + key + "' is a variable, not a parameter", "load with global_only = false to set it");
            return;
          }
          commits.push_back(stage_variable(column, item.value(), file + ": " + at, count, per, o.verbose, changes, at));
        });
        if (!known) extra(at, "no parameter '" + key + "'");
      }
      try {
        element.validate(staged);
      } catch (const config_error& e) {
        throw config_error(file + ": " + where + ": " + e.what());
      }
      commits.push_back([&element, staged] { element.set_parameters(staged); });
    };

    const json* pops = section("populations");
    if (pops != nullptr)
      for (const auto& item : pops->items()) {
        bool found = false;
        net.for_each_population([&](auto& pop) {
          if (pop.name() != item.key()) return;
          found = true;
          stage_element(pop, item.value(), "/populations/" + item.key(), pop.size(), "neurons");
        });
        if (!found) extra("/populations/" + item.key(), "no population '" + item.key() + "' in the network");
      }
    net.for_each_population([&](auto& pop) {
      if (pops == nullptr || !pops->contains(pop.name())) absent("/populations/" + std::string(pop.name()));
    });
    const json* projs = section("projections");
    if (projs != nullptr)
      for (const auto& item : projs->items()) {
        bool found = false;
        net.for_each_projection([&](auto& proj) {
          if (proj.name() != item.key()) return;
          found = true;
          stage_element(proj, item.value(), "/projections/" + item.key(), proj.size(), "synapses");
        });
        if (!found) extra("/projections/" + item.key(), "no projection '" + item.key() + "' in the network");
      }
    net.for_each_projection([&](auto& proj) {
      if (projs == nullptr || !projs->contains(proj.name())) absent("/projections/" + std::string(proj.name()));
    });
    const json* constants = section("constants");
    if (constants != nullptr)
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
    for (const auto& [name, value] : net.constants())
      if (constants == nullptr || !constants->contains(name)) absent("/constants/" + name);
    json network = json::object();
    if (const json* n = section("network")) network = *n;

    if (!problems.empty()) {
      std::string message = file + ": does not match the network (strict), nothing was loaded:";
      for (const auto& p : problems) message += "\n  " + p;
      throw config_error(message);
    }
    // Everything is checked: change the network.
    for (auto& commit : commits) commit();
    for (const auto& w : warnings) std::cerr << "spikeweave: warning: " << w << "\n";
    for (const auto& c : changes) std::cout << c << "\n";
    return {std::move(network), std::move(warnings), file, std::move(missing), std::move(unexpected)};
  }

 private:
  // Lists (absent(path)) the members of `s` that `values` (an object) does not have, into nested structs.
  template <class S, class Absent>
  static void missing_members(const S& s, const json& values, const std::string& where, const Absent& absent) {
    reflect::for_each_field(s, [&](std::string_view name, const auto& member) {
      using T = std::remove_cvref_t<decltype(member)>;
      const auto it = values.find(name);
      if (it == values.end()) absent(where + "/" + std::string(name));
      else if constexpr (reflect::reflected<T>)
        if (it->is_object()) missing_members(member, *it, where + "/" + std::string(name), absent);
    });
  }

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
