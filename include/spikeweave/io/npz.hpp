// NumPy .npz files (a zip archive of .npy arrays): an atomic writer and a reader that checks every size, dtype and CRC.
//
// Layout written: one `<name>.npy` per entry, .npy format 1.0 (2.0 only for a
// header over 64 KiB), little-endian, C order, header padded to a multiple of
// 64 bytes; entries deflated (raw deflate, as numpy.savez_compressed) or
// stored (as numpy.savez); ZIP64 records where a size or an offset reaches
// 4 GiB or the entries number 65535 or more. A string entry is a 0-d numpy unicode array '<U{n}' (UTF-32LE), which
// np.load reads without allow_pickle. Writing goes to `<path>.tmp-XXXXXXXX`
// in the same directory, which is fsync'ed and renamed over `path` by close():
// an existing file is replaced whole or not at all. POSIX only (open, pread,
// fsync, rename); little-endian hosts only.
#pragma once

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/npz.hpp needs the CMake target spikeweave::io (it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO and link those libraries yourself"
#endif

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <ranges>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/memory.hpp"
#include "../error.hpp"
#include "array_file.hpp"
#include "atomic_file.hpp"
#include "crc32.hpp"

namespace spikeweave::io {

static_assert(std::endian::native == std::endian::little,
              "spikeweave/io/npz.hpp: .npy data is little-endian and is copied as is; "
              "big-endian hosts are not supported");
static_assert(std::numeric_limits<double>::is_iec559 && std::numeric_limits<float>::is_iec559,
              "spikeweave/io/npz.hpp: float and double must be IEEE 754 ('<f4', '<f8')");

namespace detail {

/// Reads `n` bytes at `offset` into `dst` with read_at(offset, dst, n) and
/// returns their CRC-32 continued from `crc`. With `parallel`, a large read
/// goes in 4 MiB pieces, each read and summed by whichever thread takes it
/// (the sums are combined in order, zlib's crc32_combine): on two cores a
/// 80 MB entry is in memory and checked in about half the time. The first
/// exception a piece throws is rethrown once all have ended.
template <class ReadAt>
std::uint32_t read_with_crc(const ReadAt& read_at, std::uint64_t offset, unsigned char* dst, std::uint64_t n,
                            std::uint32_t crc, const parallel_for& parallel) {
  constexpr std::uint64_t piece = std::uint64_t{4} << 20;
  if (!parallel || n < 2 * piece) {
    read_at(offset, dst, n);
    return crc32_update(crc, dst, n);
  }
  const std::size_t pieces = static_cast<std::size_t>((n + piece - 1) / piece);
  std::vector<std::uint32_t> sums(pieces);
  std::vector<std::exception_ptr> errors(pieces);
  parallel(pieces, [&](std::size_t p) {
    const std::uint64_t at = p * piece, length = std::min(piece, n - at);
    try {
      read_at(offset + at, dst + at, length);
      sums[p] = crc32_update(0, dst + at, length);
    } catch (...) {
      errors[p] = std::current_exception();
    }
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  for (std::size_t p = 0; p < pieces; ++p)
    crc = static_cast<std::uint32_t>(::crc32_combine64(crc, sums[p], static_cast<z_off64_t>(std::min(piece, n - p * piece))));
  return crc;
}

// Zip signatures and limits (PKWARE APPNOTE 6.3).
inline constexpr std::uint32_t sig_local = 0x04034b50;
inline constexpr std::uint32_t sig_central = 0x02014b50;
inline constexpr std::uint32_t sig_eocd = 0x06054b50;
inline constexpr std::uint32_t sig_eocd64 = 0x06064b50;
inline constexpr std::uint32_t sig_locator64 = 0x07064b50;
inline constexpr std::uint64_t max32 = 0xFFFFFFFFu;
inline constexpr std::uint64_t max16 = 0xFFFFu;
inline constexpr std::uint16_t method_stored = 0;
inline constexpr std::uint16_t method_deflate = 8;
inline constexpr std::uint16_t flag_utf8 = 0x0800;
// DOS date 1980-01-01 00:00: a fixed time stamp, so equal contents give equal files.
inline constexpr std::uint16_t dos_time = 0;
inline constexpr std::uint16_t dos_date = (1 << 5) | 1;
// Bytes of the fixed part of each record.
inline constexpr std::size_t local_size = 30;
inline constexpr std::size_t central_size = 46;
inline constexpr std::size_t eocd_size = 22;
inline constexpr std::size_t eocd64_size = 56;
inline constexpr std::size_t locator64_size = 20;
// Deflate expands at most ~1032:1; a directory that claims more is corrupt (and would make us allocate it).
inline constexpr std::uint64_t max_deflate_ratio = 1032;
inline constexpr std::uint64_t max_npy_header = 1u << 20;

using bytes = std::vector<unsigned char>;

inline void put16(bytes& b, std::uint64_t v) {
  for (int i = 0; i < 2; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
inline void put32(bytes& b, std::uint64_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
inline void put64(bytes& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
inline std::uint64_t get_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline std::uint16_t get16(const unsigned char* p) { return static_cast<std::uint16_t>(get_le(p, 2)); }
inline std::uint32_t get32(const unsigned char* p) { return static_cast<std::uint32_t>(get_le(p, 4)); }
inline std::uint64_t get64(const unsigned char* p) { return get_le(p, 8); }


inline std::string shape_string(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

/// The product of `shape`, false on overflow.
inline bool shape_product(const std::vector<std::uint64_t>& shape, std::uint64_t& n) {
  n = 1;
  for (std::uint64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::uint64_t>::max() / d) return false;
    n *= d;
  }
  return true;
}

/// Decodes UTF-8 into code points; false at the first invalid sequence, `bad` is its byte offset.
inline bool utf8_decode(std::string_view s, std::vector<std::uint32_t>& out, std::size_t& bad) {
  out.clear();
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (c0 < 0x80) len = 1, cp = c0;
    else if ((c0 & 0xE0) == 0xC0) len = 2, cp = c0 & 0x1F, min = 0x80;
    else if ((c0 & 0xF0) == 0xE0) len = 3, cp = c0 & 0x0F, min = 0x800;
    else if ((c0 & 0xF8) == 0xF0) len = 4, cp = c0 & 0x07, min = 0x10000;
    else return bad = i, false;
    if (len > s.size() - i) return bad = i, false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return bad = i, false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return bad = i, false;
    out.push_back(cp);
    i += len;
  }
  return true;
}

/// Appends the UTF-8 encoding of a valid code point.
inline void utf8_append(std::string& s, std::uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// Why `name` cannot be an entry name, or "" when it can: a '/'-separated path of non-empty segments, not '.' or '..'.
inline std::string entry_name_rule(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > max16 - 4) return "must be shorter than 65532 bytes";
  std::vector<std::uint32_t> cps;
  std::size_t bad = 0;
  if (!utf8_decode(name, cps, bad)) return "must be valid UTF-8 (byte " + std::to_string(bad) + ")";
  for (std::uint32_t cp : cps) {
    if (cp < 0x20 || cp == 0x7F) return "must not contain control characters";
    if (cp == '\\') return "must not contain '\\' (use '/' between parts)";
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    if (part.empty()) return "must not start or end with '/' nor contain '//'";
    if (part == "." || part == "..") return "must not contain '.' or '..' parts";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

/// The .npy header: magic, version, length and the dictionary, padded with spaces and '\n' to a multiple of 64 bytes.
inline bytes npy_header(std::string_view dtype, const std::vector<std::uint64_t>& shape) {
  std::string dict = "{'descr': '" + std::string(dtype) + "', 'fortran_order': False, 'shape': " +
                     shape_string(shape) + ", }";
  const bool v1 = dict.size() + 1 + 10 + 64 <= max16;  // format 2.0 only for a header that 1.0 cannot hold
  const std::size_t preamble = v1 ? 10 : 12;
  const std::size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  bytes h = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(v1 ? 1 : 2), 0};
  if (v1) put16(h, dict.size());
  else put32(h, dict.size());
  h.insert(h.end(), dict.begin(), dict.end());
  return h;
}

/// The dictionary of a .npy header, parsed from the Python literal numpy writes.
struct npy_dict {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
};

/// Parses `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`; returns why it is not one, or "".
inline std::string parse_npy_dict(std::string_view s, npy_dict& out) {
  std::size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  };
  auto eat = [&](char c) {
    skip();
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  };
  auto string_literal = [&](std::string& v) {
    skip();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return false;
    const char q = s[i++];
    const std::size_t end = s.find(q, i);
    if (end == std::string_view::npos) return false;
    v.assign(s.substr(i, end - i));
    if (v.find('\\') != std::string::npos) return false;
    i = end + 1;
    return true;
  };
  auto integer = [&](std::uint64_t& v) {
    skip();
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      const auto d = static_cast<std::uint64_t>(s[i] - '0');
      if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
      v = v * 10 + d;
      ++i;
    }
    if (i < s.size() && s[i] == 'L') ++i;  // written by Python 2
    return true;
  };
  if (!eat('{')) return "does not start with '{'";
  bool has_descr = false, has_fortran = false, has_shape = false;
  while (!eat('}')) {
    std::string key;
    if (!string_literal(key)) return "expected a quoted key";
    if (!eat(':')) return "expected ':' after '" + key + "'";
    if (key == "descr") {
      skip();
      if (i < s.size() && s[i] == '[') return "has a structured dtype (a list of fields), which is not supported";
      if (has_descr || !string_literal(out.descr)) return "'descr' is not a single quoted string";
      has_descr = true;
    } else if (key == "fortran_order") {
      skip();
      if (has_fortran) return "repeats 'fortran_order'";
      if (s.substr(i, 4) == "True") out.fortran_order = true, i += 4;
      else if (s.substr(i, 5) == "False") out.fortran_order = false, i += 5;
      else return "'fortran_order' is neither True nor False";
      has_fortran = true;
    } else if (key == "shape") {
      if (has_shape || !eat('(')) return "'shape' is not a tuple";
      out.shape.clear();
      while (!eat(')')) {
        std::uint64_t d = 0;
        if (!integer(d)) return "'shape' holds something other than non-negative integers";
        out.shape.push_back(d);
        if (eat(')')) break;
        if (!eat(',')) return "'shape' is not a tuple";
      }
      has_shape = true;
    } else {
      return "has an unknown key '" + key + "'";
    }
    if (eat('}')) break;
    if (!eat(',')) return "expected ',' or '}'";
  }
  skip();
  if (i != s.size()) return "has characters after the closing '}'";
  if (!has_descr || !has_fortran || !has_shape) return "lacks one of 'descr', 'fortran_order', 'shape'";
  return {};
}

/// Bytes per element of a simple dtype string ('<f8', '|b1', '<U12', '|S5', '<M8[ns]'); why not, or "".
inline std::string dtype_item_size(std::string_view d, std::uint64_t& size) {
  std::size_t i = 0;
  if (i < d.size() && (d[i] == '<' || d[i] == '>' || d[i] == '|' || d[i] == '=')) ++i;
  if (i >= d.size()) return "is empty";
  const char kind = d[i++];
  if (kind == 'O') return "holds Python objects (a pickle), which spikeweave does not read";
  if (std::string_view("biufcSUVaMm").find(kind) == std::string_view::npos) return "is not a dtype spikeweave knows";
  if (i >= d.size() || d[i] < '0' || d[i] > '9') return "lacks an item size";
  std::uint64_t n = 0;
  while (i < d.size() && d[i] >= '0' && d[i] <= '9') {
    if (n > 1u << 30) return "has an item size over 1 GiB";
    n = n * 10 + static_cast<std::uint64_t>(d[i++] - '0');
  }
  if ((kind == 'M' || kind == 'm') && i < d.size() && d[i] == '[' && d.back() == ']') i = d.size();
  if (i != d.size()) return "is not a dtype spikeweave knows";
  size = kind == 'U' ? 4 * n : n;
  return {};
}

/// True when dtype `found` is `expected`; the byte-order mark of one-byte types may be '|' or '<'.
inline bool same_dtype(std::string_view found, std::string_view expected) {
  if (found == expected) return true;
  return found.size() == 3 && expected.size() == 3 && found.substr(1) == expected.substr(1) && found[2] == '1' &&
         (found[0] == '|' || found[0] == '<') && (expected[0] == '|' || expected[0] == '<');
}

/// A zlib stream, ended on destruction.
struct zstream {
  z_stream z{};
  bool deflating = false;
  bool live = false;
  zstream() = default;
  zstream(const zstream&) = delete;
  zstream& operator=(const zstream&) = delete;
  ~zstream() {
    if (!live) return;
    if (deflating) ::deflateEnd(&z);
    else ::inflateEnd(&z);
  }
};

}  // namespace detail

/// What every array writer offers (npz_writer, archive_writer): typed arrays
/// and strings, checked, turned into (name, dtype, shape, bytes) for the
/// format's add_bytes.
template <class Writer>
class array_writer {
 public:
  /// Adds `data` (a contiguous range: std::vector, std::span, column) as a 1-D array `name`.
  template <class Range>
  void add(std::string_view name, const Range& data) {
    static_assert(npy_range<Range>,
                  "spikeweave::io::npz_writer / archive_writer::add(name, data[, shape]): data must be a contiguous sized range "
                  "(std::vector<T>, std::span<const T>, std::array, column) of T = double, float, bool or an "
                  "integer of 1, 2, 4 or 8 bytes (std::vector<bool> is not contiguous: use a span of bool)");
    if constexpr (npy_range<Range>)
      add(name, data, std::vector<std::uint64_t>{static_cast<std::uint64_t>(std::ranges::size(data))});
  }

  /// Adds `data` as an array `name` of the given shape (C order; {} is a 0-d scalar).
  template <class Range>
  void add(std::string_view name, const Range& data, std::vector<std::uint64_t> shape) {
    static_assert(npy_range<Range>,
                  "spikeweave::io::npz_writer / archive_writer::add(name, data[, shape]): data must be a contiguous sized range "
                  "(std::vector<T>, std::span<const T>, std::array, column) of T = double, float, bool or an "
                  "integer of 1, 2, 4 or 8 bytes (std::vector<bool> is not contiguous: use a span of bool)");
    if constexpr (npy_range<Range>) {
      using T = std::ranges::range_value_t<Range>;
      const auto n = static_cast<std::uint64_t>(std::ranges::size(data));
      std::uint64_t count = 0;
      if (!detail::shape_product(shape, count) || count != n)
        throw format_error(self().path() + ": entry '" + std::string(name) + "': shape " + detail::shape_string(shape) +
                           " does not hold the " + std::to_string(n) + " values given");
      self().add_bytes(name, npy_dtype<T>(), shape, reinterpret_cast<const unsigned char*>(std::ranges::data(data)),
                       n * sizeof(T));
    }
  }

  /// Adds a string (UTF-8) as a 0-d numpy unicode array '<U{n}': in Python, `str(np.load(path)[name])`.
  void add_string(std::string_view name, std::string_view text) {
    std::vector<std::uint32_t> cps;
    std::size_t bad = 0;
    if (!detail::utf8_decode(text, cps, bad))
      throw format_error(self().path() + ": entry '" + std::string(name) + "': the string is not valid UTF-8 (byte " +
                         std::to_string(bad) + ")");
    if (!cps.empty() && cps.back() == 0)
      throw format_error(self().path() + ": entry '" + std::string(name) +
                         "': the string ends with a NUL character, which numpy's '<U' dtype drops");
    if (cps.empty()) cps.push_back(0);  // numpy stores '' as '<U1' (no zero-size dtype)
    detail::bytes data;
    data.reserve(4 * cps.size());
    for (std::uint32_t cp : cps) detail::put32(data, cp);
    self().add_bytes(name, "<U" + std::to_string(cps.size()), {}, data.data(), data.size());
  }

 protected:
  array_writer() = default;

  // For the writer's destructor: close() an open writer (swallowing errors: a destructor must not throw, and
  // close() reports them), except while an exception unwinds the stack through it: then abandon() it, so that
  // the file on disk stays the old one.
  void close_on_destruction() noexcept {
    Writer& w = self();
    if (w.state_ != Writer::state::open) return;
    if (std::uncaught_exceptions() > uncaught_) {
      w.abandon();
      return;
    }
    try {
      w.close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): see above
    }
  }

 private:
  int uncaught_ = std::uncaught_exceptions();

  template <class Range>
  static constexpr bool npy_range = [] {
    if constexpr (std::ranges::contiguous_range<Range> && std::ranges::sized_range<Range>)
      return npy_element<std::ranges::range_value_t<Range>>;
    else
      return false;
  }();

  Writer& self() { return static_cast<Writer&>(*this); }
};

/// Writes a .npz archive at `path`, atomically: entries go to a temporary file
/// next to it, which close() syncs and renames over `path`.
///
/// Errors: format_error for an entry the format cannot hold (bad name,
/// duplicate, shape that does not match the data, string that is not UTF-8),
/// thrown before anything is written: the writer stays usable. io_error when
/// the file system fails: the temporary is removed, `path` is untouched and
/// the writer is dead. The destructor closes an open writer, swallowing
/// errors (call close() to see them), unless it runs during stack unwinding:
/// then it discards the temporary, so an exception never leaves a
/// half-written archive behind. Not thread-safe; a reader is safe to share
/// between threads (it reads with pread).
class npz_writer : public array_writer<npz_writer> {
 public:
  /// Starts an archive that close() will move to `path`.
  explicit npz_writer(std::string path, npz_options options = {})
      : path_(std::move(path)), options_(options) {
    if (options_.compress && (options_.level < 0 || options_.level > 9))
      throw config_error(path_ + ": npz compression level = " + std::to_string(options_.level) +
                         ", must be in 0..9");
    fd_ = detail::create_temporary(path_, tmp_path_);
    buffer_.reserve(buffer_capacity);
    state_ = state::open;
  }

  npz_writer(const npz_writer&) = delete;
  npz_writer& operator=(const npz_writer&) = delete;

  ~npz_writer() { this->close_on_destruction(); }

  /// The file close() writes.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Finishes the archive: writes the directory, syncs, renames over path(); io_error naming path() on failure.
  void close() {
    if (state_ == state::closed) return;
    if (state_ != state::open)
      throw io_error(path_ + ": not written: an earlier error abandoned this archive");
    try {
      write_directory();
      flush();
      detail::commit_temporary(fd_, tmp_path_, path_);
      state_ = state::closed;
    } catch (...) {
      abandon();
      throw;
    }
  }

 private:
  enum class state { opening, open, closed, failed };

  struct central_record {
    std::string file_name;
    std::uint16_t method = 0;
    std::uint16_t flags = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint64_t offset = 0;
    bool zip64_local = false;
  };

  static constexpr std::size_t buffer_capacity = std::size_t{1} << 20;

  friend class array_writer<npz_writer>;

  void add_bytes(std::string_view name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
                 const unsigned char* data, std::uint64_t nbytes) {
    if (state_ != state::open)
      throw io_error(path_ + ": cannot add entry '" + std::string(name) + "': the archive is " +
                     (state_ == state::closed ? "closed" : "abandoned after an earlier error"));
    if (const std::string rule = detail::entry_name_rule(name); !rule.empty())
      throw format_error(path_ + ": entry name '" + std::string(name) + "' " + rule);
    if (!names_.emplace(name).second)
      throw format_error(path_ + ": entry '" + std::string(name) + "' is already in the archive");
    try {
      write_entry(std::string(name) + ".npy", detail::npy_header(dtype, shape), data, nbytes);
    } catch (...) {
      abandon();
      throw;
    }
  }

  void write_entry(std::string file_name, const detail::bytes& header, const unsigned char* data,
                   std::uint64_t nbytes) {
    central_record rec;
    rec.file_name = std::move(file_name);
    rec.method = options_.compress ? detail::method_deflate : detail::method_stored;
    rec.flags = std::ranges::any_of(rec.file_name, [](char c) { return static_cast<unsigned char>(c) >= 0x80; })
                    ? detail::flag_utf8
                    : std::uint16_t{0};
    rec.offset = pos_;
    rec.uncompressed = header.size() + nbytes;
    // zlib's compressBound, with room to spare: the local header's need for ZIP64 sizes is decided before compressing.
    const std::uint64_t u = rec.uncompressed;
    const std::uint64_t bound = options_.compress ? u + (u >> 12) + (u >> 14) + (u >> 25) + 64 : u;
    rec.zip64_local = options_.force_zip64 || u >= detail::max32 || bound >= detail::max32;

    detail::bytes local;
    detail::put32(local, detail::sig_local);
    detail::put16(local, rec.zip64_local ? 45 : 20);
    detail::put16(local, rec.flags);
    detail::put16(local, rec.method);
    detail::put16(local, detail::dos_time);
    detail::put16(local, detail::dos_date);
    detail::put32(local, 0);  // CRC-32, patched below
    detail::put32(local, rec.zip64_local ? detail::max32 : 0);
    detail::put32(local, rec.zip64_local ? detail::max32 : 0);
    detail::put16(local, rec.file_name.size());
    detail::put16(local, rec.zip64_local ? 20 : 0);
    local.insert(local.end(), rec.file_name.begin(), rec.file_name.end());
    if (rec.zip64_local) {
      detail::put16(local, 0x0001);
      detail::put16(local, 16);
      detail::put64(local, 0);  // sizes, patched below
      detail::put64(local, 0);
    }
    emit(local.data(), local.size());

    const std::uint64_t data_start = pos_;
    std::uint32_t crc = detail::crc32_update(0, header.data(), header.size());
    crc = detail::crc32_update(crc, data, nbytes);
    if (options_.compress) {
      deflate_out(header.data(), header.size(), data, nbytes, rec.file_name);
    } else {
      emit(header.data(), header.size());
      emit(data, nbytes);
    }
    rec.crc = crc;
    rec.compressed = pos_ - data_start;
    if (!rec.zip64_local && rec.compressed >= detail::max32)
      throw internal_error(path_ + ": entry '" + rec.file_name + "' compressed beyond the bound reserved for it");

    // Patch CRC and sizes into the local header, now that they are known.
    flush();
    detail::bytes patch;
    detail::put32(patch, rec.crc);
    if (!rec.zip64_local) {
      detail::put32(patch, rec.compressed);
      detail::put32(patch, rec.uncompressed);
    }
    write_at(rec.offset + 14, patch);
    if (rec.zip64_local) {
      patch.clear();
      detail::put64(patch, rec.uncompressed);
      detail::put64(patch, rec.compressed);
      write_at(rec.offset + detail::local_size + rec.file_name.size() + 4, patch);
    }
    records_.push_back(std::move(rec));
  }

  void deflate_out(const unsigned char* head, std::uint64_t head_size, const unsigned char* data,
                   std::uint64_t nbytes, const std::string& file_name) {
    detail::zstream zs;
    zs.deflating = true;
    // Raw deflate (no zlib header): what zip stores.
    if (::deflateInit2(&zs.z, options_.level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::bad_alloc();
    zs.live = true;
    std::vector<unsigned char> out(std::size_t{1} << 18);
    auto pump = [&](const unsigned char* p, std::uint64_t n, bool last) {
      do {
        const auto chunk = std::min(n, detail::io_chunk);
        zs.z.next_in = const_cast<Bytef*>(p);  // zlib does not write through next_in
        zs.z.avail_in = static_cast<uInt>(chunk);
        const int flush_mode = last && chunk == n ? Z_FINISH : Z_NO_FLUSH;
        int rc = Z_OK;
        do {
          zs.z.next_out = out.data();
          zs.z.avail_out = static_cast<uInt>(out.size());
          rc = ::deflate(&zs.z, flush_mode);
          if (rc == Z_STREAM_ERROR)
            throw internal_error(path_ + ": entry '" + file_name + "': zlib deflate failed");
          emit(out.data(), out.size() - zs.z.avail_out);
        } while (zs.z.avail_out == 0 || (flush_mode == Z_FINISH && rc != Z_STREAM_END));
        p += chunk;
        n -= chunk;
      } while (n > 0);
    };
    pump(head, head_size, false);
    pump(data, nbytes, true);
  }

  void write_directory() {
    const std::uint64_t cd_offset = pos_;
    for (const central_record& r : records_) {
      const bool big_u = options_.force_zip64 || r.uncompressed >= detail::max32;
      const bool big_c = options_.force_zip64 || r.compressed >= detail::max32;
      const bool big_o = options_.force_zip64 || r.offset >= detail::max32;
      detail::bytes extra;
      if (big_u || big_c || big_o) {
        detail::put16(extra, 0x0001);
        detail::put16(extra, 8 * (int{big_u} + int{big_c} + int{big_o}));
        if (big_u) detail::put64(extra, r.uncompressed);
        if (big_c) detail::put64(extra, r.compressed);
        if (big_o) detail::put64(extra, r.offset);
      }
      const int version = r.zip64_local || !extra.empty() ? 45 : 20;
      detail::bytes c;
      detail::put32(c, detail::sig_central);
      detail::put16(c, (3 << 8) | version);  // made by: Unix
      detail::put16(c, version);
      detail::put16(c, r.flags);
      detail::put16(c, r.method);
      detail::put16(c, detail::dos_time);
      detail::put16(c, detail::dos_date);
      detail::put32(c, r.crc);
      detail::put32(c, big_c ? detail::max32 : r.compressed);
      detail::put32(c, big_u ? detail::max32 : r.uncompressed);
      detail::put16(c, r.file_name.size());
      detail::put16(c, extra.size());
      detail::put16(c, 0);                      // comment length
      detail::put16(c, 0);                      // disk number
      detail::put16(c, 0);                      // internal attributes
      detail::put32(c, std::uint64_t{0100644} << 16);  // regular file, rw-r--r--
      detail::put32(c, big_o ? detail::max32 : r.offset);
      c.insert(c.end(), r.file_name.begin(), r.file_name.end());
      c.insert(c.end(), extra.begin(), extra.end());
      emit(c.data(), c.size());
    }
    const std::uint64_t cd_size = pos_ - cd_offset;
    const std::uint64_t count = records_.size();
    detail::bytes end;
    if (options_.force_zip64 || count >= detail::max16 || cd_size >= detail::max32 || cd_offset >= detail::max32) {
      const std::uint64_t eocd64_offset = pos_;
      detail::put32(end, detail::sig_eocd64);
      detail::put64(end, detail::eocd64_size - 12);
      detail::put16(end, (3 << 8) | 45);
      detail::put16(end, 45);
      detail::put32(end, 0);
      detail::put32(end, 0);
      detail::put64(end, count);
      detail::put64(end, count);
      detail::put64(end, cd_size);
      detail::put64(end, cd_offset);
      detail::put32(end, detail::sig_locator64);
      detail::put32(end, 0);
      detail::put64(end, eocd64_offset);
      detail::put32(end, 1);
    }
    detail::put32(end, detail::sig_eocd);
    detail::put16(end, 0);
    detail::put16(end, 0);
    detail::put16(end, std::min(count, detail::max16));
    detail::put16(end, std::min(count, detail::max16));
    detail::put32(end, std::min(cd_size, detail::max32));
    detail::put32(end, std::min(cd_offset, detail::max32));
    detail::put16(end, 0);
    emit(end.data(), end.size());
  }

  void emit(const unsigned char* p, std::uint64_t n) {
    pos_ += n;
    if (n <= buffer_capacity - buffer_.size()) {
      buffer_.insert(buffer_.end(), p, p + n);
      return;
    }
    flush();
    if (n < buffer_capacity) buffer_.insert(buffer_.end(), p, p + n);
    else write_all(p, n);
  }

  void flush() {
    write_all(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

  void write_all(const unsigned char* p, std::uint64_t n) {
    if (const int err = detail::write_all(fd_.get(), p, n); err != 0)
      fail("cannot write the temporary file " + tmp_path_, err);
  }

  void write_at(std::uint64_t offset, const detail::bytes& b) {
    std::size_t done = 0;
    while (done < b.size()) {
      const ssize_t w = ::pwrite(fd_.get(), b.data() + done, b.size() - done, static_cast<off_t>(offset + done));
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("cannot write the temporary file " + tmp_path_, errno);
      }
      done += static_cast<std::size_t>(w);
    }
  }

  [[noreturn]] void fail(const std::string& what, int err) {
    abandon();
    throw io_error(path_ + ": " + what + ": " + detail::system_message(err));
  }

  void abandon() noexcept {
    if (state_ == state::closed || state_ == state::failed) return;
    fd_.reset();
    ::unlink(tmp_path_.c_str());
    state_ = state::failed;
  }

  std::string path_;
  std::string tmp_path_;
  npz_options options_;
  state state_ = state::opening;
  detail::unique_fd fd_;
  std::uint64_t pos_ = 0;
  std::vector<unsigned char> buffer_;
  std::vector<central_record> records_;
  std::set<std::string, std::less<>> names_;
};

/// Reads a .npz archive (numpy.savez, numpy.savez_compressed or npz_writer).
///
/// Opening reads only the zip directory; info() reads only an entry's .npy
/// header; read() checks the dtype, the sizes and the CRC-32. Every problem
/// with the content is a format_error naming the file, the entry and the
/// rule; a file that cannot be opened or read is an io_error.
class npz_reader {
 public:
  /// Opens `path` and reads its zip directory.
  explicit npz_reader(std::string path) : path_(std::move(path)) {
    fd_ = detail::open_regular_file(path_, file_size_);
    read_directory();
  }

  /// The file this reader reads.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Lets large stored entries be read and checked on several threads (see parallel_for).
  void set_parallel(parallel_for p) { parallel_ = std::move(p); }

  /// Entry names (without ".npy"), in archive order.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const entry& e : entries_) out.push_back(e.name);
    return out;
  }

  /// True when the archive has an entry `name`.
  [[nodiscard]] bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }

  /// Dtype, shape and sizes of entry `name`, from its .npy header alone.
  [[nodiscard]] npz_info info(std::string_view name) const {
    entry_stream s(*this, find(name));
    return s.header();
  }

  /// The values of entry `name`, whose dtype must be npy_dtype<T>() and order C (see info() for the shape).
  template <class T>
  [[nodiscard]] std::vector<T> read(std::string_view name) const {
    static_assert(npy_element<T>,
                  "spikeweave::io::npz_reader::read<T>(name): T must be double, float, bool or an integer of "
                  "1, 2, 4 or 8 bytes");
    if constexpr (npy_element<T>) {
      entry_stream s(*this, find(name));
      const npz_info i = s.header();
      check_dtype(i, npy_dtype<T>());
      if constexpr (std::same_as<T, bool>) {  // std::vector<bool> has no bool array to read into
        if (i.compressed && i.size > growth_start) {
          const std::vector<unsigned char> raw = read_growing<unsigned char>(s, i.size);
          return std::vector<bool>(raw.begin(), raw.end());
        }
        const std::unique_ptr<bool[]> raw(new bool[i.size]);
        read_data(s, std::span<bool>(raw.get(), i.size));
        return std::vector<bool>(raw.get(), raw.get() + i.size);
      } else if (i.compressed && i.size * sizeof(T) > growth_start) {
        return read_growing<T>(s, i.size);
      } else {
        std::vector<T> out = spikeweave::detail::large_vector<T>(i.size);
        read_data(s, std::span<T>(out));
        return out;
      }
    } else {
      return {};
    }
  }

  /// Reads entry `name` into `out`, which must have exactly as many elements (checks as read()).
  template <class T>
  void read_into(std::string_view name, std::span<T> out) const {
    static_assert(npy_element<T>,
                  "spikeweave::io::npz_reader::read_into(name, std::span<T>): T must be double, float, bool or an "
                  "integer of 1, 2, 4 or 8 bytes");
    if constexpr (npy_element<T>) {
      entry_stream s(*this, find(name));
      const npz_info i = s.header();
      check_dtype(i, npy_dtype<T>());
      if (i.size != out.size())
        corrupt("entry '" + i.name + "' has " + std::to_string(i.size) + " elements (shape " +
                detail::shape_string(i.shape) + "), expected " + std::to_string(out.size()));
      read_data(s, out);
    }
  }

  /// The string in entry `name`: a one-element '<U…' array (add_string, numpy) or '|S…' array, or '|u1' bytes.
  [[nodiscard]] std::string read_string(std::string_view name) const {
    entry_stream s(*this, find(name));
    const npz_info i = s.header();
    const std::string_view d = i.dtype;
    if (i.item_size != 0 && i.size > max_metadata_bytes / i.item_size)
      corrupt("entry '" + i.name + "' holds " + std::to_string(i.size) + " x " + std::to_string(i.item_size) +
              " bytes, more than the " + std::to_string(max_metadata_bytes >> 20) + " MiB a string may have");
    const bool one = i.size == 1 && !i.fortran_order;
    std::string out;
    if (one && d.size() > 2 && d[0] == '<' && d[1] == 'U') {
      std::vector<unsigned char> raw(i.item_size);
      s.read(raw.data(), raw.size());
      s.finish();
      std::size_t n = raw.size() / 4;
      while (n > 0 && detail::get32(&raw[4 * (n - 1)]) == 0) --n;  // numpy pads with (and strips) NULs
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint32_t cp = detail::get32(&raw[4 * k]);
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          throw format_error(path_ + ": entry '" + i.name + "' holds U+" + std::to_string(cp) +
                             " at character " + std::to_string(k) + ", which is not a Unicode scalar value");
        detail::utf8_append(out, cp);
      }
      return out;
    }
    if (one && d.size() > 2 && (d[0] == '|' || d[0] == '<') && d[1] == 'S') {
      out.resize(i.item_size);
      s.read(reinterpret_cast<unsigned char*>(out.data()), out.size());
      s.finish();
      while (!out.empty() && out.back() == '\0') out.pop_back();
      return out;
    }
    if (detail::same_dtype(d, "|u1") && i.shape.size() <= 1) {
      out.resize(i.size);
      s.read(reinterpret_cast<unsigned char*>(out.data()), out.size());
      s.finish();
      return out;
    }
    throw format_error(path_ + ": entry '" + i.name + "' has dtype '" + i.dtype + "' and shape " +
                       detail::shape_string(i.shape) +
                       ", expected a string: '<U…' or '|S…' with one element, or '|u1' bytes");
  }

 private:
  class entry_stream;

  // A deflated entry's size comes from its header, and deflate can claim up to 1032 times its compressed
  // size: over this, address space is reserved for the claim but memory is touched only as the values really
  // come out, 16 MiB at a time, so a damaged or hostile entry costs what it holds, not what it claims.
  static constexpr std::uint64_t growth_start = std::uint64_t{16} << 20;

  template <class T>
  static std::vector<T> read_growing(entry_stream& s, std::uint64_t n) {
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(n));  // not touched: no memory yet
    spikeweave::detail::advise_huge_pages(out.data(), n * sizeof(T));
    constexpr std::uint64_t piece = growth_start / sizeof(T);
    for (std::uint64_t done = 0; done < n; done += std::min(piece, n - done)) {
      out.resize(static_cast<std::size_t>(done + std::min(piece, n - done)));
      s.read(reinterpret_cast<unsigned char*>(out.data() + done), std::min(piece, n - done) * sizeof(T));
    }
    s.finish();
    return out;
  }

  // The data after the header, then the end and CRC checks.
  template <class T>
  static void read_data(entry_stream& s, std::span<T> out) {
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    s.read(bytes, out.size_bytes());
    s.finish();
    if constexpr (std::same_as<T, bool>)
      for (std::size_t k = 0; k < out.size(); ++k) bytes[k] = bytes[k] != 0;  // only 0 and 1 are bools
  }

  struct entry {
    std::string name;       // without ".npy"
    std::string file_name;  // in the zip
    std::uint16_t method = 0;
    std::uint16_t flags = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0;
    std::uint64_t uncompressed = 0;
    std::uint64_t offset = 0;
  };

  [[noreturn]] void corrupt(const std::string& what) const { throw format_error(path_ + ": " + what); }

  void read_at(std::uint64_t offset, void* dst, std::uint64_t n, const char* what) const {
    auto* p = static_cast<unsigned char*>(dst);
    if (offset > file_size_ || n > file_size_ - offset)
      corrupt(std::string("truncated: ") + what + " lies beyond the end of the file");
    const int err = detail::read_all_at(fd_.get(), offset, p, n);
    if (err > 0) throw io_error(path_ + ": cannot read: " + detail::system_message(err));
    if (err < 0) corrupt(std::string("truncated: ") + what + " lies beyond the end of the file");
  }

  void read_directory() {
    // The end-of-central-directory record: the last 22 bytes, or earlier when the archive has a comment.
    const std::uint64_t tail_size = std::min<std::uint64_t>(file_size_, detail::eocd_size + detail::max16);
    if (file_size_ < detail::eocd_size) corrupt("not a zip archive (" + std::to_string(file_size_) + " bytes)");
    std::vector<unsigned char> tail(tail_size);
    const std::uint64_t tail_start = file_size_ - tail_size;
    read_at(tail_start, tail.data(), tail.size(), "the end record");
    std::uint64_t eocd = std::numeric_limits<std::uint64_t>::max();
    for (std::uint64_t k = tail_size - detail::eocd_size + 1; k-- > 0;) {
      if (detail::get32(&tail[k]) == detail::sig_eocd &&
          detail::get16(&tail[k + 20]) == tail_size - k - detail::eocd_size) {
        eocd = k;
        break;
      }
    }
    if (eocd == std::numeric_limits<std::uint64_t>::max())
      corrupt("not a zip archive, or truncated (no end-of-central-directory record)");
    const unsigned char* e = &tail[eocd];
    std::uint64_t count = detail::get16(e + 10);
    std::uint64_t cd_size = detail::get32(e + 12);
    std::uint64_t cd_offset = detail::get32(e + 16);
    std::uint64_t cd_end_limit = tail_start + eocd;  // the directory ends where the end records start
    if (detail::get16(e + 4) != 0 || detail::get16(e + 6) != 0 || detail::get16(e + 8) != count)
      corrupt("archives split over several disks are not supported");
    const std::uint64_t eocd_pos = tail_start + eocd;
    if (eocd_pos >= detail::locator64_size) {
      unsigned char loc[detail::locator64_size];
      read_at(eocd_pos - detail::locator64_size, loc, sizeof loc, "the ZIP64 locator");
      if (detail::get32(loc) == detail::sig_locator64) {
        const std::uint64_t at = detail::get64(loc + 8);
        if (detail::get32(loc + 4) != 0 || detail::get32(loc + 16) != 1)
          corrupt("archives split over several disks are not supported");
        const std::uint64_t locator = eocd_pos - detail::locator64_size;
        if (at > locator || locator - at < detail::eocd64_size)
          corrupt("the ZIP64 end record lies outside the file");
        unsigned char z[detail::eocd64_size];
        read_at(at, z, sizeof z, "the ZIP64 end record");
        if (detail::get32(z) != detail::sig_eocd64) corrupt("bad ZIP64 end-of-central-directory signature");
        // The record (with any extensible data) ends where the locator starts.
        if (detail::get64(z + 4) != locator - at - 12) corrupt("the ZIP64 end record is damaged (wrong size)");
        if (detail::get32(z + 16) != 0 || detail::get32(z + 20) != 0 || detail::get64(z + 24) != detail::get64(z + 32))
          corrupt("archives split over several disks are not supported");
        count = detail::get64(z + 32);
        cd_size = detail::get64(z + 40);
        cd_offset = detail::get64(z + 48);
        cd_end_limit = at;
      }
    }
    if (cd_offset > cd_end_limit || cd_size != cd_end_limit - cd_offset)
      corrupt("the central directory (" + std::to_string(cd_size) + " bytes at offset " + std::to_string(cd_offset) +
              ") does not end where the end record starts (" + std::to_string(cd_end_limit) + ")");
    if (count > cd_size / detail::central_size)
      corrupt("the central directory claims " + std::to_string(count) + " entries in " + std::to_string(cd_size) +
              " bytes");
    cd_offset_ = cd_offset;
    std::vector<unsigned char> cd(cd_size);
    read_at(cd_offset, cd.data(), cd.size(), "the central directory");
    std::size_t p = 0;
    entries_.reserve(count);
    for (std::uint64_t k = 0; k < count; ++k) {
      if (cd.size() - p < detail::central_size || detail::get32(&cd[p]) != detail::sig_central)
        corrupt("central directory record " + std::to_string(k) + " is damaged");
      const unsigned char* c = &cd[p];
      entry en;
      en.flags = detail::get16(c + 8);
      en.method = detail::get16(c + 10);
      en.crc = detail::get32(c + 16);
      en.compressed = detail::get32(c + 20);
      en.uncompressed = detail::get32(c + 24);
      en.offset = detail::get32(c + 42);
      const std::size_t name_len = detail::get16(c + 28);
      const std::size_t extra_len = detail::get16(c + 30);
      const std::size_t comment_len = detail::get16(c + 32);
      if (cd.size() - p - detail::central_size < name_len + extra_len + comment_len)
        corrupt("central directory record " + std::to_string(k) + " runs past the directory");
      en.file_name.assign(reinterpret_cast<const char*>(c + detail::central_size), name_len);
      const unsigned char* x = c + detail::central_size + name_len;
      const unsigned char* x_end = x + extra_len;
      const std::string where = "entry '" + en.file_name + "'";
      while (x_end - x >= 4) {
        const std::uint16_t tag = detail::get16(x);
        const std::size_t len = detail::get16(x + 2);
        x += 4;
        if (static_cast<std::size_t>(x_end - x) < len) corrupt(where + ": an extra field runs past its record");
        if (tag == 0x0001) {
          const unsigned char* f = x;
          auto take = [&](std::uint64_t& v) {
            if (v != detail::max32) return;
            if (x + len - f < 8) corrupt(where + ": the ZIP64 extra field is too short");
            v = detail::get64(f);
            f += 8;
          };
          take(en.uncompressed);
          take(en.compressed);
          take(en.offset);
        }
        x += len;
      }
      p += detail::central_size + name_len + extra_len + comment_len;
      en.name = en.file_name;
      if (en.name.size() >= 4 && en.name.ends_with(".npy")) en.name.resize(en.name.size() - 4);
      if (!index_.emplace(en.name, entries_.size()).second) corrupt(where + " appears twice");
      entries_.push_back(std::move(en));
    }
  }

  const entry& find(std::string_view name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) corrupt("no entry '" + std::string(name) + "'");
    return entries_[it->second];
  }

  void check_dtype(const npz_info& i, const std::string& expected) const {
    if (!detail::same_dtype(i.dtype, expected))
      corrupt("entry '" + i.name + "' has dtype '" + i.dtype + "', expected '" + expected + "'");
    if (i.fortran_order)
      corrupt("entry '" + i.name + "' is in Fortran (column-major) order, expected C order");
  }

  /// The uncompressed bytes of one entry, in order, with the CRC-32 checked at the end.
  class entry_stream {
   public:
    entry_stream(const npz_reader& r, const entry& e) : r_(r), e_(e) {
      if (e_.flags & 0x0001) fail("is encrypted");
      if (e_.method != detail::method_stored && e_.method != detail::method_deflate)
        fail("uses compression method " + std::to_string(e_.method) + ", expected 0 (stored) or 8 (deflate)");
      unsigned char h[detail::local_size];
      if (e_.offset > r_.cd_offset_) fail("starts after the central directory");
      r_.read_at(e_.offset, h, sizeof h, "a local header");
      if (detail::get32(h) != detail::sig_local) fail("has a damaged local header");
      const std::uint64_t name_len = detail::get16(h + 26);
      const std::uint64_t extra_len = detail::get16(h + 28);
      if (name_len != e_.file_name.size()) fail("has a local header that names another file");
      std::string local_name(name_len, '\0');
      r_.read_at(e_.offset + sizeof h, local_name.data(), name_len, "a local header");
      if (local_name != e_.file_name) fail("has a local header that names another file");
      data_ = e_.offset + sizeof h + name_len + extra_len;
      if (data_ > r_.cd_offset_ || e_.compressed > r_.cd_offset_ - data_)
        fail("has " + std::to_string(e_.compressed) + " bytes of data that run past the central directory");
      if (e_.method == detail::method_stored) {
        if (e_.compressed != e_.uncompressed)
          fail("is stored with " + std::to_string(e_.compressed) + " bytes but claims " +
               std::to_string(e_.uncompressed));
      } else {
        if (e_.uncompressed / detail::max_deflate_ratio > e_.compressed + 1)
          fail("claims " + std::to_string(e_.uncompressed) + " bytes from " + std::to_string(e_.compressed) +
               " compressed ones, more than deflate can expand");
        if (::inflateInit2(&zs_.z, -15) != Z_OK) throw std::bad_alloc();
        zs_.live = true;
        in_.resize(4096);
      }
    }

    /// Reads and checks the .npy header; the stream then stands at the data.
    npz_info header() {
      unsigned char pre[12];
      if (e_.uncompressed < 10) fail("is not a .npy array (" + std::to_string(e_.uncompressed) + " bytes)");
      read(pre, 8);
      if (std::memcmp(pre, "\x93NUMPY", 6) != 0) fail("is not a .npy array (bad magic)");
      const int major = pre[6];
      std::uint64_t len = 0;
      if (major == 1) {
        read(pre + 8, 2);
        len = detail::get16(pre + 8);
      } else if (major == 2 || major == 3) {
        if (e_.uncompressed < 12) fail("is not a .npy array (" + std::to_string(e_.uncompressed) + " bytes)");
        read(pre + 8, 4);
        len = detail::get32(pre + 8);
      } else {
        fail("has .npy format version " + std::to_string(major) + "." + std::to_string(pre[7]) +
             ", expected 1.0, 2.0 or 3.0");
      }
      if (len > detail::max_npy_header || len > e_.uncompressed - out_)
        fail("has a .npy header of " + std::to_string(len) + " bytes, longer than the entry");
      std::string text(len, '\0');
      read(reinterpret_cast<unsigned char*>(text.data()), len);
      detail::npy_dict dict;
      if (const std::string why = detail::parse_npy_dict(text, dict); !why.empty())
        fail("has a .npy header that " + why);
      npz_info i;
      i.name = e_.name;
      i.dtype = dict.descr;
      i.shape = std::move(dict.shape);
      i.fortran_order = dict.fortran_order;
      i.compressed = e_.method == detail::method_deflate;
      i.stored_bytes = e_.compressed;
      i.npy_bytes = e_.uncompressed;
      if (const std::string why = detail::dtype_item_size(i.dtype, i.item_size); !why.empty())
        fail("has dtype '" + i.dtype + "', which " + why);
      if (!detail::shape_product(i.shape, i.size) ||
          (i.item_size != 0 && i.size > std::numeric_limits<std::uint64_t>::max() / i.item_size) ||
          i.size * i.item_size != e_.uncompressed - out_)
        fail("has shape " + detail::shape_string(i.shape) + " of dtype '" + i.dtype + "' but " +
             std::to_string(e_.uncompressed - out_) + " bytes of data");
      return i;
    }

    /// The next n bytes; format_error if the entry has fewer or they cannot be decompressed.
    void read(unsigned char* dst, std::uint64_t n) {
      if (n > e_.uncompressed - out_) fail("ends early");
      if (e_.method == detail::method_stored) {
        crc_ = detail::read_with_crc(
            [this](std::uint64_t at, unsigned char* p, std::uint64_t k) { r_.read_at(at, p, k, "entry data"); },
            data_ + out_, dst, n, crc_, r_.parallel_);
        out_ += n;
        return;
      } else {
        std::uint64_t left = n;
        unsigned char* p = dst;
        while (left > 0) {
          const auto chunk = std::min(left, detail::io_chunk);
          zs_.z.next_out = p;
          zs_.z.avail_out = static_cast<uInt>(chunk);
          while (zs_.z.avail_out > 0) {
            if (ended_) fail("has less data than its directory record says");
            step();
          }
          p += chunk;
          left -= chunk;
        }
      }
      crc_ = detail::crc32_update(crc_, dst, n);
      out_ += n;
    }

    /// Checks that the entry ends here and that its CRC-32 matches.
    void finish() {
      if (out_ != e_.uncompressed) fail("has more data than its .npy header describes");
      if (e_.method == detail::method_deflate) {
        unsigned char extra = 0;
        zs_.z.next_out = &extra;
        zs_.z.avail_out = 1;
        while (!ended_ && zs_.z.avail_out == 1) step();
        if (zs_.z.avail_out != 1) fail("has more data than its directory record says");
        if (in_pos_ - zs_.z.avail_in != e_.compressed)
          fail("has a deflate stream that ends before its " + std::to_string(e_.compressed) + " compressed bytes");
      }
      if (crc_ != e_.crc)
        fail("fails its CRC-32 check (stored " + hex(e_.crc) + ", computed " + hex(crc_) + ")");
    }

   private:
    // One inflate call, refilling the input first.
    void step() {
      if (zs_.z.avail_in == 0 && in_pos_ < e_.compressed) {
        // A small first read serves info(), which needs only the .npy header.
        if (in_pos_ > 0 && in_.size() < big_input) in_.resize(big_input);
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), e_.compressed - in_pos_));
        r_.read_at(data_ + in_pos_, in_.data(), n, "entry data");
        in_pos_ += n;
        zs_.z.next_in = in_.data();
        zs_.z.avail_in = static_cast<uInt>(n);
      }
      const uInt before = zs_.z.avail_out;
      const int rc = ::inflate(&zs_.z, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        ended_ = true;
      } else if (rc == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
        fail(std::string("has corrupt deflate data (zlib: ") + (zs_.z.msg ? zs_.z.msg : "error") + ")");
      } else if (zs_.z.avail_in == 0 && in_pos_ == e_.compressed && zs_.z.avail_out == before) {
        fail("has a deflate stream cut short (truncated)");
      }
    }

    [[noreturn]] void fail(const std::string& what) const { r_.corrupt("entry '" + e_.name + "' " + what); }

    static std::string hex(std::uint32_t v) {
      constexpr char digits[] = "0123456789abcdef";
      std::string s = "0x";
      for (int i = 7; i >= 0; --i) s += digits[(v >> (4 * i)) & 0xF];
      return s;
    }

    static constexpr std::size_t big_input = std::size_t{1} << 18;

    const npz_reader& r_;
    const entry& e_;
    std::uint64_t data_ = 0;     // file offset of the entry's data
    std::uint64_t out_ = 0;      // uncompressed bytes delivered
    std::uint64_t in_pos_ = 0;   // compressed bytes fetched
    std::uint32_t crc_ = 0;
    bool ended_ = false;
    detail::zstream zs_;
    std::vector<unsigned char> in_;
  };

  std::string path_;
  detail::unique_fd fd_;
  parallel_for parallel_;
  std::uint64_t file_size_ = 0;
  std::uint64_t cd_offset_ = 0;
  std::vector<entry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace spikeweave::io
