// HDF5 (.h5) files of named arrays: the npz_writer / npz_reader API over the HDF5 C library, readable by h5py.
//
// Layout written: a name such as `populations/E/v` is the dataset `v` in the
// group `/populations/E`. Arrays keep their shape and numpy dtype as a
// little-endian HDF5 type ('<f8' is H5T_IEEE_F64LE, '<u4' H5T_STD_U32LE, ...;
// bool is the enum {FALSE = 0, TRUE = 1} that h5py reads as bool). A string
// is a scalar fixed-length UTF-8 string (NUL-padded), which h5py reads as
// bytes (`.asstr()` gives str). Non-empty arrays are chunked with a Fletcher-32
// checksum, deflated (after the shuffle filter) when compressing; 0-d arrays
// and strings up to 60000 bytes lie in their object header. The file is
// written in the HDF5 1.10 format, whose metadata is checksummed too, so a
// damaged file is refused rather than read wrong. No time stamps: equal
// content gives equal files.
//
// HDF5 builds the file in memory (its core driver); close() writes it to
// `<path>.tmp-XXXXXXXX` in the same directory, fsyncs it and renames it over
// `path`, as npz_writer does. So the disk is written only by spikeweave's own
// code: HDF5 1.10.8 cannot recover from a failed write (a full disk leaves a
// file it can neither close nor forget, and crashes at exit). Reading refuses
// what could make HDF5 read other files or load code: external storage,
// virtual datasets, and filters other than deflate, shuffle and Fletcher-32
// (an unknown filter would make HDF5 look for a plugin); soft and external
// links are not followed. HDF5 calls are serialized by the library's global
// lock (Debian builds it thread-safe); its error printing is silenced inside
// these calls, and every failure becomes an io_error or format_error naming
// the file.
//
// Needs HDF5's C library: link spikeweave::io (Debian: libhdf5-dev). Where
// <hdf5.h> cannot be found, h5_writer and h5_reader are declared but throw
// io_error when constructed, so code that can write .h5 files still compiles.
#pragma once

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/hdf5.hpp needs the CMake target spikeweave::io (it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO and link those libraries yourself"
#endif

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "npz.hpp"

#if __has_include(<hdf5.h>)

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <set>
#include <utility>

namespace spikeweave::io {

/// How an h5_writer stores its arrays.
struct h5_options {
  bool compress = true;  ///< deflate (after shuffle) every non-empty array, as h5py's compression="gzip"
  int level = 6;         ///< deflate level: 1 (fastest) .. 9 (smallest); 0 deflates nothing
};

namespace detail {

/// An HDF5 identifier (file, dataset, type, ...), released on destruction.
class h5_handle {
 public:
  h5_handle() = default;
  explicit h5_handle(hid_t id) : id_(id) {}
  h5_handle(h5_handle&& o) noexcept : id_(std::exchange(o.id_, -1)) {}
  h5_handle& operator=(h5_handle&& o) noexcept {
    if (this != &o) reset(std::exchange(o.id_, -1));
    return *this;
  }
  ~h5_handle() { reset(); }
  [[nodiscard]] hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset(hid_t id = -1) noexcept {
    if (id_ >= 0) H5Idec_ref(id_);  // closes the object when this was its last reference
    id_ = id;
  }
  hid_t release() { return std::exchange(id_, -1); }

 private:
  hid_t id_ = -1;
};

/// Turns HDF5's automatic error printing off for this thread while it lives (errors become exceptions instead).
class h5_quiet {
 public:
  h5_quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  h5_quiet(const h5_quiet&) = delete;
  h5_quiet& operator=(const h5_quiet&) = delete;
  ~h5_quiet() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The most specific message on this thread's HDF5 error stack: why the last call failed.
inline std::string h5_error_text() {
  std::string text;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) noexcept -> herr_t {
        try {  // no exception may cross HDF5's C frames
          if (n == 0 && e->desc != nullptr) *static_cast<std::string*>(out) = e->desc;
          return 0;
        } catch (...) {
          return -1;
        }
      },
      &text);
  return text.empty() ? "unknown error" : text;
}

// The HDF5 types of numpy's fixed-size numbers, little-endian first (what we write); 1-byte types of either order
// are the same bytes, hence '|'.
struct h5_number {
  hid_t type;
  const char* dtype;
};
inline std::vector<h5_number> h5_numbers() {
  return {{H5T_IEEE_F64LE, "<f8"}, {H5T_IEEE_F32LE, "<f4"}, {H5T_STD_I8LE, "|i1"},  {H5T_STD_I16LE, "<i2"},
          {H5T_STD_I32LE, "<i4"},  {H5T_STD_I64LE, "<i8"},  {H5T_STD_U8LE, "|u1"},  {H5T_STD_U16LE, "<u2"},
          {H5T_STD_U32LE, "<u4"},  {H5T_STD_U64LE, "<u8"},  {H5T_IEEE_F64BE, ">f8"}, {H5T_IEEE_F32BE, ">f4"},
          {H5T_STD_I8BE, "|i1"},   {H5T_STD_I16BE, ">i2"},  {H5T_STD_I32BE, ">i4"},  {H5T_STD_I64BE, ">i8"},
          {H5T_STD_U8BE, "|u1"},   {H5T_STD_U16BE, ">u2"},  {H5T_STD_U32BE, ">u4"},  {H5T_STD_U64BE, ">u8"}};
}

/// The enum h5py uses for numpy's bool: a 1-byte integer with the members FALSE = 0 and TRUE = 1.
inline h5_handle h5_bool_type() {
  h5_handle t(H5Tenum_create(H5T_STD_I8LE));
  const signed char no = 0, yes = 1;
  if (!t || H5Tenum_insert(t.get(), "FALSE", &no) < 0 || H5Tenum_insert(t.get(), "TRUE", &yes) < 0) return {};
  return t;
}

inline bool h5_is_bool(hid_t type) {
  if (H5Tget_nmembers(type) != 2) return false;
  const h5_handle base(H5Tget_super(type));
  if (!base || H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1) return false;
  for (unsigned k = 0; k < 2; ++k) {
    const std::unique_ptr<char, herr_t (*)(void*)> name(H5Tget_member_name(type, k), &H5free_memory);
    unsigned char value = 0xFF;
    if (!name || H5Tget_member_value(type, k, &value) < 0) return false;
    if (std::string_view(name.get()) != (value == 0 ? "FALSE" : value == 1 ? "TRUE" : "")) return false;
  }
  return true;
}

/// The numpy dtype string of an HDF5 type, as h5py spells it ('<f8', '|b1', '|S12', '|O' for a variable-length
/// string), or "HDF5 <class>" for a type numpy has no simple name for.
inline std::string h5_dtype(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
    case H5T_FLOAT:
      for (const h5_number& n : h5_numbers())
        if (H5Tequal(type, n.type) > 0) return n.dtype;
      return std::string(H5Tget_class(type) == H5T_FLOAT ? "HDF5 float" : "HDF5 integer") + " of " +
             std::to_string(H5Tget_precision(type)) + " bits";
    case H5T_ENUM: return h5_is_bool(type) ? "|b1" : "HDF5 enum";
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? "|O" : "|S" + std::to_string(H5Tget_size(type));
    case H5T_COMPOUND: return "HDF5 compound";
    case H5T_ARRAY: return "HDF5 array";
    case H5T_VLEN: return "HDF5 variable-length sequence";
    case H5T_OPAQUE: return "HDF5 opaque";
    case H5T_REFERENCE: return "HDF5 reference";
    case H5T_BITFIELD: return "HDF5 bitfield";
    default: return "HDF5 type of unknown class";
  }
}

// HDF5 1.12 renamed the visit function and its object info, and vlen reclaiming. The visit goes in HDF5's native
// order (h5_reader sorts the names itself): in any other, HDF5 1.10.8 first copies a group's links from its dense
// storage into a table, and when a damaged link fails to decode, frees uninitialized pointers of that table
// (H5G__dense_iterate -> H5G__link_release_table -> H5O_msg_reset); native order reads them from the B-tree one by
// one (docs/fuzzing.md).
#if H5_VERSION_GE(1, 12, 0)
using h5_object_info = H5O_info2_t;
inline herr_t h5_visit(hid_t group, H5O_iterate2_t op, void* data) {
  return H5Ovisit3(group, H5_INDEX_NAME, H5_ITER_NATIVE, op, data, H5O_INFO_BASIC);
}
inline herr_t h5_reclaim(hid_t type, hid_t space, void* buffer) { return H5Treclaim(type, space, H5P_DEFAULT, buffer); }
#else
using h5_object_info = H5O_info_t;
inline herr_t h5_visit(hid_t group, H5O_iterate_t op, void* data) {
  return H5Ovisit2(group, H5_INDEX_NAME, H5_ITER_NATIVE, op, data, H5O_INFO_BASIC);
}
inline herr_t h5_reclaim(hid_t type, hid_t space, void* buffer) {
  return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
}
#endif

/// The memory in which HDF5's core driver builds a file, kept (not freed) when the file closes.
struct h5_image {
  unsigned char* data = nullptr;
  std::size_t size = 0;  // bytes allocated: a multiple of the driver's increment, at least the file
  bool closed = false;   // the file is closed: `data` holds it whole
  h5_image() = default;
  h5_image(const h5_image&) = delete;
  h5_image& operator=(const h5_image&) = delete;
  ~h5_image() { std::free(data); }

  /// The callbacks that make the core driver allocate through this image.
  H5FD_file_image_callbacks_t callbacks() {
    H5FD_file_image_callbacks_t c{};
    c.image_realloc = [](void* p, std::size_t n, H5FD_file_image_op_t, void* self) -> void* {
      auto* image = static_cast<h5_image*>(self);
      void* q = std::realloc(p, n);
      if (q != nullptr) image->data = static_cast<unsigned char*>(q), image->size = n;
      return q;
    };
    c.image_free = [](void* p, H5FD_file_image_op_t op, void* self) -> herr_t {
      auto* image = static_cast<h5_image*>(self);
      if (p == image->data && op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) {
        image->closed = true;
      } else {
        if (p == image->data) image->data = nullptr, image->size = 0;
        std::free(p);
      }
      return 0;
    };
    c.udata_copy = [](void* self) { return self; };
    c.udata_free = [](void*) -> herr_t { return 0; };
    c.udata = this;
    return c;
  }

  /// The file's length: the end-of-file address in its superblock (version 2 or 3, as the 1.10 format has,
  /// with 8-byte addresses at base 0); the memory past it is the driver's zeroed slack.
  [[nodiscard]] std::size_t length() const {
    constexpr std::string_view signature = "\x89HDF\r\n\x1a\n";
    if (size < 48 || std::string_view(reinterpret_cast<const char*>(data), 8) != signature || data[8] < 2 ||
        data[8] > 3 || data[9] != 8 || get64(data + 12) != 0)
      return size;
    return static_cast<std::size_t>(std::min<std::uint64_t>(get64(data + 28), size));
  }
};

// Chunks of at most 1 MiB: HDF5's default chunk cache, and far below its 4 GiB limit per chunk.
inline constexpr std::uint64_t h5_chunk_bytes = std::uint64_t{1} << 20;
// Object header messages hold at most 64 KiB; a compact dataset's data must fit in one.
inline constexpr std::uint64_t h5_compact_bytes = 60000;

/// Chunk dimensions for a non-empty `shape`: the largest dimension halved until a chunk holds at most h5_chunk_bytes.
inline std::vector<hsize_t> h5_chunk(const std::vector<std::uint64_t>& shape, std::uint64_t item_size) {
  std::vector<hsize_t> chunk(shape.begin(), shape.end());
  auto bytes = [&] {
    std::uint64_t b = item_size;
    for (hsize_t d : chunk) b *= d;
    return b;
  };
  while (bytes() > h5_chunk_bytes) {
    hsize_t& d = *std::max_element(chunk.begin(), chunk.end());
    d = (d + 1) / 2;
  }
  return chunk;
}

}  // namespace detail

/// Writes named arrays to an HDF5 file at `path`, atomically: HDF5 builds the
/// file in memory, close() writes it to a temporary file next to `path`,
/// syncs it and renames it over `path`.
///
/// The same API and error conventions as npz_writer: format_error for an
/// entry the file cannot hold (bad name, duplicate, a name below an array or
/// above other entries, shape that does not match the data, string that is
/// not UTF-8), thrown before anything is written: the writer stays usable.
/// io_error when HDF5 or the file system fails: the temporary is removed,
/// `path` is untouched and the writer is dead. The destructor closes an open
/// writer, swallowing errors (call close() to see them), unless it runs
/// during stack unwinding: then it discards the temporary.
class h5_writer : public array_writer<h5_writer> {
 public:
  /// Starts a file that close() will move to `path`.
  explicit h5_writer(std::string path, h5_options options = {})
      : path_(std::move(path)), options_(options) {
    if (options_.compress && (options_.level < 0 || options_.level > 9))
      throw config_error(path_ + ": h5 compression level = " + std::to_string(options_.level) + ", must be in 0..9");
    fd_ = detail::create_temporary(path_, tmp_path_);
    const detail::h5_quiet quiet;
    try {
      // The 1.10 format checksums the superblock, object headers and chunk indexes; readers need HDF5 1.10 or later.
      const detail::h5_handle fapl = made(H5Pcreate(H5P_FILE_ACCESS), "create");
      const detail::h5_handle fcpl = made(H5Pcreate(H5P_FILE_CREATE), "create");
      gcpl_ = made(H5Pcreate(H5P_GROUP_CREATE), "create");
      H5FD_file_image_callbacks_t callbacks = image_.callbacks();
      if (H5Pset_fapl_core(fapl.get(), std::size_t{1} << 20, false) < 0 ||
          H5Pset_file_image_callbacks(fapl.get(), &callbacks) < 0 ||
          H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110) < 0 ||
          H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0 || H5Pset_obj_track_times(fcpl.get(), false) < 0 ||
          H5Pset_obj_track_times(gcpl_.get(), false) < 0)
        fail("create");
      // The name only tells this file from others in memory.
      file_ = made(H5Fcreate(tmp_path_.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), "create");
      bool_type_ = made(detail::h5_bool_type().release(), "create");
    } catch (...) {
      abandon();
      throw;
    }
    state_ = state::open;
  }

  h5_writer(const h5_writer&) = delete;
  h5_writer& operator=(const h5_writer&) = delete;

  ~h5_writer() { this->close_on_destruction(); }

  /// The file close() writes.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Sets the string attribute `key` of `object` ("/" or a group or dataset already written): variable-length
  /// UTF-8, which h5py reads as `str`. format_error if there is no such object.
  void add_attribute(std::string_view object, std::string_view key, std::string_view text) {
    if (state_ != state::open)
      throw io_error(path_ + ": cannot add attribute '" + std::string(key) + "': the file is " +
                     (state_ == state::closed ? "closed" : "abandoned after an earlier error"));
    const std::string at(object), name(key), value(text);
    if (at != "/" && !names_.contains(at) && !groups_.contains(at))
      throw format_error(path_ + ": attribute '" + name + "': no group or entry '" + at + "' in the file");
    if (name.empty() || name.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
      throw format_error(path_ + ": attribute '" + name + "' of '" + at + "': names must be non-empty, texts without NUL");
    const std::string what = "write attribute '" + name + "' of '" + at + "' to";
    const detail::h5_quiet quiet;
    try {
      const detail::h5_handle type = made(H5Tcopy(H5T_C_S1), what);
      if (H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0) fail(what);
      const detail::h5_handle space = made(H5Screate(H5S_SCALAR), what);
      const detail::h5_handle attribute = made(
          H5Acreate_by_name(file_.get(), at.c_str(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT),
          what);
      const char* data = value.c_str();
      if (H5Awrite(attribute.get(), type.get(), &data) < 0) fail(what);
    } catch (...) {
      abandon();
      throw;
    }
  }

  /// Finishes the file: closes it in memory, writes and syncs it, renames it over path(); io_error naming path()
  /// on failure.
  void close() {
    if (state_ == state::closed) return;
    if (state_ != state::open) throw io_error(path_ + ": not written: an earlier error abandoned this file");
    const detail::h5_quiet quiet;
    try {
      gcpl_.reset();
      bool_type_.reset();
      if (H5Fclose(file_.release()) < 0 || !image_.closed) fail("finish");  // in memory, whole once closed
      if (const int err = detail::write_all(fd_.get(), image_.data, image_.length()); err != 0)
        throw io_error(path_ + ": cannot write the temporary file " + tmp_path_ + ": " + detail::system_message(err));
      detail::commit_temporary(fd_, tmp_path_, path_);
      state_ = state::closed;
    } catch (...) {
      abandon();
      throw;
    }
  }

 private:
  enum class state { opening, open, closed, failed };

  friend class array_writer<h5_writer>;

  void add_bytes(std::string_view name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
                 const unsigned char* data, std::uint64_t nbytes) {
    if (state_ != state::open)
      throw io_error(path_ + ": cannot add entry '" + std::string(name) + "': the file is " +
                     (state_ == state::closed ? "closed" : "abandoned after an earlier error"));
    const std::string entry(name);
    if (const std::string rule = detail::entry_name_rule(name); !rule.empty())
      throw format_error(path_ + ": entry name '" + entry + "' " + rule);
    if (names_.contains(entry)) throw format_error(path_ + ": entry '" + entry + "' is already in the file");
    // In HDF5 a name is a path of groups down to a dataset: no array can hold other entries.
    for (std::size_t slash = entry.find('/'); slash != std::string::npos; slash = entry.find('/', slash + 1))
      if (names_.contains(entry.substr(0, slash)))
        throw format_error(path_ + ": entry '" + entry + "': '" + entry.substr(0, slash) +
                           "' is an array, and an HDF5 dataset cannot hold other entries");
    if (groups_.contains(entry))
      throw format_error(path_ + ": entry '" + entry + "' is the group of other entries, it cannot be an array too");
    if (shape.size() > H5S_MAX_RANK)
      throw format_error(path_ + ": entry '" + entry + "' has " + std::to_string(shape.size()) +
                         " dimensions, HDF5 allows at most " + std::to_string(H5S_MAX_RANK));
    const detail::h5_quiet quiet;
    try {
      write_dataset(entry, dtype, shape, data, nbytes);
    } catch (...) {
      abandon();
      throw;
    }
    names_.insert(entry);
  }

  void write_dataset(const std::string& name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
                     const unsigned char* data, std::uint64_t nbytes) {
    const std::string what = "write entry '" + name + "' to";
    for (std::size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
      const std::string group = name.substr(0, slash);
      if (groups_.contains(group)) continue;
      made(H5Gcreate2(file_.get(), group.c_str(), H5P_DEFAULT, gcpl_.get(), H5P_DEFAULT), what);
      groups_.insert(group);
    }
    detail::h5_handle string_type;
    hid_t type = -1;
    std::string text;
    if (dtype.starts_with("<U")) {  // array_writer's UTF-32 string, stored as UTF-8 (without the NUL of "")
      for (std::uint64_t k = 0; k + 4 <= nbytes; k += 4) detail::utf8_append(text, detail::get32(data + k));
      while (!text.empty() && text.back() == '\0') text.pop_back();
      string_type = made(H5Tcopy(H5T_C_S1), what);
      if (H5Tset_size(string_type.get(), std::max<std::size_t>(text.size(), 1)) < 0 ||
          H5Tset_strpad(string_type.get(), H5T_STR_NULLPAD) < 0 || H5Tset_cset(string_type.get(), H5T_CSET_UTF8) < 0)
        fail(what);
      text.resize(std::max<std::size_t>(text.size(), 1), '\0');
      type = string_type.get();
      data = reinterpret_cast<const unsigned char*>(text.data());
      nbytes = text.size();
    } else if (dtype == "|b1") {
      type = bool_type_.get();
    } else {
      for (const detail::h5_number& n : detail::h5_numbers())
        if (dtype == n.dtype) {
          type = n.type;
          break;
        }
      if (type < 0) throw internal_error(path_ + ": entry '" + name + "': no HDF5 type for dtype '" + dtype + "'");
    }
    const std::vector<hsize_t> dims(shape.begin(), shape.end());
    const detail::h5_handle space = made(
        shape.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
        what);
    const detail::h5_handle dcpl = made(H5Pcreate(H5P_DATASET_CREATE), what);
    if (H5Pset_obj_track_times(dcpl.get(), false) < 0) fail(what);
    if (!shape.empty() && nbytes > 0) {
      const std::vector<hsize_t> chunk = detail::h5_chunk(shape, H5Tget_size(type));
      if (H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
          (options_.compress && (H5Pset_shuffle(dcpl.get()) < 0 ||
                                 H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options_.level)) < 0)) ||
          H5Pset_fletcher32(dcpl.get()) < 0)
        fail(what);
    } else if (shape.empty() && nbytes <= detail::h5_compact_bytes) {
      if (H5Pset_layout(dcpl.get(), H5D_COMPACT) < 0) fail(what);
    }
    const detail::h5_handle set =
        made(H5Dcreate2(file_.get(), name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), what);
    if (nbytes > 0 && H5Dwrite(set.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) fail(what);
  }

  // An identifier HDF5 returned, or io_error when it returned none.
  detail::h5_handle made(hid_t id, const std::string& what) {
    if (id < 0) fail(what);
    return detail::h5_handle(id);
  }

  [[noreturn]] void fail(const std::string& what) {
    throw io_error(path_ + ": cannot " + what + " the temporary file " + tmp_path_ + " (HDF5: " +
                   detail::h5_error_text() + ")");
  }

  void abandon() noexcept {
    if (state_ == state::closed || state_ == state::failed) return;
    {
      const detail::h5_quiet quiet;
      gcpl_.reset();
      bool_type_.reset();
      file_.reset();
    }
    fd_.reset();
    ::unlink(tmp_path_.c_str());
    state_ = state::failed;
  }

  std::string path_;
  std::string tmp_path_;
  h5_options options_;
  state state_ = state::opening;
  detail::unique_fd fd_;
  detail::h5_image image_;  // outlives file_, whose memory it is
  detail::h5_handle file_;
  detail::h5_handle gcpl_;
  detail::h5_handle bool_type_;
  std::set<std::string, std::less<>> names_;
  std::set<std::string, std::less<>> groups_;
};

/// Reads an HDF5 file: h5_writer's, h5py's, any with datasets of numpy's numeric types and strings.
///
/// Opening lists every dataset reachable through hard links; info() and
/// read() open one. Every problem with the content is a format_error naming
/// the file, the entry and the rule (not an HDF5 file, damaged, a missing
/// entry, another dtype); a file that cannot be opened is an io_error. Sizes
/// are checked against the file's before anything is allocated.
class h5_reader {
 public:
  /// Opens `path` and lists its datasets.
  explicit h5_reader(std::string path) : path_(std::move(path)) {
    // A regular file (HDF5 would open a FIFO and wait for a writer forever), and its size.
    (void)detail::open_regular_file(path_, file_size_);
    const detail::h5_quiet quiet;
    const detail::h5_handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    if (!fapl || H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG) < 0)
      throw io_error(path_ + ": cannot open for reading (HDF5: " + detail::h5_error_text() + ")");
    file_.reset(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, fapl.get()));
    if (!file_) corrupt("not an HDF5 file, or damaged (HDF5: " + detail::h5_error_text() + ")");
    // Follows hard links only (soft and external ones lead elsewhere), each object once (links may form cycles).
    const auto visit = [](hid_t, const char* name, const detail::h5_object_info* info, void* out) noexcept -> herr_t {
      try {  // no exception may cross HDF5's C frames
        if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      } catch (...) {
        return -1;
      }
    };
    if (detail::h5_visit(file_.get(), +visit, &names_) < 0) corrupt("damaged (HDF5: " + detail::h5_error_text() + ")");
    std::sort(names_.begin(), names_.end());
  }

  /// The file this reader reads.
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Every dataset's path, without the leading '/' ("populations/E/v"), sorted.
  [[nodiscard]] std::vector<std::string> names() const { return names_; }

  /// True when the file has a dataset `name`.
  [[nodiscard]] bool contains(std::string_view name) const {
    return std::binary_search(names_.begin(), names_.end(), name);
  }

  /// Dtype (as h5py names it), shape, sizes and compression of dataset `name` (npy_bytes stays 0).
  [[nodiscard]] npz_info info(std::string_view name) const {
    const detail::h5_quiet quiet;
    return open(name).info;
  }

  /// The values of dataset `name`, whose dtype must be npy_dtype<T>() (see info() for the shape).
  template <class T>
  [[nodiscard]] std::vector<T> read(std::string_view name) const {
    static_assert(npy_element<T>,
                  "spikeweave::io::h5_reader::read<T>(name): T must be double, float, bool or an integer of "
                  "1, 2, 4 or 8 bytes");
    if constexpr (npy_element<T>) {
      const detail::h5_quiet quiet;
      const dataset d = open(name);
      const std::string expected = npy_dtype<T>();
      if (!detail::same_dtype(d.info.dtype, expected))
        corrupt("entry '" + d.info.name + "' has dtype '" + d.info.dtype + "', expected '" + expected + "'");
      check_size(d.info, d.info.size, sizeof(T));
      if constexpr (std::same_as<T, bool>) {  // std::vector<bool> has no bool array to read into
        std::vector<unsigned char> raw(d.info.size);
        read_raw(d, raw.data());
        if (const auto bad = std::ranges::find_if(raw, [](unsigned char b) { return b > 1; }); bad != raw.end())
          corrupt("entry '" + d.info.name + "' holds " + std::to_string(*bad) + " at index " +
                  std::to_string(bad - raw.begin()) + ", which is neither FALSE (0) nor TRUE (1)");
        return std::vector<bool>(raw.begin(), raw.end());
      } else {
        std::vector<T> out(d.info.size);
        read_raw(d, out.data());
        return out;
      }
    } else {
      return {};
    }
  }

  /// The string in dataset `name`: an HDF5 string of one element, fixed-length (h5_writer's) or variable-length
  /// (h5py's for a str), without its padding.
  [[nodiscard]] std::string read_string(std::string_view name) const {
    const detail::h5_quiet quiet;
    const dataset d = open(name);
    if (H5Tget_class(d.type.get()) != H5T_STRING || d.info.size != 1)
      corrupt("entry '" + d.info.name + "' has dtype '" + d.info.dtype + "' and shape " +
              detail::shape_string(d.info.shape) + ", expected a string (an HDF5 string of one element)");
    if (H5Tis_variable_str(d.type.get()) > 0) {
      // HDF5 takes the string from a heap collection it has read whole from the file: no larger than the file.
      // (H5Dvlen_get_buf_size, which would tell the size first, overruns a buffer on scalars in HDF5 1.10.8.)
      const detail::h5_handle memory(H5Tcopy(H5T_C_S1));
      if (!memory || H5Tset_size(memory.get(), H5T_VARIABLE) < 0 ||
          H5Tset_cset(memory.get(), H5Tget_cset(d.type.get())) < 0)
        unreadable(d.info.name);
      struct reclaim {  // HDF5 allocated the string
        hid_t type, space;
        char* text = nullptr;
        ~reclaim() { detail::h5_reclaim(type, space, &text); }
      } read{memory.get(), d.space.get()};
      if (H5Dread(d.set.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &read.text) < 0) unreadable(d.info.name);
      return read.text != nullptr ? std::string(read.text) : std::string();
    }
    check_size(d.info, 1, d.info.item_size);
    if (d.info.item_size > max_metadata_bytes)
      corrupt("entry '" + d.info.name + "' is a string of " + std::to_string(d.info.item_size) + " bytes, more than the " +
              std::to_string(max_metadata_bytes >> 20) + " MiB a string may have");
    std::string out(d.info.item_size, '\0');
    read_raw(d, out.data());
    if (H5Tget_strpad(d.type.get()) == H5T_STR_NULLTERM) out.resize(std::min(out.size(), out.find('\0')));
    const char pad = H5Tget_strpad(d.type.get()) == H5T_STR_SPACEPAD ? ' ' : '\0';
    while (!out.empty() && out.back() == pad) out.pop_back();
    return out;
  }

 private:
  // An open dataset and what info() reports about it.
  struct dataset {
    detail::h5_handle set, type, space;
    npz_info info;
  };

  [[noreturn]] void corrupt(const std::string& what) const { throw format_error(path_ + ": " + what); }

  [[noreturn]] void unreadable(const std::string& name) const {
    corrupt("entry '" + name + "' cannot be read, the file is damaged (HDF5: " + detail::h5_error_text() + ")");
  }

  dataset open(std::string_view name) const {
    if (!contains(name)) corrupt("no entry '" + std::string(name) + "'");
    dataset d;
    npz_info& i = d.info;
    i.name = std::string(name);
    d.set.reset(H5Dopen2(file_.get(), i.name.c_str(), H5P_DEFAULT));
    if (d.set) d.type.reset(H5Dget_type(d.set.get()));
    if (d.type) d.space.reset(H5Dget_space(d.set.get()));
    const detail::h5_handle dcpl(d.space ? H5Dget_create_plist(d.set.get()) : -1);
    if (!dcpl) unreadable(i.name);
    i.dtype = detail::h5_dtype(d.type.get());
    i.item_size = H5Tget_size(d.type.get());
    const H5S_class_t kind = H5Sget_simple_extent_type(d.space.get());
    if (kind == H5S_NULL) corrupt("entry '" + i.name + "' has no data (an HDF5 null dataspace)");
    if (kind == H5S_SIMPLE) {
      const int rank = H5Sget_simple_extent_ndims(d.space.get());
      if (rank < 0 || rank > H5S_MAX_RANK) unreadable(i.name);
      std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
      if (H5Sget_simple_extent_dims(d.space.get(), dims.data(), nullptr) < 0) unreadable(i.name);
      i.shape.assign(dims.begin(), dims.end());
    } else if (kind != H5S_SCALAR) {
      unreadable(i.name);
    }
    if (!detail::shape_product(i.shape, i.size)) corrupt("entry '" + i.name + "' has a shape too large to hold");
    // Nothing that reads other files or loads code.
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (layout == H5D_VIRTUAL) corrupt("entry '" + i.name + "' is a virtual dataset (made of other files)");
    if (layout != H5D_COMPACT && layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED) unreadable(i.name);
    if (H5Pget_external_count(dcpl.get()) != 0)
      corrupt("entry '" + i.name + "' keeps its data in external files, which spikeweave does not read");
    const int filters = H5Pget_nfilters(dcpl.get());
    if (filters < 0) unreadable(i.name);
    for (int k = 0; k < filters; ++k) {
      unsigned flags = 0, config = 0;
      std::size_t values = 0;
      char filter_name[64] = {};
      const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(k), &flags, &values, nullptr,
                                             sizeof filter_name, filter_name, &config);
      if (id == H5Z_FILTER_DEFLATE) i.compressed = true;
      else if (id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_FLETCHER32)
        corrupt("entry '" + i.name + "' uses HDF5 filter " + std::to_string(id) +
                (filter_name[0] != '\0' ? " ('" + std::string(filter_name) + "')" : std::string()) +
                "; spikeweave reads deflate, shuffle and fletcher32 only");
    }
    if (layout == H5D_CHUNKED) {  // HDF5 allocates a whole chunk to read it
      hsize_t chunk[H5S_MAX_RANK] = {};
      const int rank = H5Pget_chunk(dcpl.get(), H5S_MAX_RANK, chunk);
      std::vector<std::uint64_t> dims(chunk, chunk + std::max(rank, 0));
      std::uint64_t n = 0;
      if (rank < 0 || !detail::shape_product(dims, n)) unreadable(i.name);
      check_size(i, n, i.item_size);
    }
    i.stored_bytes = H5Dget_storage_size(d.set.get());
    return d;
  }

  // Refuses `count` items of `item_size` bytes when no HDF5 file of this size can hold them (deflate expands
  // at most ~1032:1), before anything is allocated.
  void check_size(const npz_info& i, std::uint64_t count, std::uint64_t item_size) const {
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit =
        file_size_ > max / detail::max_deflate_ratio ? max : file_size_ * detail::max_deflate_ratio;
    if (item_size != 0 && count > limit / item_size)
      corrupt("entry '" + i.name + "' claims " + std::to_string(count) + " x " + std::to_string(item_size) +
              " bytes, more than a file of " + std::to_string(file_size_) + " bytes can hold");
  }

  // The data exactly as stored: the memory type is the file's, which read() and read_string() have checked.
  void read_raw(const dataset& d, void* out) const {
    if (d.info.size > 0 && H5Dread(d.set.get(), d.type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
      unreadable(d.info.name);
  }

  std::string path_;
  std::uint64_t file_size_ = 0;
  detail::h5_handle file_;
  std::vector<std::string> names_;
};

}  // namespace spikeweave::io

#else  // no <hdf5.h>: the same names, refusing at run time

namespace spikeweave::io {

/// How an h5_writer stores its arrays.
struct h5_options {
  bool compress = true;
  int level = 6;
};

namespace detail {
[[noreturn]] inline void h5_missing(const std::string& path) {
  throw io_error(path + ": spikeweave was compiled without HDF5: link spikeweave::io, built where HDF5 "
                        "(Debian: libhdf5-dev) was found, so that <hdf5.h> is on the include path");
}
}  // namespace detail

/// Without HDF5: throws io_error when constructed.
class h5_writer {
 public:
  explicit h5_writer(std::string path, h5_options = {}) { detail::h5_missing(path); }
  template <class Range>
  void add(std::string_view, const Range&, std::vector<std::uint64_t> = {}) {}
  void add_string(std::string_view, std::string_view) {}
  void add_attribute(std::string_view, std::string_view, std::string_view) {}
  void close() {}
};

/// Without HDF5: throws io_error when constructed.
class h5_reader {
 public:
  explicit h5_reader(std::string path) { detail::h5_missing(path); }
  [[nodiscard]] std::vector<std::string> names() const { return {}; }
  [[nodiscard]] bool contains(std::string_view) const { return false; }
  [[nodiscard]] npz_info info(std::string_view) const { return {}; }
  template <class T>
  [[nodiscard]] std::vector<T> read(std::string_view) const {
    return {};
  }
  [[nodiscard]] std::string read_string(std::string_view) const { return {}; }
};

}  // namespace spikeweave::io

#endif
