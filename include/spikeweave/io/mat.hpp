// MATLAB .mat (level 5) export of named arrays, readable by scipy.io.loadmat and MATLAB; write only.
//
// Same interface as npz_writer (add, add_string, close), so the full state
// and the monitors can be exported with the code that writes .npz. Names
// become MATLAB variable names: '/' turns into '__' (populations/E/v ->
// populations__E__v); 1-D arrays are 1 x n rows, 2-D arrays keep their shape.
// Written beside the target and renamed over it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ranges>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "../error.hpp"
#include "atomic_file.hpp"

namespace spikeweave::io {

/// Writes a MATLAB level-5 .mat file of named arrays.
class mat_writer {
 public:
  explicit mat_writer(std::string path) : path_(std::move(path)) {
    std::string header = "MATLAB 5.0 MAT-file, written by spikeweave";
    header.resize(116, ' ');
    bytes_.insert(bytes_.end(), header.begin(), header.end());
    bytes_.resize(124, 0);      // subsystem data offset: none
    put16(0x0100);              // version
    bytes_.push_back('I');      // 'IM': little-endian
    bytes_.push_back('M');
  }

  /// Adds `data` as a 1 x n row named `name`.
  template <class Range>
  void add(std::string_view name, const Range& data) {
    add(name, data, {static_cast<std::uint64_t>(std::ranges::size(data))});
  }

  /// Adds `data` (C order) with `shape` (1-D or 2-D).
  template <class Range>
  void add(std::string_view name, const Range& data, std::vector<std::uint64_t> shape) {
    using T = std::remove_cvref_t<std::ranges::range_value_t<Range>>;
    if (shape.size() > 2) throw format_error(path_ + ": '" + std::string(name) + "': .mat export takes 1-D and 2-D arrays");
    const std::uint64_t rows = shape.size() == 2 ? shape[0] : 1, cols = shape.empty() ? 1 : shape.back();
    if (rows * cols != static_cast<std::uint64_t>(std::ranges::size(data)))
      throw format_error(path_ + ": '" + std::string(name) + "': the shape does not hold the values given");
    using E = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, T>;  // bool as uint8 (std::vector<bool> has no data())
    std::vector<E> column_major(rows * cols);
    const T* in = std::ranges::data(data);
    for (std::uint64_t r = 0; r < rows; ++r)
      for (std::uint64_t c = 0; c < cols; ++c) column_major[c * rows + r] = static_cast<E>(in[r * cols + c]);
    matrix(name, class_of<T>(), rows, cols, type_of<T>(), column_major.data(), column_major.size() * sizeof(E));
  }

  /// Adds a string as a 1 x n char array.
  void add_string(std::string_view name, std::string_view text) {
    std::vector<std::uint16_t> utf16;  // ASCII and Latin-1 pass through; enough for JSON metadata
    for (unsigned char ch : text) utf16.push_back(ch);
    matrix(name, 4 /* mxCHAR_CLASS */, 1, utf16.size(), 4 /* miUINT16 */, utf16.data(), utf16.size() * 2);
  }

  /// Writes the file: a temporary beside it, synced, then renamed over it.
  void close() {
    if (closed_) return;
    closed_ = true;
    detail::write_file_atomically(path_, std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size()));
  }

  /// MATLAB's name for an entry: '/' becomes "__".
  static std::string matlab_name(std::string_view name) {
    std::string out;
    for (char ch : name) {
      if (ch == '/') out += "__";
      else out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') ? ch : '_';
    }
    if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "x" + out;
    return out;
  }

 private:
  template <class T>
  static constexpr std::uint32_t class_of() {  // mxClassID
    if constexpr (std::is_same_v<T, double>) return 6;
    else if constexpr (std::is_same_v<T, float>) return 7;
    else if constexpr (std::is_same_v<T, std::int8_t>) return 8;
    else if constexpr (std::is_same_v<T, std::uint8_t> || std::is_same_v<T, bool>) return 9;
    else if constexpr (std::is_same_v<T, std::int16_t>) return 10;
    else if constexpr (std::is_same_v<T, std::uint16_t>) return 11;
    else if constexpr (std::is_same_v<T, std::int32_t>) return 12;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return 13;
    else if constexpr (std::is_same_v<T, std::int64_t>) return 14;
    else {
      static_assert(std::is_same_v<T, std::uint64_t>, "spikeweave: .mat export takes numbers");
      return 15;
    }
  }
  template <class T>
  static constexpr std::uint32_t type_of() {  // miType
    if constexpr (std::is_same_v<T, double>) return 9;
    else if constexpr (std::is_same_v<T, float>) return 7;
    else if constexpr (std::is_same_v<T, std::int8_t>) return 1;
    else if constexpr (std::is_same_v<T, std::uint8_t> || std::is_same_v<T, bool>) return 2;
    else if constexpr (std::is_same_v<T, std::int16_t>) return 3;
    else if constexpr (std::is_same_v<T, std::uint16_t>) return 4;
    else if constexpr (std::is_same_v<T, std::int32_t>) return 5;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return 6;
    else if constexpr (std::is_same_v<T, std::int64_t>) return 12;
    else return 13;
  }

  void matrix(std::string_view entry, std::uint32_t mx_class, std::uint64_t rows, std::uint64_t cols,
              std::uint32_t mi_type, const void* data, std::size_t bytes) {
    if (rows > 0x7fffffff || cols > 0x7fffffff || bytes > 0x7fffffffULL)
      throw format_error(path_ + ": '" + std::string(entry) + "' is too large for a level-5 .mat file");
    const std::string name = matlab_name(entry);
    std::vector<unsigned char> body;
    element(body, 6 /* miUINT32 */, std::vector<std::uint32_t>{mx_class, 0}.data(), 8);  // array flags
    const std::int32_t dims[2] = {static_cast<std::int32_t>(rows), static_cast<std::int32_t>(cols)};
    element(body, 5 /* miINT32 */, dims, 8);
    element(body, 1 /* miINT8 */, name.data(), name.size());
    element(body, mi_type, data, bytes);
    put32(bytes_, 14 /* miMATRIX */);
    put32(bytes_, static_cast<std::uint32_t>(body.size()));
    bytes_.insert(bytes_.end(), body.begin(), body.end());
  }
  static void element(std::vector<unsigned char>& out, std::uint32_t type, const void* data, std::size_t bytes) {
    put32(out, type);
    put32(out, static_cast<std::uint32_t>(bytes));
    const auto* p = static_cast<const unsigned char*>(data);
    out.insert(out.end(), p, p + bytes);
    out.resize((out.size() + 7) / 8 * 8, 0);
  }
  static void put32(std::vector<unsigned char>& out, std::uint32_t x) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(x >> (8 * i)));
  }
  void put16(std::uint16_t x) {
    bytes_.push_back(static_cast<unsigned char>(x));
    bytes_.push_back(static_cast<unsigned char>(x >> 8));
  }

  std::string path_;
  std::vector<unsigned char> bytes_;
  bool closed_ = false;
};

}  // namespace spikeweave::io
