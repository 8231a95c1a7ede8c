// Named arrays in a Boost.Serialization archive: the npz_writer / npz_reader subset API over .bin, .txt, .xml (+ .gz).
//
// The archive kind follows the file extension: `.bin` (binary_oarchive),
// `.txt` (text_oarchive), `.xml` (xml_oarchive), each optionally followed by
// `.gz` (gzip, through boost::iostreams). Content, in order:
//
//   format   "spikeweave-archive"          (std::string)
//   version  1                             (std::uint32_t)
//   count    number of entries             (std::uint64_t)
//   count x entry:
//     name, dtype (numpy string: '<f8', '<u4', '<U5', ...), rank, rank x dim (std::uint64_t),
//     crc32 of the raw bytes (std::uint32_t), data (std::string)
//   end      "end"                         (std::string; detects truncation)
//
// `data` holds the entry's raw little-endian bytes in C order: as is in .bin,
// as lower-case hex in .txt and .xml, so every value (NaN payloads, -0.0,
// denormals) round-trips bit for bit in every format. A string entry is a 0-d
// '<U{n}' (UTF-32LE) array, exactly as npz_writer::add_string stores it.
//
// The writer keeps the entries in memory and writes them all in close(): to
// `<path>.tmp-XXXXXXXX` (created by the constructor, in the same directory),
// fsync'ed and renamed over `path`; an existing file is replaced whole or not
// at all. The reader loads and checks the whole file at construction; these
// files are meant for moderate sizes. POSIX only; little-endian hosts only.
//
// Link: Boost::serialization, Boost::iostreams (with zlib, for .gz).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <boost/archive/xml_iarchive.hpp>
#include <boost/archive/xml_oarchive.hpp>
#include <boost/iostreams/copy.hpp>
#include <boost/iostreams/device/array.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <boost/serialization/nvp.hpp>
#include <boost/serialization/string.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <map>
#include <new>
#include <random>
#include <set>
#include <ranges>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "npz.hpp"

namespace spikeweave::io {

namespace detail {

inline constexpr std::string_view archive_tag = "spikeweave-archive";
inline constexpr std::uint32_t archive_version = 1;
inline constexpr std::string_view archive_end = "end";
inline constexpr std::string_view archive_extensions = ".bin, .txt, .xml, .bin.gz, .txt.gz, .xml.gz";

enum class archive_kind { binary, text, xml };

struct archive_format {
  archive_kind kind = archive_kind::binary;
  bool gzip = false;
};

/// The format of `path` from its extension; false when it has none of the supported ones.
inline bool archive_format_of(std::string_view path, archive_format& f) {
  f.gzip = path.ends_with(".gz");
  if (f.gzip) path.remove_suffix(3);
  if (path.ends_with(".bin")) f.kind = archive_kind::binary;
  else if (path.ends_with(".txt")) f.kind = archive_kind::text;
  else if (path.ends_with(".xml")) f.kind = archive_kind::xml;
  else return false;
  // The extension alone ("/dir/.bin") is a hidden file, not an archive name.
  return path.size() > 4 && path[path.size() - 5] != '/';
}

inline archive_format archive_format_or_throw(const std::string& path) {
  archive_format f;
  if (!archive_format_of(path, f))
    throw io_error(path + ": unknown archive extension; supported: " + std::string(archive_extensions));
  return f;
}

/// A std::streambuf that writes to a file descriptor through a 1 MiB buffer;
/// writes of a buffer's size or more go straight to the file. error() is the
/// errno of the first failed write (then every later write fails too).
class fd_streambuf : public std::streambuf {
 public:
  explicit fd_streambuf(int fd) : fd_(fd), buffer_(std::size_t{1} << 20) { reset(); }
  [[nodiscard]] int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (flush() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n < static_cast<std::streamsize>(buffer_.size())) return std::streambuf::xsputn(s, n);
    if (flush() != 0) return 0;
    error_ = write_all(fd_, reinterpret_cast<const unsigned char*>(s), static_cast<std::uint64_t>(n));
    return error_ == 0 ? n : 0;
  }
  int sync() override { return flush() == 0 ? 0 : -1; }

 private:
  void reset() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  int flush() {
    const auto n = static_cast<std::uint64_t>(pptr() - pbase());
    if (error_ == 0 && n > 0) error_ = write_all(fd_, reinterpret_cast<const unsigned char*>(pbase()), n);
    reset();
    return error_;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

/// One named array: what npz_info reports, and its raw little-endian bytes.
struct archive_entry {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::string data;       // the bytes, owned (writer; hex formats)
  std::string_view view;  // or where they lie in the reader's copy of a binary file
  [[nodiscard]] std::string_view bytes() const { return view.data() != nullptr ? view : std::string_view(data); }
};

/// A read-only, seekable std::streambuf over bytes in memory (no copy).
class memory_streambuf : public std::streambuf {
 public:
  explicit memory_streambuf(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // NOLINT: never written through (no put area)
    setg(p, p, p + bytes.size());
  }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
    const off_type base = dir == std::ios_base::beg ? 0 : dir == std::ios_base::cur ? gptr() - eback() : egptr() - eback();
    const off_type at = base + off;
    if (at < 0 || at > egptr() - eback()) return pos_type(off_type(-1));
    setg(eback(), eback() + at, egptr());
    return pos_type(at);
  }
  pos_type seekpos(pos_type at, std::ios_base::openmode which) override {
    return seekoff(off_type(at), std::ios_base::beg, which);
  }
};

inline std::string to_hex(std::string_view raw) {
  constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * raw.size());
  for (char c : raw) {
    const auto b = static_cast<unsigned char>(c);
    s += digits[b >> 4];
    s += digits[b & 0xF];
  }
  return s;
}

inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes hex into `raw`; false when `hex` is not an even number of hex digits.
inline bool from_hex(std::string_view hex, std::string& raw) {
  if (hex.size() % 2 != 0) return false;
  raw.resize(hex.size() / 2);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    raw[i] = static_cast<char>((hi << 4) | lo);
  }
  return true;
}

inline std::uint32_t crc_of(std::string_view raw) {
  return crc32_update(0, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

template <class Archive>
void save_archive(Archive& ar, const std::vector<archive_entry>& entries, bool hex) {
  using boost::serialization::make_nvp;
  std::string tag(archive_tag);
  std::uint32_t version = archive_version;
  std::uint64_t count = entries.size();
  ar << make_nvp("format", tag) << make_nvp("version", version) << make_nvp("count", count);
  for (const archive_entry& e : entries) {
    std::uint64_t rank = e.shape.size();
    std::uint32_t crc = crc_of(e.data);
    ar << make_nvp("name", e.name) << make_nvp("dtype", e.dtype) << make_nvp("rank", rank);
    for (const std::uint64_t& d : e.shape) ar << make_nvp("dim", d);
    ar << make_nvp("crc32", crc);
    if (hex) {
      const std::string h = to_hex(e.data);
      ar << make_nvp("data", h);
    } else {
      ar << make_nvp("data", e.data);
    }
  }
  std::string end(archive_end);
  ar << make_nvp("end", end);
}

/// Loads what save_archive wrote; `corrupt(what)` throws (format_error naming the file); `fits(what)` runs
/// before each string is read and throws if the length the file gives for it exceeds what is left.
/// `raw`, when not nullptr, takes the place of reading a binary entry's data: it sets the entry's view.
template <class Archive, class Corrupt, class Fits, class Raw = std::nullptr_t>
void load_archive(Archive& ar, std::vector<archive_entry>& entries, bool hex, const Corrupt& corrupt, const Fits& fits,
                  const Raw& raw = nullptr) {
  using boost::serialization::make_nvp;
  std::string tag;
  fits("the format tag");
  ar >> make_nvp("format", tag);
  if (tag != archive_tag)
    corrupt("not a spikeweave archive (format tag '" + tag.substr(0, 64) + "', expected '" +
            std::string(archive_tag) + "')");
  std::uint32_t version = 0;
  ar >> make_nvp("version", version);
  if (version != archive_version)
    corrupt("spikeweave archive version " + std::to_string(version) + ", expected " +
            std::to_string(archive_version));
  std::uint64_t count = 0;
  ar >> make_nvp("count", count);
  std::map<std::string, bool, std::less<>> seen;
  for (std::uint64_t k = 0; k < count; ++k) {
    archive_entry e;
    std::uint64_t rank = 0;
    fits("the name of entry " + std::to_string(k));
    ar >> make_nvp("name", e.name);
    fits("the dtype of entry " + std::to_string(k));
    ar >> make_nvp("dtype", e.dtype) >> make_nvp("rank", rank);
    const std::string where = "entry " + std::to_string(k) + " '" + e.name.substr(0, 256) + "'";
    if (const std::string rule = entry_name_rule(e.name); !rule.empty()) corrupt(where + ": the name " + rule);
    if (!seen.emplace(e.name, true).second) corrupt(where + " appears twice");
    if (rank > 64) corrupt(where + " has " + std::to_string(rank) + " dimensions");
    e.shape.resize(rank);
    for (std::uint64_t& d : e.shape) ar >> make_nvp("dim", d);
    std::uint32_t crc = 0;
    ar >> make_nvp("crc32", crc);
    fits(where + ": the data");
    if (hex) {
      std::string h;
      ar >> make_nvp("data", h);
      if (!from_hex(h, e.data)) corrupt(where + ": the data is not a hex string");
    } else if constexpr (!std::is_same_v<Raw, std::nullptr_t>) {
      raw(e);
    } else {
      ar >> make_nvp("data", e.data);
    }
    const std::string_view data = e.bytes();
    std::uint64_t item_size = 0;
    std::uint64_t size = 0;
    if (const std::string why = dtype_item_size(e.dtype, item_size); !why.empty())
      corrupt(where + " has dtype '" + e.dtype.substr(0, 64) + "', which " + why);
    if (!shape_product(e.shape, size) ||
        (item_size != 0 && size > std::numeric_limits<std::uint64_t>::max() / item_size) ||
        size * item_size != data.size())
      corrupt(where + " has shape " + shape_string(e.shape) + " of dtype '" + e.dtype + "' but " +
              std::to_string(data.size()) + " bytes of data");
    if (crc_of(data) != crc) corrupt(where + " fails its CRC-32 check");
    entries.push_back(std::move(e));
  }
  std::string end;
  fits("the end tag");
  ar >> make_nvp("end", end);
  if (end != archive_end) corrupt("the archive does not end after its " + std::to_string(count) + " entries");
}

}  // namespace detail

/// True when `path` ends with an extension archive_writer / archive_reader know (.bin, .txt, .xml, each [.gz]).
inline bool is_archive_path(const std::string& path) {
  detail::archive_format f;
  return detail::archive_format_of(path, f);
}

/// Writes named arrays to a Boost.Serialization archive at `path`, atomically.
///
/// The same API and error conventions as npz_writer: format_error for an entry
/// the format cannot hold (bad name, duplicate, shape that does not match the
/// data, string that is not UTF-8), thrown before anything is stored: the
/// writer stays usable. io_error naming the path for an unknown extension or
/// when the file system fails: the temporary is removed, `path` is untouched
/// and the writer is dead. The destructor closes an open writer, swallowing
/// errors, unless it runs during stack unwinding: then it discards the
/// temporary and leaves `path` as it was.
class archive_writer : public array_writer<archive_writer> {
 public:
  /// Starts an archive that close() will move to `path`; `options` are accepted for npz_writer compatibility
  /// and ignored (.gz in the name decides compression).
  explicit archive_writer(std::string path, npz_options options = {})
      : path_(std::move(path)), format_(detail::archive_format_or_throw(path_)) {
    (void)options;
    fd_ = detail::create_temporary(path_, tmp_path_);
    state_ = state::open;
  }

  archive_writer(const archive_writer&) = delete;
  archive_writer& operator=(const archive_writer&) = delete;

  ~archive_writer() { this->close_on_destruction(); }

  /// The file close() writes.
  [[nodiscard]] const std::string& path() const { return path_; }


  /// Serializes every entry, writes, syncs and renames the temporary over path(); io_error naming path() on failure.
  void close() {
    if (state_ == state::closed) return;
    if (state_ != state::open) throw io_error(path_ + ": not written: an earlier error abandoned this archive");
    try {
      serialize();
      entries_.clear();
      detail::commit_temporary(fd_, tmp_path_, path_);
      state_ = state::closed;
    } catch (const error&) {
      abandon();
      throw;
    } catch (const std::bad_alloc&) {
      abandon();
      throw;
    } catch (const std::exception& e) {  // boost::archive::archive_exception, std::ios_base::failure, ...
      abandon();
      throw io_error(path_ + ": cannot write the archive: " + e.what());
    }
  }

 private:
  enum class state { opening, open, closed, failed };

  friend class array_writer<archive_writer>;

  void add_bytes(std::string_view name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
                 const unsigned char* data, std::size_t bytes) {
    add_bytes(name, dtype, shape, std::string_view(reinterpret_cast<const char*>(data), bytes));
  }
  void add_bytes(std::string_view name, std::string dtype, std::vector<std::uint64_t> shape, std::string_view raw) {
    if (state_ != state::open)
      throw io_error(path_ + ": cannot add entry '" + std::string(name) + "': the archive is " +
                     (state_ == state::closed ? "closed" : "abandoned after an earlier error"));
    if (const std::string rule = detail::entry_name_rule(name); !rule.empty())
      throw format_error(path_ + ": entry name '" + std::string(name) + "' " + rule);
    if (names_.contains(name))
      throw format_error(path_ + ": entry '" + std::string(name) + "' is already in the archive");
    detail::archive_entry e{std::string(name), std::move(dtype), std::move(shape), std::string(raw), {}};
    entries_.push_back(std::move(e));
    names_.emplace(name);
  }

  // Writes the archive (gzip-compressed for .gz) through a buffer straight into the temporary file.
  void serialize() {
    detail::fd_streambuf file(fd_.get());
    auto write = [&](std::ostream& os) {
      // The archives write their closing part (xml: the closing tag) on destruction.
      switch (format_.kind) {
        case detail::archive_kind::binary: {
          boost::archive::binary_oarchive ar(os);
          detail::save_archive(ar, entries_, false);
          break;
        }
        case detail::archive_kind::text: {
          boost::archive::text_oarchive ar(os);
          detail::save_archive(ar, entries_, true);
          break;
        }
        case detail::archive_kind::xml: {
          boost::archive::xml_oarchive ar(os);
          detail::save_archive(ar, entries_, true);
          break;
        }
      }
    };
    bool good = true;
    if (format_.gzip) {
      namespace bio = boost::iostreams;
      bio::filtering_ostream gz;
      gz.push(bio::gzip_compressor());
      gz.push(file);
      gz.exceptions(std::ios::badbit | std::ios::failbit);
      write(gz);
      gz.reset();  // closes the chain: flushes the deflate stream and writes the gzip footer
    } else {
      std::ostream os(&file);
      write(os);
      good = static_cast<bool>(os.flush());
    }
    good = file.pubsync() == 0 && good;
    if (file.error() != 0) fail("cannot write the temporary file " + tmp_path_, file.error());
    if (!good) throw io_error(path_ + ": cannot serialize the archive");
  }

  [[noreturn]] void fail(const std::string& what, int err) {
    abandon();
    throw io_error(path_ + ": " + what + ": " + detail::system_message(err));
  }

  void abandon() noexcept {
    if (state_ == state::closed || state_ == state::failed) return;
    fd_.reset();
    ::unlink(tmp_path_.c_str());
    entries_.clear();
    state_ = state::failed;
  }

  std::string path_;
  detail::archive_format format_;
  std::string tmp_path_;
  state state_ = state::opening;
  detail::unique_fd fd_;
  std::vector<detail::archive_entry> entries_;
  std::set<std::string, std::less<>> names_;
};

/// Reads an archive written by archive_writer; the whole file is loaded and checked at construction.
///
/// io_error when the file cannot be opened or read, or its extension is
/// unknown; format_error naming the file for a wrong tag, an unknown version,
/// corrupt or truncated content, and (naming the entry) for a missing entry or
/// a dtype that does not match read<T>().
class archive_reader {
 public:
  explicit archive_reader(std::string path) : path_(std::move(path)) {
    const detail::archive_format format = detail::archive_format_or_throw(path_);
    content_ = read_file();
    try {
      if (format.gzip) content_ = gunzip(content_);
      const std::uint64_t total = content_.size();
      detail::memory_streambuf buffer(content_);
      std::istream is(&buffer);
      auto corrupt = [this](const std::string& what) { this->corrupt(what); };
      // Boost sizes a string from the length the file gives, then reads it: a length longer than the rest of
      // the input is refused before it is allocated. The length is a native std::size_t in .bin, a decimal
      // number in .txt; .xml strings are read as text, no longer than the input.
      auto fits = [&](const std::string& what) {
        if (format.kind == detail::archive_kind::xml) return;
        const std::streamoff at = is.tellg();
        if (at < 0) return;  // Boost will report the broken stream
        std::uint64_t length = 0;
        bool read = false;
        if (format.kind == detail::archive_kind::binary) {
          std::size_t n = 0;
          read = static_cast<bool>(is.read(reinterpret_cast<char*>(&n), sizeof n));
          length = n;
        } else {
          read = static_cast<bool>(is >> length);
        }
        is.clear();
        is.seekg(at);
        const std::uint64_t left = total - static_cast<std::uint64_t>(at);
        if (read && length > left)
          corrupt(what + " is " + std::to_string(length) + " bytes long, more than the " + std::to_string(left) +
                  " left in the archive");
      };
      switch (format.kind) {
        case detail::archive_kind::binary: {
          fits("the Boost archive header");
          boost::archive::binary_iarchive ar(is);
          // The data stays where it is in content_: Boost writes a string as its std::size_t length and
          // its bytes (fits() has checked the length against what is left), and reads straight from `is`.
          auto raw = [&](detail::archive_entry& e) {
            std::size_t length = 0;
            if (!is.read(reinterpret_cast<char*>(&length), sizeof length)) corrupt("the archive is truncated");
            const auto at = static_cast<std::size_t>(is.tellg());
            e.view = std::string_view(content_).substr(at, length);
            is.seekg(static_cast<std::streamoff>(length), std::ios::cur);
          };
          detail::load_archive(ar, entries_, false, corrupt, fits, raw);
          break;
        }
        case detail::archive_kind::text: {
          fits("the Boost archive header");
          boost::archive::text_iarchive ar(is);
          detail::load_archive(ar, entries_, true, corrupt, fits);
          break;
        }
        case detail::archive_kind::xml: {
          boost::archive::xml_iarchive ar(is);
          detail::load_archive(ar, entries_, true, corrupt, fits);
          // The archive's destructor reads the closing tag and would terminate the program if it were missing:
          // check it here, while a format_error can still propagate, then let the destructor read it.
          const auto at = is.tellg();
          if (trimmed_rest(is) != "</boost_serialization>")
            corrupt("the archive does not end with </boost_serialization> after its entries");
          is.clear();
          is.seekg(at);
          break;
        }
      }
      if ((format.kind == detail::archive_kind::binary && is.peek() != std::char_traits<char>::eof()) ||
          (format.kind == detail::archive_kind::text && !trimmed_rest(is).empty()))
        corrupt("the archive has data after its entries");
    } catch (const error&) {
      throw;
    } catch (const boost::archive::archive_exception& e) {
      corrupt(std::string("corrupt or truncated archive (boost: ") + e.what() + ")");
    } catch (const std::bad_alloc&) {
      corrupt("corrupt archive (a size in it is too large to allocate)");
    } catch (const std::exception& e) {
      corrupt(std::string("corrupt or truncated archive (") + e.what() + ")");
    }
    for (std::size_t k = 0; k < entries_.size(); ++k) index_.emplace(entries_[k].name, k);
  }

  // Entries point into content_: neither copied nor moved.
  archive_reader(const archive_reader&) = delete;
  archive_reader& operator=(const archive_reader&) = delete;

  /// The file this reader read.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Entry names, in archive order.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const detail::archive_entry& e : entries_) out.push_back(e.name);
    return out;
  }

  /// True when the archive has an entry `name`.
  [[nodiscard]] bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }

  /// Name, dtype, shape, size and item_size of entry `name` (the other fields keep their defaults).
  [[nodiscard]] npz_info info(std::string_view name) const {
    const detail::archive_entry& e = find(name);
    npz_info i;
    i.name = e.name;
    i.dtype = e.dtype;
    i.shape = e.shape;
    (void)detail::dtype_item_size(e.dtype, i.item_size);  // checked on load
    (void)detail::shape_product(e.shape, i.size);
    return i;
  }

  /// The values of entry `name`, whose dtype must be npy_dtype<T>() (see info() for the shape).
  template <class T>
  [[nodiscard]] std::vector<T> read(std::string_view name) const {
    static_assert(npy_element<T>,
                  "spikeweave::io::archive_reader::read<T>(name): T must be double, float, bool or an integer of "
                  "1, 2, 4 or 8 bytes");
    if constexpr (npy_element<T>) {
      const detail::archive_entry& e = find(name);
      const std::string expected = npy_dtype<T>();
      if (!detail::same_dtype(e.dtype, expected))
        corrupt("entry '" + e.name + "' has dtype '" + e.dtype + "', expected '" + expected + "'");
      const std::string_view data = e.bytes();
      const std::size_t n = data.size() / sizeof(T);
      if constexpr (std::same_as<T, bool>) {
        std::vector<bool> out(n);
        for (std::size_t k = 0; k < n; ++k) {
          const auto b = static_cast<unsigned char>(data[k]);
          if (b > 1) corrupt("entry '" + e.name + "' holds " + std::to_string(b) + ", which is not a bool");
          out[k] = b != 0;
        }
        return out;
      } else {
        std::vector<T> out(n);
        if (n > 0) std::memcpy(out.data(), data.data(), n * sizeof(T));
        return out;
      }
    } else {
      return {};
    }
  }

  /// The string in entry `name`, which add_string() wrote (a 0-d or one-element '<U…' array).
  [[nodiscard]] std::string read_string(std::string_view name) const {
    const detail::archive_entry& e = find(name);
    const npz_info i = info(name);
    const std::string_view d = e.dtype;
    if (i.size != 1 || d.size() <= 2 || d[0] != '<' || d[1] != 'U')
      corrupt("entry '" + e.name + "' has dtype '" + e.dtype + "' and shape " + detail::shape_string(e.shape) +
              ", expected a string ('<U…' of one element)");
    const auto* raw = reinterpret_cast<const unsigned char*>(e.bytes().data());
    std::size_t n = e.bytes().size() / 4;
    while (n > 0 && detail::get32(raw + 4 * (n - 1)) == 0) --n;  // numpy pads with (and strips) NULs
    std::string out;
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint32_t cp = detail::get32(raw + 4 * k);
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        corrupt("entry '" + e.name + "' holds U+" + std::to_string(cp) + " at character " + std::to_string(k) +
                ", which is not a Unicode scalar value");
      detail::utf8_append(out, cp);
    }
    return out;
  }

 private:
  [[noreturn]] void corrupt(const std::string& what) const { throw format_error(path_ + ": " + what); }

  const detail::archive_entry& find(std::string_view name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) corrupt("no entry '" + std::string(name) + "'");
    return entries_[it->second];
  }

  std::string read_file() const {
    detail::unique_fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw io_error(path_ + ": cannot open for reading: " + detail::system_message(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw io_error(path_ + ": cannot stat: " + detail::system_message(errno));
    if (!S_ISREG(st.st_mode)) throw io_error(path_ + ": not a regular file");
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const std::size_t chunk = std::min<std::size_t>(out.size() - done, detail::io_chunk);
      const ssize_t r = ::read(fd.get(), out.data() + done, chunk);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw io_error(path_ + ": cannot read: " + detail::system_message(errno));
      }
      if (r == 0) break;  // the file shrank meanwhile: what is left is checked as content
      done += static_cast<std::size_t>(r);
    }
    out.resize(done);
    return out;
  }

  // What is left in `is`, without leading and trailing white space.
  static std::string trimmed_rest(std::istream& is) {
    std::string rest{std::istreambuf_iterator<char>(is), std::istreambuf_iterator<char>()};
    const std::size_t first = rest.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return rest.substr(first, rest.find_last_not_of(" \t\r\n") - first + 1);
  }

  // Decompresses a whole .gz file; boost's gzip_error (and any stream error) propagates.
  static std::string gunzip(const std::string& packed) {
    namespace bio = boost::iostreams;
    std::string plain;
    bio::filtering_istream in;
    in.push(bio::gzip_decompressor());
    in.push(bio::array_source(packed.data(), packed.size()));
    in.exceptions(std::ios::badbit);
    bio::copy(in, bio::back_inserter(plain));
    return plain;
  }

  std::string path_;
  std::string content_;  // the file (decompressed); binary entries' data are views into it
  std::vector<detail::archive_entry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace spikeweave::io
