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
// The writer writes to `<path>.tmp-XXXXXXXX` (created by the constructor, in
// the same directory), which close() fsyncs and renames over `path`; an
// existing file is replaced whole or not at all. A .bin writer writes each
// entry as it is added (the count, written first, is patched in close()); the
// others keep the entries in memory until close(). The reader checks the
// structure of the whole file at construction; a .bin reader leaves the data
// in the file and reads an entry (checking its CRC-32) when asked for it,
// the others hold the (decompressed) file in memory. POSIX only;
// little-endian hosts only.
//
// Link: Boost::serialization, Boost::iostreams (with zlib, for .gz).
#pragma once

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/archive.hpp needs the CMake target spikeweave::io (it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO and link those libraries yourself"
#endif

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
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <boost/serialization/nvp.hpp>
#include <boost/serialization/string.hpp>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
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
  /// Bytes put so far (written or buffered).
  [[nodiscard]] std::uint64_t position() const { return written_ + static_cast<std::uint64_t>(pptr() - pbase()); }

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
    if (error_ != 0) return 0;
    written_ += static_cast<std::uint64_t>(n);
    return n;
  }
  int sync() override { return flush() == 0 ? 0 : -1; }

 private:
  void reset() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  int flush() {
    const auto n = static_cast<std::uint64_t>(pptr() - pbase());
    if (error_ == 0 && n > 0) error_ = write_all(fd_, reinterpret_cast<const unsigned char*>(pbase()), n);
    if (error_ == 0) written_ += n;
    reset();
    return error_;
  }

  int fd_;
  std::vector<char> buffer_;
  std::uint64_t written_ = 0;
  int error_ = 0;
};

/// One named array: what npz_info reports, and its raw little-endian bytes.
struct archive_entry {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::string data;       // the bytes, owned (writer; hex formats)
  std::string_view view;  // or where they lie in the reader's copy of a binary file
  std::uint32_t crc = 0;  // as the file gives it
  bool in_file = false;   // or still in the file (a .bin reader): `length` bytes at `offset`
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  [[nodiscard]] std::string_view bytes() const { return view.data() != nullptr ? view : std::string_view(data); }
  [[nodiscard]] std::uint64_t size() const { return in_file ? length : bytes().size(); }
};

/// A read-only, seekable std::streambuf over a file (pread through a 64 KiB
/// buffer): Boost parses a .bin archive's structure through it while the
/// data stays in the file. error() is the errno of a failed read.
class file_streambuf : public std::streambuf {
 public:
  file_streambuf(int fd, std::uint64_t size) : fd_(fd), size_(size), buffer_(std::size_t{1} << 16) {
    setg(buffer_.data(), buffer_.data(), buffer_.data());
  }
  [[nodiscard]] int error() const { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::uint64_t at = start_ + static_cast<std::uint64_t>(egptr() - eback());
    if (at >= size_ || error_ != 0) return traits_type::eof();
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), size_ - at));
    ssize_t r = 0;
    do r = ::pread(fd_, buffer_.data(), want, static_cast<off_t>(at));
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
      if (r < 0) error_ = errno;
      return traits_type::eof();
    }
    start_ = at;
    setg(buffer_.data(), buffer_.data(), buffer_.data() + r);
    return traits_type::to_int_type(*gptr());
  }
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
    const auto here = static_cast<off_type>(start_) + (gptr() - eback());
    const off_type base = dir == std::ios_base::beg ? 0 : dir == std::ios_base::cur ? here : static_cast<off_type>(size_);
    const off_type at = base + off;
    if (at < 0 || static_cast<std::uint64_t>(at) > size_) return pos_type(off_type(-1));
    if (at >= static_cast<off_type>(start_) && at <= static_cast<off_type>(start_) + (egptr() - eback())) {
      setg(eback(), eback() + (at - static_cast<off_type>(start_)), egptr());
    } else {
      start_ = static_cast<std::uint64_t>(at);
      setg(buffer_.data(), buffer_.data(), buffer_.data());
    }
    return pos_type(at);
  }
  pos_type seekpos(pos_type at, std::ios_base::openmode which) override {
    return seekoff(off_type(at), std::ios_base::beg, which);
  }

 private:
  int fd_;
  std::uint64_t size_;
  std::vector<char> buffer_;
  std::uint64_t start_ = 0;  // file offset of buffer_[0]
  int error_ = 0;
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

/// A read-only std::streambuf over the content of a gzip file (.bin.gz, .txt.gz, .xml.gz), inflated as it is
/// read: the content grows in `out` only as data really comes out of the file, never ahead of it from a size
/// the file claims, so a decompression bomb costs what is read of it before the parser refuses it, not what
/// it would inflate to. Everything inflated stays in `out` (views into it stay valid: .bin.gz entries), and
/// seeks back into it work. error() says why the gzip layer is damaged: not gzip, a bad header, corrupt
/// data, a CRC-32 or length mismatch, truncated, data after the stream (or ""); read_error() is the errno of
/// a failed read. Concatenated gzip members are one stream, as gzip -d reads them. With `text` (.txt.gz,
/// .xml.gz), a NUL byte in the content is damage too: text archives have none, and without this check a
/// stream of zeros would be read whole by Boost's XML parser looking for the end of the first tag.
class gzip_streambuf : public std::streambuf {
 public:
  /// `max_content`: the content may inflate to at most this many bytes (more is damage, see error()).
  gzip_streambuf(int fd, std::uint64_t file_size, std::string& out, bool text,
                 std::uint64_t max_content = std::numeric_limits<std::uint64_t>::max())
      : fd_(fd), file_size_(file_size), max_content_(max_content), text_(text), out_(out), in_(std::size_t{1} << 16) {
    out_.clear();
    setg(out_.data(), out_.data(), out_.data());
    unsigned char magic[2] = {0, 0};
    if (file_size_ < 2 || read_all_at(fd_, 0, magic, 2) != 0 || magic[0] != 0x1f || magic[1] != 0x8b) {
      error_ = "not a gzip file (it does not start with the gzip signature 1f 8b)";
      return;
    }
    if (::inflateInit2(&z_, 16 + 15) != Z_OK) throw std::bad_alloc();  // 16: a gzip wrapper, not zlib's
    live_ = true;
  }
  gzip_streambuf(const gzip_streambuf&) = delete;
  gzip_streambuf& operator=(const gzip_streambuf&) = delete;
  ~gzip_streambuf() override {
    if (live_) ::inflateEnd(&z_);
  }

  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] int read_error() const { return read_error_; }
  /// True once the last gzip member has ended, with its CRC-32 and length checked.
  [[nodiscard]] bool ended() const { return ended_; }

  /// Inflates until the content has `end` bytes; false when the stream ends (or breaks) first.
  bool reach(std::uint64_t end) {
    while (out_.size() < end)
      if (!inflate_more(static_cast<std::size_t>(std::min<std::uint64_t>(end - out_.size(), next_piece())))) return false;
    return true;
  }

  /// After a parse failed: inflates up to `limit` more bytes, discarding them, to find out whether the gzip
  /// layer is damaged further on (a CRC-32 or length mismatch, truncation), which explains the failure
  /// better than the parser can. True when it is (see error()).
  bool probe(std::uint64_t limit) {
    std::vector<char> sink(min_piece);
    std::uint64_t seen = 0;
    while (error_.empty() && read_error_ == 0 && !ended_ && seen < limit) {
      const std::size_t n = inflate_into(sink.data(), sink.size());
      if (n == 0 && error_.empty() && read_error_ == 0 && !ended_) break;
      seen += n;
    }
    return !error_.empty();
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const auto at = static_cast<std::size_t>(gptr() - eback());
    if (!inflate_more(next_piece())) return traits_type::eof();
    setg(out_.data(), out_.data() + at, out_.data() + out_.size());
    return traits_type::to_int_type(*gptr());
  }
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (!(which & std::ios_base::in) || dir == std::ios_base::end) return pos_type(off_type(-1));
    const off_type here = gptr() - eback();
    const off_type at = dir == std::ios_base::beg ? off : here + off;
    if (at < 0 || !reach(static_cast<std::uint64_t>(at))) return pos_type(off_type(-1));
    setg(out_.data(), out_.data() + at, out_.data() + out_.size());
    return pos_type(at);
  }
  pos_type seekpos(pos_type at, std::ios_base::openmode which) override {
    return seekoff(off_type(at), std::ios_base::beg, which);
  }

 private:
  // Inflated 64 KiB at a time at first, up to 1 MiB once the content is large (a small archive costs little).
  static constexpr std::size_t min_piece = std::size_t{1} << 16;
  static constexpr std::size_t max_piece = std::size_t{1} << 20;
  [[nodiscard]] std::size_t next_piece() const { return std::clamp(out_.size() / 8, min_piece, max_piece); }

  // Appends up to `want` bytes to out_ (out_ grows only by what arrives); false when none came.
  bool inflate_more(std::size_t want) {
    const auto at = static_cast<std::size_t>(gptr() - eback());
    const std::size_t old = out_.size();
    if (old >= max_content_) {
      char next = 0;  // is there content past the limit?
      if (error_.empty() && !ended_ && inflate_into(&next, 1) == 1)
        error_ = "inflates to more than " + std::to_string(max_content_) + " bytes, the limit of this reader";
      return false;
    }
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, max_content_ - old));
    out_.resize(old + want);
    std::size_t n = inflate_into(out_.data() + old, want);
    if (text_ && n > 0)
      if (const void* nul = std::memchr(out_.data() + old, 0, n); nul != nullptr) {
        n = static_cast<std::size_t>(static_cast<const char*>(nul) - (out_.data() + old));
        error_ = "holds a NUL byte at offset " + std::to_string(old + n) + " of its content: not a text archive";
      }
    out_.resize(old + n);
    setg(out_.data(), out_.data() + at, out_.data() + out_.size());
    return n > 0;
  }

  // Inflates up to `want` bytes into `dst`; how many came (0: the end, a damaged stream or a read error).
  std::size_t inflate_into(char* dst, std::size_t want) {
    if (!live_ || ended_ || !error_.empty() || read_error_ != 0) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(dst);
    z_.avail_out = static_cast<uInt>(want);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0 && !refill()) {
        if (read_error_ == 0 && error_.empty())
          error_ = "truncated: the gzip stream ends after " + std::to_string(total_out_) +
                   " bytes of content, before its end and CRC-32";
        break;
      }
      const uInt before = z_.avail_out;
      const int rc = ::inflate(&z_, Z_NO_FLUSH);
      total_out_ += before - z_.avail_out;
      if (rc == Z_STREAM_END) {
        // Another member may follow (concatenated .gz files); anything else after the stream is damage.
        if (z_.avail_in == 0 && !refill()) {
          if (read_error_ == 0) ended_ = true;
          break;
        }
        if (*z_.next_in != 0x1f) {
          error_ = "has " + std::to_string(file_size_ - (in_pos_ - z_.avail_in)) +
                   " bytes that are not gzip data after the end of its gzip stream";
          break;
        }
        if (::inflateReset(&z_) != Z_OK) throw std::bad_alloc();
      } else if (rc == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error_ = describe(z_.msg != nullptr ? z_.msg : "");
        break;
      }
    }
    return want - z_.avail_out;
  }

  // Reads the next piece of the file into in_; false at the end of the file or on a read error.
  bool refill() {
    if (in_pos_ >= file_size_) return false;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), file_size_ - in_pos_));
    const int err = read_all_at(fd_, in_pos_, in_.data(), n);
    if (err > 0) read_error_ = err;
    if (err != 0) return false;  // -1: the file shrank since it was opened
    in_pos_ += n;
    z_.next_in = in_.data();
    z_.avail_in = static_cast<uInt>(n);
    return true;
  }

  static std::string describe(std::string_view zlib) {
    const std::string why = " (zlib: " + std::string(zlib) + ")";
    if (zlib == "incorrect data check") return "the gzip CRC-32 does not match the content: the file is damaged";
    if (zlib == "incorrect length check") return "the gzip length does not match the content: the file is damaged";
    if (zlib == "incorrect header check" || zlib == "unknown compression method" || zlib == "unknown header flags set" ||
        zlib == "header crc mismatch" || zlib == "invalid window size")
      return "has a damaged gzip header" + why;
    return "has corrupt deflate data in its gzip stream" + why;
  }

  int fd_;
  std::uint64_t file_size_;
  std::uint64_t max_content_;
  bool text_;
  std::string& out_;
  std::vector<unsigned char> in_;
  std::uint64_t in_pos_ = 0;     // bytes of the file read into in_ so far
  std::uint64_t total_out_ = 0;  // bytes inflated so far (kept or probed)
  z_stream z_{};
  bool live_ = false;
  bool ended_ = false;
  std::string error_;
  int read_error_ = 0;
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

// The parts of an archive: save_tag, save_count, count x (save_entry_head, data), save_end.
template <class Archive>
void save_tag(Archive& ar) {
  using boost::serialization::make_nvp;
  std::string tag(archive_tag);
  std::uint32_t version = archive_version;
  ar << make_nvp("format", tag) << make_nvp("version", version);
}
template <class Archive>
void save_count(Archive& ar, std::uint64_t count) {
  ar << boost::serialization::make_nvp("count", count);
}
template <class Archive>
void save_entry_head(Archive& ar, const std::string& name, const std::string& dtype,
                     const std::vector<std::uint64_t>& shape, std::uint32_t crc) {
  using boost::serialization::make_nvp;
  std::uint64_t rank = shape.size();
  ar << make_nvp("name", name) << make_nvp("dtype", dtype) << make_nvp("rank", rank);
  for (const std::uint64_t& d : shape) ar << make_nvp("dim", d);
  ar << make_nvp("crc32", crc);
}
template <class Archive>
void save_end(Archive& ar) {
  std::string end(archive_end);
  ar << boost::serialization::make_nvp("end", end);
}

template <class Archive>
void save_archive(Archive& ar, const std::vector<archive_entry>& entries, bool hex) {
  using boost::serialization::make_nvp;
  save_tag(ar);
  save_count(ar, entries.size());
  for (const archive_entry& e : entries) {
    save_entry_head(ar, e.name, e.dtype, e.shape, crc_of(e.data));
    if (hex) {
      const std::string h = to_hex(e.data);
      ar << make_nvp("data", h);
    } else {
      ar << make_nvp("data", e.data);
    }
  }
  save_end(ar);
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
    std::uint64_t claimed = 0, claimed_item = 0;
    if (const char kind = e.dtype.size() > 1 ? e.dtype[1] : '\0';
        (kind == 'U' || kind == 'S') && dtype_item_size(e.dtype, claimed_item).empty() &&
        (!shape_product(e.shape, claimed) || claimed > max_metadata_bytes / std::max<std::uint64_t>(claimed_item, 1)))
      corrupt(where + " is a string (dtype '" + e.dtype.substr(0, 64) + "', shape " + shape_string(e.shape) +
              ") of more than the " + std::to_string(max_metadata_bytes >> 20) + " MiB strings may have");
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
    e.crc = crc;
    std::uint64_t item_size = 0;
    std::uint64_t size = 0;
    if (const std::string why = dtype_item_size(e.dtype, item_size); !why.empty())
      corrupt(where + " has dtype '" + e.dtype.substr(0, 64) + "', which " + why);
    if (!shape_product(e.shape, size) ||
        (item_size != 0 && size > std::numeric_limits<std::uint64_t>::max() / item_size) ||
        size * item_size != e.size())
      corrupt(where + " has shape " + shape_string(e.shape) + " of dtype '" + e.dtype + "' but " +
              std::to_string(e.size()) + " bytes of data");
    if (!e.in_file && crc_of(e.bytes()) != crc) corrupt(where + " fails its CRC-32 check");  // else when read
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
    if (format_.kind == detail::archive_kind::binary && !format_.gzip) {
      // .bin: entries go to the file as they are added, after a count that close() sets.
      guarded([&] { stream_ = std::make_unique<binary_stream>(fd_.get()); });
    }
  }

  archive_writer(const archive_writer&) = delete;
  archive_writer& operator=(const archive_writer&) = delete;

  ~archive_writer() { this->close_on_destruction(); }

  /// The file close() writes.
  [[nodiscard]] const std::string& path() const { return path_; }


  /// Writes what is left (every entry, or for .bin the end and the count), syncs and renames the temporary
  /// over path(); io_error naming path() on failure.
  void close() {
    if (state_ == state::closed) return;
    if (state_ != state::open) throw io_error(path_ + ": not written: an earlier error abandoned this archive");
    guarded([&] {
      if (stream_) {
        if (const int err = stream_->end(); err != 0) fail("cannot write the temporary file " + tmp_path_, err);
        stream_.reset();
      } else {
        serialize();
        entries_.clear();
      }
      detail::commit_temporary(fd_, tmp_path_, path_);
      state_ = state::closed;
    });
  }

 private:
  enum class state { opening, open, closed, failed };

  // A .bin archive being written: Boost writes the structure, the data goes
  // straight to the file as Boost would write a std::string (its std::size_t
  // length, then its bytes: the layout archive_reader reads in place).
  // Writes the head (the count 0 for now) on construction; entry() and end()
  // return 0 or the errno of a failed write.
  struct binary_stream {
    explicit binary_stream(int file_descriptor) : fd(file_descriptor), file(fd), os(&file), ar(os) {
      detail::save_tag(ar);
      count_at = file.position();
      detail::save_count(ar, 0);
    }
    int entry(const std::string& name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
              std::string_view raw) {
      detail::save_entry_head(ar, name, dtype, shape, detail::crc_of(raw));
      const std::size_t length = raw.size();
      file.sputn(reinterpret_cast<const char*>(&length), sizeof length);
      file.sputn(raw.data(), static_cast<std::streamsize>(raw.size()));
      ++count;
      return file.error();
    }
    // The end tag, then the true count where the head has 0.
    int end() {
      detail::save_end(ar);
      os.flush();
      if (file.pubsync() != 0 || file.error() != 0) return file.error() != 0 ? file.error() : EIO;
      unsigned char bytes[sizeof count];
      std::memcpy(bytes, &count, sizeof count);
      ssize_t w = 0;
      do w = ::pwrite(fd, bytes, sizeof bytes, static_cast<off_t>(count_at));
      while (w < 0 && errno == EINTR);
      return w == static_cast<ssize_t>(sizeof bytes) ? 0 : w < 0 ? errno : EIO;
    }
    int fd;
    detail::fd_streambuf file;
    std::ostream os;
    boost::archive::binary_oarchive ar;
    std::uint64_t count_at = 0;  // file offset of the entry count
    std::uint64_t count = 0;     // entries written
  };

  // Runs f; any failure abandons the archive (temporary removed) and is rethrown as an io_error naming path_
  // (spikeweave's own errors and std::bad_alloc as they are).
  template <class F>
  void guarded(F&& f) {
    try {
      f();
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
    if (stream_) {
      guarded([&] {
        if (const int err = stream_->entry(std::string(name), dtype, shape, raw); err != 0)
          fail("cannot write the temporary file " + tmp_path_, err);
      });
    } else {
      detail::archive_entry e{std::string(name), std::move(dtype), std::move(shape), std::string(raw), {}};
      entries_.push_back(std::move(e));
    }
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
    stream_.reset();
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
  std::unique_ptr<binary_stream> stream_;  // .bin
};

/// Reads an archive written by archive_writer; its structure is checked at
/// construction, an entry's data when it is read (.bin) or at construction
/// (the other formats, held in memory).
///
/// io_error when the file cannot be opened or read, or its extension is
/// unknown; format_error naming the file for a wrong tag, an unknown version,
/// corrupt or truncated content, and (naming the entry) for a missing entry,
/// a dtype that does not match read<T>() or data that fails its CRC-32.
///
/// A .gz archive is inflated only as far as the file really holds (a claimed
/// length never allocates ahead of the data); `max_content` bounds that
/// content too (format_error past it), for readers of files whose size is
/// known, or that must fit a budget (the fuzzers read with 32 MiB).
class archive_reader {
 public:
  explicit archive_reader(std::string path, std::uint64_t max_content = std::numeric_limits<std::uint64_t>::max())
      : path_(std::move(path)) {
    const detail::archive_format format = detail::archive_format_or_throw(path_);
    open_file();
    // .bin: the data stays in the file; .txt, .xml: parsed from the file read into memory; .gz: parsed as it
    // is inflated, into memory.
    const bool in_file = format.kind == detail::archive_kind::binary && !format.gzip;
    if (!in_file && !format.gzip) content_ = read_file();
    detail::file_streambuf file(fd_.get(), file_size_);
    std::optional<detail::gzip_streambuf> gz;
    if (format.gzip) gz.emplace(fd_.get(), file_size_, content_, format.kind != detail::archive_kind::binary, max_content);
    // A read error, or damage in the gzip layer, explains a failure better than the parser's view of it.
    auto stream_failed = [&] {
      if (file.error() != 0) throw io_error(path_ + ": cannot read: " + detail::system_message(file.error()));
      if (gz && gz->read_error() != 0) throw io_error(path_ + ": cannot read: " + detail::system_message(gz->read_error()));
      if (gz && !gz->error().empty()) this->corrupt(gz->error());
    };
    // After a failure: looks a little further (1 MiB) into the gzip stream for damage that explains it.
    auto stream_damaged = [&] {
      if (gz) gz->probe(std::uint64_t{1} << 20);
      stream_failed();
    };
    try {
      // Text archives hold no NUL bytes; a file of them is refused before Boost's XML parser reads it whole.
      if (!in_file && !gz)
        if (const void* nul = std::memchr(content_.data(), 0, content_.size()); nul != nullptr)
          this->corrupt("holds a NUL byte at offset " +
                        std::to_string(static_cast<const char*>(nul) - content_.data()) + ": not a text archive");
      const std::uint64_t total = in_file ? file_size_ : content_.size();  // not for .gz: see fits()
      detail::memory_streambuf memory(content_);
      std::istream is(in_file ? static_cast<std::streambuf*>(&file) : gz ? static_cast<std::streambuf*>(&*gz) : &memory);
      auto corrupt = [&](const std::string& what) {
        stream_failed();
        this->corrupt(what);
      };
      // Boost sizes a string from the length the file gives, then reads it: a length longer than the rest of
      // the input is refused before it is allocated (a .gz archive is inflated that far first, as far as it
      // goes: never more than it holds). The length is a native std::size_t in .bin, a decimal number in
      // .txt; .xml strings are read as text, no longer than the input.
      auto fits = [&](const std::string& what) {
        if (format.kind == detail::archive_kind::xml) return;
        const std::streamoff at = is.tellg();
        if (at < 0) corrupt("the archive is truncated or corrupt before " + what);  // a failed seek past the end
        std::uint64_t length = 0;
        bool read = false;
        std::uint64_t prefix = 0;  // the bytes of the length itself (.bin; a few digits in .txt are not counted)
        if (format.kind == detail::archive_kind::binary) {
          std::size_t n = 0;
          read = static_cast<bool>(is.read(reinterpret_cast<char*>(&n), sizeof n));
          length = n;
          prefix = sizeof n;
        } else {
          read = static_cast<bool>(is >> length);
        }
        is.clear();
        is.seekg(at);
        const std::uint64_t used = static_cast<std::uint64_t>(at) + prefix;
        if (!read || (gz ? length <= ~used && gz->reach(used + length) : length <= total - std::min(total, used))) return;
        const std::uint64_t size = gz ? content_.size() : total;
        corrupt(what + " is " + std::to_string(length) + " bytes long, more than the " +
                std::to_string(size - std::min(size, used)) + " left in the archive");
      };
      switch (format.kind) {
        case detail::archive_kind::binary: {
          fits("the Boost archive header");
          boost::archive::binary_iarchive ar(is);
          // The data is not read here: Boost writes a string as its std::size_t length and its bytes (fits()
          // has checked the length against what is left), and reads straight from `is`.
          auto raw = [&](detail::archive_entry& e) {
            std::size_t length = 0;
            if (!is.read(reinterpret_cast<char*>(&length), sizeof length)) corrupt("the archive is truncated");
            const std::streamoff where = is.tellg();
            if (where < 0 || (gz ? length > ~static_cast<std::uint64_t>(where) ||
                                       !gz->reach(static_cast<std::uint64_t>(where) + length)
                                 : length > total - static_cast<std::uint64_t>(where)))
              corrupt("the archive is truncated");
            const auto at = static_cast<std::uint64_t>(where);
            e.offset = at;
            if (in_file) {
              e.in_file = true;
              e.length = length;
            } else {
              e.view = std::string_view(content_).substr(at, length);  // set again below: a .gz content grows
            }
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
          if (!rest_is(is, "</boost_serialization>"))
            corrupt("the archive does not end with </boost_serialization> after its entries");
          is.clear();
          if (!is.seekg(at)) corrupt("the archive cannot be read back to its closing tag");
          break;
        }
      }
      if ((format.kind == detail::archive_kind::binary && is.peek() != std::char_traits<char>::eof()) ||
          (format.kind == detail::archive_kind::text && !rest_is(is, "")))
        corrupt("the archive has data after its entries");
      stream_failed();
      if (gz && !gz->ended()) corrupt("the gzip stream does not end where the archive does");
    } catch (const error&) {
      stream_damaged();
      throw;
    } catch (const boost::archive::archive_exception& e) {
      stream_damaged();
      // Boost appends strerror(errno) to an input stream error, whatever errno was left by an unrelated call.
      corrupt(std::string("corrupt or truncated archive (boost: ") +
              (e.code == boost::archive::archive_exception::input_stream_error
                   ? "input stream error: a value is missing or malformed"
                   : e.what()) +
              ")");
    } catch (const std::bad_alloc&) {
      corrupt("corrupt archive (a size in it is too large to allocate)");
    } catch (const std::exception& e) {
      stream_damaged();
      corrupt(std::string("corrupt or truncated archive (") + e.what() + ")");
    }
    // Views into a .gz archive's content were taken while it grew: point them at where it ended up.
    for (detail::archive_entry& e : entries_)
      if (e.view.data() != nullptr) e.view = std::string_view(content_).substr(e.offset, e.view.size());
    for (std::size_t k = 0; k < entries_.size(); ++k) index_.emplace(entries_[k].name, k);
  }

  // Entries point into content_: neither copied nor moved.
  archive_reader(const archive_reader&) = delete;
  archive_reader& operator=(const archive_reader&) = delete;

  /// The file this reader read.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Lets large .bin entries be read and checked on several threads (see parallel_for).
  void set_parallel(parallel_for p) { parallel_ = std::move(p); }

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
      if constexpr (std::same_as<T, bool>) {
        std::string scratch;
        const std::string_view data = data_of(e, scratch);
        const std::size_t n = data.size();
        std::vector<bool> out(n);
        for (std::size_t k = 0; k < n; ++k) {
          const auto b = static_cast<unsigned char>(data[k]);
          if (b > 1) corrupt("entry '" + e.name + "' holds " + std::to_string(b) + ", which is not a bool");
          out[k] = b != 0;
        }
        return out;
      } else {
        const std::size_t n = static_cast<std::size_t>(e.size() / sizeof(T));
        std::vector<T> out = spikeweave::detail::large_vector<T>(n);
        if (e.in_file)
          fetch(e, reinterpret_cast<unsigned char*>(out.data()));
        else if (n > 0)
          std::memcpy(out.data(), e.bytes().data(), n * sizeof(T));
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
    std::string scratch;
    const std::string_view data = data_of(e, scratch);
    const auto* raw = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size() / 4;
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

  void open_file() {
    fd_ = detail::open_regular_file(path_, file_size_);
  }

  // The n bytes at `offset`; format_error when the file has fewer (it shrank since it was opened).
  void read_at(std::uint64_t offset, unsigned char* p, std::uint64_t n) const {
    const int err = detail::read_all_at(fd_.get(), offset, p, n);
    if (err > 0) throw io_error(path_ + ": cannot read: " + detail::system_message(err));
    if (err < 0) corrupt("truncated: the data lies beyond the end of the file");
  }

  // The data of an entry left in the file, read into `dst` and checked against its CRC-32.
  void fetch(const detail::archive_entry& e, unsigned char* dst) const {
    const std::uint32_t crc = detail::read_with_crc(
        [this](std::uint64_t at, unsigned char* p, std::uint64_t n) { read_at(at, p, n); }, e.offset, dst, e.length,
        0, parallel_);
    if (crc != e.crc) corrupt("entry '" + e.name + "' fails its CRC-32 check");
  }

  // The data of `e`, in memory (read into `scratch` if it was left in the file).
  std::string_view data_of(const detail::archive_entry& e, std::string& scratch) const {
    if (!e.in_file) return e.bytes();
    scratch.resize(static_cast<std::size_t>(e.length));
    fetch(e, reinterpret_cast<unsigned char*>(scratch.data()));
    return scratch;
  }

  // The whole file (it may have shrunk since it was opened: what is there is checked as content).
  std::string read_file() const {
    std::string out(static_cast<std::size_t>(file_size_), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const std::size_t chunk = std::min<std::size_t>(out.size() - done, detail::io_chunk);
      const ssize_t r = ::pread(fd_.get(), out.data() + done, chunk, static_cast<off_t>(done));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw io_error(path_ + ": cannot read: " + detail::system_message(errno));
      }
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
    }
    out.resize(done);
    return out;
  }

  // True when what is left in `is` is `expected` (maybe empty), with white space around it; stops at the first
  // character that differs (a long rest is not copied: it may be a decompression bomb's).
  static bool rest_is(std::istream& is, std::string_view expected) {
    std::streambuf& in = *is.rdbuf();
    auto space = [](int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    using traits = std::char_traits<char>;
    int c = in.sgetc();
    while (c != traits::eof() && space(c)) c = in.snextc();
    for (const char want : expected) {
      if (c == traits::eof() || traits::to_char_type(c) != want) return false;
      c = in.snextc();
    }
    while (c != traits::eof() && space(c)) c = in.snextc();
    return c == traits::eof();
  }

  std::string path_;
  detail::unique_fd fd_;
  std::uint64_t file_size_ = 0;
  parallel_for parallel_;
  std::string content_;  // the file (inflated: .gz; not .bin); binary entries' data are views into it
  std::vector<detail::archive_entry> entries_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

}  // namespace spikeweave::io
