// Files of named arrays in every format spikeweave writes, behind one small non-template interface.
//
// array_file_writer and array_file_reader offer the API npz_writer and
// npz_reader share with the other formats (add / add_string / close;
// names / contains / info / read<T> / read_string), as virtual functions
// over bytes and a dtype. open_array_writer and open_array_reader make one
// for a path: .npz, .h5, .bin/.txt/.xml (each optionally .gz) and, to write
// only, .mat. The formats themselves (zlib, Boost.Serialization, HDF5) are
// compiled once, into the library of the CMake target spikeweave::io
// (src/io/io.cpp, which includes <spikeweave/io/implementation.hpp>), so a
// translation unit that saves or loads a network parses none of them:
// io/state.hpp and io/monitors.hpp include only this header. The format
// headers (npz.hpp, archive.hpp, hdf5.hpp, mat.hpp) remain for programs that
// use one format's reader or writer directly.
//
// Also here, the vocabulary every format shares: npy_element, npy_dtype,
// npz_info, npz_options, parallel_for.
#pragma once

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/array_file.hpp needs the CMake target spikeweave::io (its library reads and writes the files; it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO, compile one .cpp that includes <spikeweave/io/implementation.hpp> and link those libraries (docs/building.md)"
#endif

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../error.hpp"

namespace spikeweave::io {

/// How a reader may spread a large read over threads: calls f(0), ...,
/// f(n - 1), perhaps concurrently, and returns when every call has. A load
/// of a saved state passes the network's threads (Network::team()).
using parallel_for = std::function<void(std::size_t n, const std::function<void(std::size_t)>& f)>;

namespace detail {

template <class T>
inline constexpr bool is_character = std::same_as<T, char> || std::same_as<T, wchar_t> ||
                                     std::same_as<T, char8_t> || std::same_as<T, char16_t> ||
                                     std::same_as<T, char32_t>;

}  // namespace detail

/// An element type an .npz entry can hold: double, float, bool, or an integer of 1, 2, 4 or 8 bytes (not a character).
template <class T>
concept npy_element =
    std::same_as<T, double> || std::same_as<T, float> || std::same_as<T, bool> ||
    (std::integral<T> && !detail::is_character<T> &&
     (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8));

/// The numpy dtype string of T: '<f8', '<f4', '|b1', '|i1', '<i2', ..., '|u1', ..., '<u8'.
template <npy_element T>
std::string npy_dtype() {
  if constexpr (std::same_as<T, bool>) {
    return "|b1";
  } else if constexpr (std::floating_point<T>) {
    return sizeof(T) == 8 ? "<f8" : "<f4";
  } else {
    std::string s = sizeof(T) == 1 ? "|" : "<";
    s += std::is_signed_v<T> ? 'i' : 'u';
    s += static_cast<char>('0' + sizeof(T));
    return s;
  }
}

/// How an npz_writer stores its entries (an .h5 writer takes `compress` and `level` too).
struct npz_options {
  bool compress = true;      ///< deflate, as numpy.savez_compressed; false: stored, as numpy.savez
  int level = 6;             ///< zlib level when compressing: 1 (fastest) .. 9 (smallest); 0 deflates nothing
  bool force_zip64 = false;  ///< ZIP64 records for every entry even below 4 GiB (as numpy's own local headers)
};

/// What an entry holds, from its .npy header and the zip directory (nothing is decompressed beyond the header).
struct npz_info {
  std::string name;                  ///< entry name, without ".npy"
  std::string dtype;                 ///< numpy dtype string: '<f8', '|b1', '<U12', ...
  std::vector<std::uint64_t> shape;  ///< dimensions; empty for a 0-d (scalar) array
  std::uint64_t size = 0;            ///< number of elements: the product of `shape`
  std::uint64_t item_size = 0;       ///< bytes per element
  bool fortran_order = false;        ///< column-major data; read() refuses it
  bool compressed = false;           ///< deflate; false: stored
  std::uint64_t stored_bytes = 0;    ///< bytes the entry takes in the archive
  std::uint64_t npy_bytes = 0;       ///< bytes of the .npy file (header and data)
};

/// The formats of array files, told by the file name (array_format_of).
enum class array_format {
  npz,      ///< .npz (npz_writer, npz_reader)
  archive,  ///< .bin, .txt, .xml, each optionally .gz (archive_writer, archive_reader)
  h5,       ///< .h5 (h5_writer, h5_reader)
  mat,      ///< .mat, written only (mat_writer)
  unknown   ///< any other name
};

/// The element types of array_file_writer / array_file_reader, one per npy_element size and kind.
enum class npy_type : std::uint8_t { f8, f4, b1, i1, i2, i4, i8, u1, u2, u4, u8 };

namespace detail {

// The fixed-width type an npy_element is read and written as (long long as std::int64_t, ...).
template <class T>
using npy_canonical_t =
    std::conditional_t<std::same_as<T, bool> || std::floating_point<T>, T,
                       std::conditional_t<std::is_signed_v<T>,
                                          std::conditional_t<sizeof(T) == 1, std::int8_t,
                                                             std::conditional_t<sizeof(T) == 2, std::int16_t,
                                                                                std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>>>,
                                          std::conditional_t<sizeof(T) == 1, std::uint8_t,
                                                             std::conditional_t<sizeof(T) == 2, std::uint16_t,
                                                                                std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>>>;

template <class T>
constexpr npy_type npy_type_of() {
  using C = npy_canonical_t<T>;
  if constexpr (std::same_as<C, double>) return npy_type::f8;
  else if constexpr (std::same_as<C, float>) return npy_type::f4;
  else if constexpr (std::same_as<C, bool>) return npy_type::b1;
  else if constexpr (std::same_as<C, std::int8_t>) return npy_type::i1;
  else if constexpr (std::same_as<C, std::int16_t>) return npy_type::i2;
  else if constexpr (std::same_as<C, std::int32_t>) return npy_type::i4;
  else if constexpr (std::same_as<C, std::int64_t>) return npy_type::i8;
  else if constexpr (std::same_as<C, std::uint8_t>) return npy_type::u1;
  else if constexpr (std::same_as<C, std::uint16_t>) return npy_type::u2;
  else if constexpr (std::same_as<C, std::uint32_t>) return npy_type::u4;
  else return npy_type::u8;
}

template <class Range>
constexpr bool npy_range() {
  if constexpr (std::ranges::contiguous_range<Range> && std::ranges::sized_range<Range>)
    return npy_element<std::ranges::range_value_t<Range>>;
  else
    return false;
}

}  // namespace detail

/// Writes named arrays to a file in one of spikeweave's formats (open_array_writer); each format's own
/// writer does the work, with its checks, errors and atomic replacement of the file.
///
/// The destructor closes an open writer, swallowing errors (call close() to see them), unless it runs
/// during stack unwinding: then the temporary is discarded and the file on disk stays the old one.
class array_file_writer {
 public:
  virtual ~array_file_writer() = default;

  /// The file close() writes.
  [[nodiscard]] virtual const std::string& path() const = 0;

  /// Adds `data` (a contiguous range: std::vector, std::span, column) as a 1-D array `name`.
  template <class Range>
  void add(std::string_view name, const Range& data) {
    static_assert(detail::npy_range<Range>(),
                  "spikeweave::io::array_file_writer::add(name, data[, shape]): data must be a contiguous sized range "
                  "(std::vector<T>, std::span<const T>, std::array, column) of T = double, float, bool or an "
                  "integer of 1, 2, 4 or 8 bytes (std::vector<bool> is not contiguous: use a span of bool)");
    if constexpr (detail::npy_range<Range>())
      add(name, data, std::vector<std::uint64_t>{static_cast<std::uint64_t>(std::ranges::size(data))});
  }

  /// Adds `data` as an array `name` of the given shape (C order; {} is a 0-d scalar).
  template <class Range>
  void add(std::string_view name, const Range& data, std::vector<std::uint64_t> shape) {
    static_assert(detail::npy_range<Range>(),
                  "spikeweave::io::array_file_writer::add(name, data[, shape]): data must be a contiguous sized range "
                  "(std::vector<T>, std::span<const T>, std::array, column) of T = double, float, bool or an "
                  "integer of 1, 2, 4 or 8 bytes (std::vector<bool> is not contiguous: use a span of bool)");
    if constexpr (detail::npy_range<Range>()) {
      using T = std::ranges::range_value_t<Range>;
      add_array(name, detail::npy_type_of<T>(), shape, std::ranges::data(data),
                static_cast<std::uint64_t>(std::ranges::size(data)));
    }
  }

  /// Adds a string (UTF-8).
  virtual void add_string(std::string_view name, std::string_view text) = 0;

  /// True when the format keeps attributes (.h5): add_attribute stores them; elsewhere it does nothing.
  [[nodiscard]] virtual bool takes_attributes() const { return false; }

  /// .h5: a string attribute `key` on the group or dataset `object`; other formats: nothing.
  virtual void add_attribute(std::string_view object, std::string_view key, std::string_view text) {
    (void)object, (void)key, (void)text;
  }

  /// Finishes the file and moves it to path(); io_error naming path() on failure.
  virtual void close() = 0;

 protected:
  array_file_writer() = default;
  array_file_writer(const array_file_writer&) = default;
  array_file_writer& operator=(const array_file_writer&) = default;

  /// `count` values of `type` at `data`, in C order with `shape`.
  virtual void add_array(std::string_view name, npy_type type, const std::vector<std::uint64_t>& shape,
                         const void* data, std::uint64_t count) = 0;
};

/// Reads a file of named arrays in one of spikeweave's formats (open_array_reader); each format's own
/// reader does the work, with its checks and errors.
class array_file_reader {
 public:
  virtual ~array_file_reader() = default;

  /// The file this reader reads.
  [[nodiscard]] virtual const std::string& path() const = 0;

  /// Lets large entries be read and checked on several threads, where the format can (see parallel_for).
  virtual void set_parallel(parallel_for p) { (void)p; }

  /// Entry names.
  [[nodiscard]] virtual std::vector<std::string> names() const = 0;

  /// True when the file has an entry `name`.
  [[nodiscard]] virtual bool contains(std::string_view name) const = 0;

  /// Dtype, shape and sizes of entry `name`.
  [[nodiscard]] virtual npz_info info(std::string_view name) const = 0;

  /// The values of entry `name`, whose dtype must be npy_dtype<T>() (see info() for the shape).
  template <class T>
  [[nodiscard]] std::vector<T> read(std::string_view name) const {
    static_assert(npy_element<T>,
                  "spikeweave::io::array_file_reader::read<T>(name): T must be double, float, bool or an integer of "
                  "1, 2, 4 or 8 bytes");
    if constexpr (npy_element<T>) {
      using C = detail::npy_canonical_t<T>;
      std::vector<C> out;
      read_array(name, detail::npy_type_of<T>(), &out);
      if constexpr (std::same_as<C, T>) return out;
      else return std::vector<T>(out.begin(), out.end());
    } else {
      return {};
    }
  }

  /// The string in entry `name`.
  [[nodiscard]] virtual std::string read_string(std::string_view name) const = 0;

 protected:
  array_file_reader() = default;
  array_file_reader(const array_file_reader&) = default;
  array_file_reader& operator=(const array_file_reader&) = default;

  /// Entry `name` into `*out`, a std::vector of the type `type` stands for (std::vector<bool> for b1).
  virtual void read_array(std::string_view name, npy_type type, void* out) const = 0;
};

/// The format a file name asks for, by its extension (.npz, .h5, .bin/.txt/.xml[.gz], .mat), or unknown.
[[nodiscard]] array_format array_format_of(std::string_view path);

/// A writer of `format` that close() moves to `path` (io_error for array_format::unknown); `options.compress`
/// and `options.level` apply to .npz and .h5, `force_zip64` to .npz.
[[nodiscard]] std::unique_ptr<array_file_writer> open_array_writer(const std::string& path, array_format format,
                                                                   const npz_options& options = {});

/// A reader of `path` in `format` (io_error for .mat, which is written only, and for array_format::unknown).
[[nodiscard]] std::unique_ptr<array_file_reader> open_array_reader(const std::string& path, array_format format);

}  // namespace spikeweave::io
