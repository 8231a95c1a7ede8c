// The compiled part of spikeweave::io: array_file_writer / array_file_reader over every format (array_file.hpp).
//
// Include this header in exactly ONE .cpp of a program. With CMake, spikeweave::io's library does that
// (src/io/io.cpp) and nothing more is needed. Without CMake: compile one file that holds
//
//   #include <spikeweave/io/implementation.hpp>
//
// with -DSPIKEWEAVE_WITH_IO (and HDF5's include directory, for .h5 files) and link it with the program,
// -lboost_serialization -lboost_iostreams -lz (and -lhdf5); docs/building.md. Here, once, are parsed and
// compiled what the formats need (zlib, Boost.Serialization archives, HDF5) and the JSON of state files
// (nlohmann::json, detail/metadata.hpp): a translation unit that saves or loads a network parses none of it.
#pragma once

#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive.hpp"
#include "array_file.hpp"
#include "hdf5.hpp"
#include "detail/metadata.hpp"
#include "detail/state_checks.hpp"
#include "mat.hpp"
#include "npz.hpp"
#include "parameters.hpp"

namespace spikeweave::io::detail {

// f.template operator()<T>() for the type `type` stands for.
template <class F>
decltype(auto) with_npy_type(npy_type type, F&& f) {
  switch (type) {
    case npy_type::f8: return f.template operator()<double>();
    case npy_type::f4: return f.template operator()<float>();
    case npy_type::b1: return f.template operator()<bool>();
    case npy_type::i1: return f.template operator()<std::int8_t>();
    case npy_type::i2: return f.template operator()<std::int16_t>();
    case npy_type::i4: return f.template operator()<std::int32_t>();
    case npy_type::i8: return f.template operator()<std::int64_t>();
    case npy_type::u1: return f.template operator()<std::uint8_t>();
    case npy_type::u2: return f.template operator()<std::uint16_t>();
    case npy_type::u4: return f.template operator()<std::uint32_t>();
    case npy_type::u8: return f.template operator()<std::uint64_t>();
  }
  throw internal_error("spikeweave::io: npy_type " + std::to_string(static_cast<int>(type)) + " is not one of its values");
}

// One format's writer behind array_file_writer.
template <class Writer>
class array_writer_for final : public array_file_writer {
 public:
  template <class... Args>
  explicit array_writer_for(const std::string& path, Args&&... args) : path_(path), w_(path, std::forward<Args>(args)...) {}

  [[nodiscard]] const std::string& path() const override { return path_; }
  void add_string(std::string_view name, std::string_view text) override { w_.add_string(name, text); }
  [[nodiscard]] bool takes_attributes() const override { return std::is_same_v<Writer, h5_writer>; }
  void add_attribute(std::string_view object, std::string_view key, std::string_view text) override {
    if constexpr (std::is_same_v<Writer, h5_writer>) w_.add_attribute(object, key, text);
  }
  void close() override { w_.close(); }

 private:
  void add_array(std::string_view name, npy_type type, const std::vector<std::uint64_t>& shape, const void* data,
                 std::uint64_t count) override {
    with_npy_type(type, [&]<class T>() {
      w_.add(name, std::span<const T>(static_cast<const T*>(data), static_cast<std::size_t>(count)), shape);
    });
  }

  std::string path_;
  Writer w_;  // after path_: destroyed first (an open writer closes, or is abandoned while an exception unwinds)
};

// One format's reader behind array_file_reader.
template <class Reader>
class array_reader_for final : public array_file_reader {
 public:
  explicit array_reader_for(const std::string& path) : path_(path), r_(path) {}

  [[nodiscard]] const std::string& path() const override { return path_; }
  void set_parallel(parallel_for p) override {
    if constexpr (requires { r_.set_parallel(std::move(p)); }) r_.set_parallel(std::move(p));
  }
  [[nodiscard]] std::vector<std::string> names() const override { return r_.names(); }
  [[nodiscard]] bool contains(std::string_view name) const override { return r_.contains(name); }
  [[nodiscard]] npz_info info(std::string_view name) const override { return r_.info(name); }
  [[nodiscard]] std::string read_string(std::string_view name) const override { return r_.read_string(name); }

 private:
  void read_array(std::string_view name, npy_type type, void* out) const override {
    with_npy_type(type, [&]<class T>() { *static_cast<std::vector<T>*>(out) = r_.template read<T>(name); });
  }

  std::string path_;
  Reader r_;
};

}  // namespace spikeweave::io::detail

namespace spikeweave::io {

array_format array_format_of(std::string_view path) {
  if (path.ends_with(".npz")) return array_format::npz;
  if (is_archive_path(std::string(path))) return array_format::archive;
  if (path.ends_with(".h5")) return array_format::h5;
  if (path.ends_with(".mat")) return array_format::mat;
  return array_format::unknown;
}

std::unique_ptr<array_file_writer> open_array_writer(const std::string& path, array_format format,
                                                     const npz_options& options) {
  switch (format) {
    case array_format::npz: return std::make_unique<detail::array_writer_for<npz_writer>>(path, options);
    case array_format::archive: return std::make_unique<detail::array_writer_for<archive_writer>>(path, options);
    case array_format::h5:
      return std::make_unique<detail::array_writer_for<h5_writer>>(
          path, h5_options{.compress = options.compress, .level = options.level});
    case array_format::mat: return std::make_unique<detail::array_writer_for<mat_writer>>(path);
    case array_format::unknown: break;
  }
  throw io_error(path + ": not a file name spikeweave writes arrays to (.npz, .h5, .bin, .txt, .xml, each of "
                        "the last three optionally .gz, or .mat)");
}

std::unique_ptr<array_file_reader> open_array_reader(const std::string& path, array_format format) {
  switch (format) {
    case array_format::npz: return std::make_unique<detail::array_reader_for<npz_reader>>(path);
    case array_format::archive: return std::make_unique<detail::array_reader_for<archive_reader>>(path);
    case array_format::h5: return std::make_unique<detail::array_reader_for<h5_reader>>(path);
    case array_format::mat:
      throw io_error(path + ": .mat files are an export (as in ANNarchy); spikeweave does not read them");
    case array_format::unknown: break;
  }
  throw io_error(path + ": not a file name spikeweave reads arrays from (.npz, .h5, .bin, .txt, .xml, each of "
                        "the last three optionally .gz)");
}

}  // namespace spikeweave::io

namespace spikeweave::io::detail {

namespace {

json& node_of(void* node) { return *static_cast<json*>(node); }

// nlohmann's exceptions as metadata_error, with nlohmann's text.
template <class F>
decltype(auto) metadata_call(F&& f) {
  try {
    return f();
  } catch (const json::exception& e) {
    throw metadata_error(e.what());
  }
}

}  // namespace

bool metadata_ref::is_object() const { return node_of(node_).is_object(); }
bool metadata_ref::is_null() const { return node_of(node_).is_null(); }
bool metadata_ref::is_boolean() const { return node_of(node_).is_boolean(); }
bool metadata_ref::is_number() const { return node_of(node_).is_number(); }
bool metadata_ref::is_number_integer() const { return node_of(node_).is_number_integer(); }
bool metadata_ref::is_number_unsigned() const { return node_of(node_).is_number_unsigned(); }

metadata_ref metadata_ref::operator[](std::string_view key) const {
  return metadata_call([&] { return metadata_ref(&node_of(node_)[std::string(key)]); });
}
std::optional<metadata_ref> metadata_ref::find(std::string_view key) const {
  json& j = node_of(node_);
  const auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  return metadata_ref(&*it);
}
bool metadata_ref::contains(std::string_view key) const { return node_of(node_).contains(key); }
std::vector<std::string> metadata_ref::keys() const {
  std::vector<std::string> out;
  for (const auto& item : node_of(node_).items()) out.push_back(item.key());
  return out;
}
void metadata_ref::erase(std::string_view key) const {
  metadata_call([&] { node_of(node_).erase(std::string(key)); });
}

std::string metadata_ref::value_string(std::string_view key, std::string_view fallback) const {
  return metadata_call([&] { return node_of(node_).value(std::string(key), std::string(fallback)); });
}
double metadata_ref::value_double(std::string_view key, double fallback) const {
  return metadata_call([&] { return node_of(node_).value(std::string(key), fallback); });
}
int metadata_ref::value_int(std::string_view key, int fallback) const {
  return metadata_call([&] { return node_of(node_).value(std::string(key), fallback); });
}
std::uint64_t metadata_ref::value_u64(std::string_view key, std::uint64_t fallback) const {
  return metadata_call([&] { return node_of(node_).value(std::string(key), fallback); });
}
bool metadata_ref::value_bool(std::string_view key, bool fallback) const {
  return metadata_call([&] { return node_of(node_).value(std::string(key), fallback); });
}
bool metadata_ref::value_is(std::string_view key, const std::vector<std::string>& strings) const {
  return metadata_call([&] { return node_of(node_).value(std::string(key), json::array()) == json(strings); });
}

std::string metadata_ref::get_string() const { return metadata_call([&] { return node_of(node_).get<std::string>(); }); }
double metadata_ref::get_double() const { return metadata_call([&] { return node_of(node_).get<double>(); }); }
std::int64_t metadata_ref::get_i64() const { return metadata_call([&] { return node_of(node_).get<std::int64_t>(); }); }
std::uint64_t metadata_ref::get_u64() const { return metadata_call([&] { return node_of(node_).get<std::uint64_t>(); }); }
bool metadata_ref::get_bool() const { return metadata_call([&] { return node_of(node_).get<bool>(); }); }

std::string metadata_ref::dump() const { return metadata_call([&] { return node_of(node_).dump(); }); }
std::string metadata_ref::excerpt() const { return json_excerpt(node_of(node_)); }

void metadata_ref::make_object() const { node_of(node_) = json::object(); }
metadata_ref metadata_ref::object(std::string_view key) const {
  return metadata_call([&] {
    json& child = node_of(node_)[std::string(key)];
    child = json::object();
    return metadata_ref(&child);
  });
}
void metadata_ref::set_bool(std::string_view key, bool value) const {
  metadata_call([&] { node_of(node_)[std::string(key)] = value; });
}
void metadata_ref::set_double(std::string_view key, double value) const {
  metadata_call([&] { node_of(node_)[std::string(key)] = value; });
}
void metadata_ref::set_i64(std::string_view key, std::int64_t value) const {
  metadata_call([&] { node_of(node_)[std::string(key)] = value; });
}
void metadata_ref::set_u64(std::string_view key, std::uint64_t value) const {
  metadata_call([&] { node_of(node_)[std::string(key)] = value; });
}
void metadata_ref::set_string(std::string_view key, std::string_view value) const {
  metadata_call([&] { node_of(node_)[std::string(key)] = std::string(value); });
}
void metadata_ref::set_strings(std::string_view key, const std::vector<std::string>& value) const {
  metadata_call([&] { node_of(node_)[std::string(key)] = value; });
}

metadata_document::metadata_document() : node_(new json(json::object())) {}
metadata_document::metadata_document(metadata_ref value) : node_(new json(node_of(value.node()))) {}
metadata_document::metadata_document(metadata_document&&) noexcept = default;
metadata_document& metadata_document::operator=(metadata_document&&) noexcept = default;
metadata_document::~metadata_document() = default;
void metadata_document::deleter::operator()(void* node) const { delete static_cast<json*>(node); }

metadata_document metadata_document::parse(std::string_view text, const std::string& where) {
  metadata_document out;
  node_of(out.node_.get()) = parse_json(text, where);
  return out;
}

}  // namespace spikeweave::io::detail

namespace spikeweave::io::detail {

void check_only(const std::vector<state_element>& elements, const state_options& o, const std::string& path,
                const metadata_ref* meta) {
  if (o.only.empty()) return;
  std::vector<std::string> unknown, left_out;
  for (const auto& name : o.only) {
    const auto e = std::find_if(elements.begin(), elements.end(), [&](const state_element& x) { return x.name == name; });
    if (e == elements.end())
      unknown.push_back("'" + name + "'");
    else if (!e->selected)
      left_out.push_back("'" + name + "' is a " + e->kind + " and ." + e->kind + "s = false");
  }
  if (unknown.empty() && left_out.empty()) return;
  auto join = [](const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
  };
  auto listing = [&](const std::vector<std::pair<std::string, std::vector<std::string>>>& kinds) {
    std::vector<std::string> parts;
    for (const auto& [kind, names] : kinds)
      if (!names.empty()) parts.push_back(kind + " " + join(names, ", "));
    return parts.empty() ? std::string("nothing") : join(parts, "; ");
  };
  std::vector<std::pair<std::string, std::vector<std::string>>> network{{"populations", {}}, {"projections", {}}, {"monitors", {}}};
  for (const auto& e : elements) network[e.kind == "population" ? 0 : e.kind == "projection" ? 1 : 2].second.push_back(e.name);
  std::vector<std::string> asked;
  for (const auto& name : o.only) asked.push_back('"' + name + '"');
  std::string message = path + ": .only = {" + join(asked, ", ") + "}: ";
  if (!unknown.empty()) {
    message += "the network has no population, projection or monitor called " + join(unknown, ", ") +
               " (the network has " + listing(network);
    if (meta != nullptr) {
      std::vector<std::pair<std::string, std::vector<std::string>>> file;
      for (const char* kind : {"populations", "projections", "monitors"}) {
        file.emplace_back(kind, std::vector<std::string>{});
        for (const auto& key : (*meta)[kind].keys()) file.back().second.push_back(key);
      }
      message += "; the file has " + listing(file);
    }
    message += ")";
  }
  if (!left_out.empty()) message += (unknown.empty() ? "" : "; ") + join(left_out, "; ");
  throw config_error(message + "; nothing was " + (meta != nullptr ? "loaded" : "saved"));
}

void state_checks::absent(const std::string& what, std::string entry) {
  if (o.strict) differs(what + " is missing from the file");
  else report.missing.push_back(entry.empty() ? what : std::move(entry));
}

void state_checks::extra(std::string what, std::string entry) {
  if (o.strict) differs(std::move(what));
  else report.unexpected.push_back(std::move(entry));
}

void state_checks::foreign(metadata_ref section, const char* kind, const std::function<bool(const std::string&)>& known) {
  for (const auto& key : section.keys())
    if (o.selects(key) && !known(key))
      extra(std::string(kind) + " '" + key + "' is in the file, not in the network", std::string(kind) + " '" + key + "'");
}

void state_checks::same_model(metadata_ref m, const std::string& fingerprint, const std::string& who) {
  if (m.value_string("model", "") != fingerprint && o.strict)
    differs(who + ": the file's model (fingerprint " + m.value_string("model", "") + ") is not the network's (" + fingerprint + ")");
}

void state_checks::reject(std::string what, std::string prefix) {
  differs(std::move(what));
  rejected.push_back(std::move(prefix));
}

fetched state_checks::missing_entry(const std::string& name, bool required) {
  if (required && !o.strict) return differs("'" + name + "' is missing"), fetched::bad;
  absent("'" + name + "'", name);
  return o.strict ? fetched::bad : fetched::absent;
}

bool state_checks::entry_fits(const std::string& name, const npz_info& info, const std::string& dtype,
                              std::uint64_t count, bool any) {
  if (info.dtype != dtype) return differs("'" + name + "' has dtype '" + info.dtype + "', expected '" + dtype + "'"), false;
  if (!any && info.size != count)
    return differs("'" + name + "' has " + std::to_string(info.size) + " values, expected " + std::to_string(count)), false;
  return true;
}

void state_checks::culprit(const std::string& who, std::string_view v, std::size_t first, double value,
                           std::size_t others, const std::string& rule) {
  differs(who + ": " + std::string(v) + "[" + std::to_string(first) + "] = " + spikeweave::detail::number(value) + ", " +
          rule + (others > 0 ? " (and " + std::to_string(others) + " more)" : ""));
}

void state_checks::unexpected_entries(const std::vector<std::string>& names) {
  std::sort(expected.begin(), expected.end());
  for (const auto& e : names) {
    auto element = [&](std::string_view prefix) {
      if (e.rfind(prefix, 0) != 0) return false;
      const auto rest = std::string_view(e).substr(prefix.size());
      return o.selects(rest.substr(0, rest.find('/')));
    };
    const bool ours = (o.populations && element("populations/")) || (o.projections && element("projections/")) ||
                      (o.monitors && element("monitors/"));
    const bool dropped = std::any_of(rejected.begin(), rejected.end(), [&](const std::string& p) { return e.starts_with(p); });
    if (ours && !dropped && !std::binary_search(expected.begin(), expected.end(), e))
      extra("'" + e + "' is in the file but not a variable of the network", e);
  }
}

void state_checks::throw_problems(const std::string& path) const {
  if (problems.empty()) return;
  std::string message = path + ": does not fit the network, nothing was loaded:";
  for (const auto& p : problems) message += "\n  " + p;
  throw mismatch_error(message);
}

void state_checks::print(const std::string& path) const {
  for (const auto& e : report.loaded) std::cout << path << ": loaded " << e << "\n";
  for (const auto& e : report.missing) std::cout << path << ": missing " << e << " (kept)\n";
  for (const auto& e : report.unexpected) std::cout << path << ": unexpected " << e << " (ignored)\n";
}

}  // namespace spikeweave::io::detail
