// The JSON metadata of state files, without nlohmann::json in the translation unit: a handle whose functions
// spikeweave::io's library implements (implementation.hpp) with nlohmann::ordered_json, so that a program that
// saves or loads a network does not parse nor instantiate the JSON library (docs/performance.md). Each function
// does what the nlohmann call in its comment does; nlohmann's exceptions come out as metadata_error with
// nlohmann's text. Also the reflected-struct transfer of parameters (put_fields, assign) and json_kind, which
// io/parameters.hpp shares.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../../error.hpp"
#include "../../model/reflect.hpp"

namespace spikeweave::io::detail {

/// What a JSON value must be to become a T ("a number", "an integer in [0, 255]", ...).
template <class T>
std::string json_kind() {
  if constexpr (std::is_same_v<T, bool>) {
    return "a boolean";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "a string";
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, unsigned long>) return "an unsigned integer";
    else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, long>) return "an integer";
    else
      return "an integer in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
             std::to_string(std::numeric_limits<T>::max()) + "]";
  } else {
    static_assert(std::is_floating_point_v<T>, "spikeweave: JSON values are read as numbers, booleans or strings");
    return std::is_same_v<T, float> ? "a finite number in the range of float" : "a finite number";
  }
}

/// nlohmann's exception (type_error, ...) from a metadata_ref function: its what() is nlohmann's text.
class metadata_error : public format_error {
 public:
  using format_error::format_error;
};

/// A JSON value inside a metadata_document: a view, valid while the document lives and nothing is added to
/// or erased from the object that holds the value (ordered_json keeps an object's members in a vector).
class metadata_ref {
 public:
  explicit metadata_ref(void* node) : node_(node) {}

  [[nodiscard]] bool is_object() const;
  [[nodiscard]] bool is_null() const;
  [[nodiscard]] bool is_boolean() const;
  [[nodiscard]] bool is_number() const;
  [[nodiscard]] bool is_number_integer() const;   // signed or unsigned
  [[nodiscard]] bool is_number_unsigned() const;

  /// j[key]: the member (null if new); an object made of a null.
  [[nodiscard]] metadata_ref operator[](std::string_view key) const;
  /// j.find(key): the member, or nothing (also when j is no object).
  [[nodiscard]] std::optional<metadata_ref> find(std::string_view key) const;
  /// j.contains(key)
  [[nodiscard]] bool contains(std::string_view key) const;
  /// The keys of j.items(), in order.
  [[nodiscard]] std::vector<std::string> keys() const;
  /// j.erase(key)
  void erase(std::string_view key) const;

  /// j.value(key, fallback) for each type.
  [[nodiscard]] std::string value_string(std::string_view key, std::string_view fallback) const;
  [[nodiscard]] double value_double(std::string_view key, double fallback) const;
  [[nodiscard]] int value_int(std::string_view key, int fallback) const;
  [[nodiscard]] std::uint64_t value_u64(std::string_view key, std::uint64_t fallback) const;
  [[nodiscard]] bool value_bool(std::string_view key, bool fallback) const;
  /// j.value(key, json::array()) == json(strings)
  [[nodiscard]] bool value_is(std::string_view key, const std::vector<std::string>& strings) const;

  /// j.get<T>() for each type.
  [[nodiscard]] std::string get_string() const;
  [[nodiscard]] double get_double() const;
  [[nodiscard]] std::int64_t get_i64() const;
  [[nodiscard]] std::uint64_t get_u64() const;
  [[nodiscard]] bool get_bool() const;

  /// j.dump()
  [[nodiscard]] std::string dump() const;
  /// j.dump(), cut short after 60 characters: for messages.
  [[nodiscard]] std::string excerpt() const;

  /// j = json::object()
  void make_object() const;
  /// j[key] = json::object(); returns it.
  metadata_ref object(std::string_view key) const;
  /// j[key] = value, with nlohmann's type for each C++ type: bool a boolean, a floating-point number a
  /// float, a signed or unsigned integer an integer of that kind, text a string, strings an array.
  template <class T>
  void set(std::string_view key, const T& value) const {
    if constexpr (std::is_same_v<T, bool>) set_bool(key, value);
    else if constexpr (std::is_floating_point_v<T>) set_double(key, static_cast<double>(value));
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) set_i64(key, static_cast<std::int64_t>(value));
    else if constexpr (std::is_integral_v<T>) set_u64(key, static_cast<std::uint64_t>(value));
    else if constexpr (std::is_same_v<T, std::vector<std::string>>) set_strings(key, value);
    else set_string(key, std::string_view(value));
  }

  [[nodiscard]] void* node() const { return node_; }

 private:
  void set_bool(std::string_view key, bool value) const;
  void set_double(std::string_view key, double value) const;
  void set_i64(std::string_view key, std::int64_t value) const;
  void set_u64(std::string_view key, std::uint64_t value) const;
  void set_string(std::string_view key, std::string_view value) const;
  void set_strings(std::string_view key, const std::vector<std::string>& value) const;

  void* node_;
};

/// A JSON document (an ordered_json that keeps keys in insertion order): an empty object, a copy of a value,
/// or parsed text.
class metadata_document {
 public:
  metadata_document();  ///< {}
  explicit metadata_document(metadata_ref value);  ///< a copy of `value`
  metadata_document(metadata_document&&) noexcept;
  metadata_document& operator=(metadata_document&&) noexcept;
  ~metadata_document();

  /// parse_json(text, where): format_error starting with `where` when it is not JSON or nests too deep.
  static metadata_document parse(std::string_view text, const std::string& where);

  [[nodiscard]] metadata_ref root() const { return metadata_ref(node_.get()); }

 private:
  struct deleter {
    void operator()(void* node) const;
  };
  std::unique_ptr<void, deleter> node_;
};

/// Members of a reflected struct into the object `out` (nested structs nested), as io::to_json.
template <reflect::reflected S>
void put_fields(metadata_ref out, const S& s) {
  reflect::for_each_field(s, [&](std::string_view name, const auto& value) {
    using T = std::remove_cvref_t<decltype(value)>;
    if constexpr (reflect::reflected<T>)
      put_fields(out.object(name), value);
    else
      out.set(name, value);
  });
}

/// True when `value` is a T: the right JSON type, finite, in T's range (as io::detail::json_fits).
template <class T>
bool fits(metadata_ref value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value.is_boolean();
  } else if constexpr (std::is_integral_v<T>) {
    if (value.is_number_unsigned())
      return value.get_u64() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
    if (!value.is_number_integer()) return false;
    const auto x = value.get_i64();
    if constexpr (std::is_unsigned_v<T>) return x >= 0 && static_cast<std::uint64_t>(x) <= std::numeric_limits<T>::max();
    else return x >= std::numeric_limits<T>::min() && x <= std::numeric_limits<T>::max();
  } else {
    if (!value.is_number()) return false;
    const double x = value.get_double();
    return std::isfinite(x) && std::abs(x) <= static_cast<double>(std::numeric_limits<T>::max());
  }
}

/// One JSON value into one member; returns what is wrong (naming `where`, the value and the rule), or "" if
/// it fits (as io::assign).
template <class T>
std::string assign(T& field, metadata_ref value, const std::string& where) {
  if constexpr (reflect::reflected<T>) {
    if (!value.is_object()) return where + " = " + value.excerpt() + ", must be an object";
    std::string problem;
    reflect::for_each_field(field, [&](std::string_view name, auto& member) {
      const auto it = value.find(name);
      if (problem.empty() && it) problem = assign(member, *it, where + "/" + std::string(name));
    });
    if (!problem.empty()) return problem;
    for (const auto& key : value.keys())
      if (!reflect::has_field<T>(key)) return where + "/" + key + ": no such member";
  } else {
    static_assert(std::is_arithmetic_v<T>, "spikeweave: parameters are numbers, booleans or reflected structs");
    if (!fits<T>(value)) return where + " = " + value.excerpt() + ", must be " + json_kind<T>();
    if constexpr (std::is_same_v<T, bool>) field = value.get_bool();
    else if constexpr (std::is_floating_point_v<T>) field = static_cast<T>(value.get_double());
    else if constexpr (std::is_unsigned_v<T>) field = static_cast<T>(value.get_u64());
    else field = static_cast<T>(value.get_i64());
  }
  return "";
}

}  // namespace spikeweave::io::detail
