// What every fuzz target shares: the input as a file (the loaders take paths), and seed files on request.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

namespace spikeweave::fuzz {

/// A directory of this process's own (libFuzzer's -fork and -jobs run several), removed at exit; under
/// $SPIKEWEAVE_FUZZ_SCRATCH (run.sh's, removed when it ends), else /dev/shm when there is one, so that the
/// writers' fsync costs nothing.
inline const std::filesystem::path& scratch_dir() {
  // Never destroyed: the atexit handler runs after the destructors of statics made before it was registered.
  static const std::filesystem::path* const dir = [] {
    std::error_code ec;
    const char* given = std::getenv("SPIKEWEAVE_FUZZ_SCRATCH");
    const std::filesystem::path base = given != nullptr && *given != '\0'   ? std::filesystem::path(given)
                                       : ::access("/dev/shm", W_OK) == 0 ? std::filesystem::path("/dev/shm")
                                                                         : std::filesystem::temp_directory_path(ec);
    auto* d = new std::filesystem::path(base / ("spikeweave_fuzz_" + std::to_string(::getpid())));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return d;
  }();
  return *dir;
}

/// Writes the input to `input<extension>` in the scratch directory and returns its path.
inline std::string input_file(const std::uint8_t* data, std::size_t size, std::string_view extension) {
  const std::string path = (scratch_dir() / ("input" + std::string(extension))).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    std::abort();
  }
  std::size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, data + done, size - done);
    if (w <= 0) {
      std::perror(path.c_str());
      std::abort();
    }
    done += static_cast<std::size_t>(w);
  }
  ::close(fd);
  return path;
}

/// The bytes of a file.
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `bytes` to `dir/name`.
inline void write_seed(const std::filesystem::path& dir, const std::string& name, std::string_view bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write the seed %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

/// Seed mode: when the environment names a directory in SPIKEWEAVE_FUZZ_SEEDS, `write(dir)` fills it with small
/// valid inputs and the process exits (fuzz/run.sh calls each target so before fuzzing). Call from LLVMFuzzerInitialize.
template <class Write>
void seeds_on_request(Write&& write) {
  const char* dir = std::getenv("SPIKEWEAVE_FUZZ_SEEDS");
  if (dir == nullptr || *dir == '\0') return;
  std::filesystem::create_directories(dir);
  write(std::filesystem::path(dir));
  std::exit(0);
}

/// With SPIKEWEAVE_FUZZ_VERBOSE set, prints why an input was refused (to read what a single input does).
inline void refused(const std::exception& e) {
  static const bool verbose = std::getenv("SPIKEWEAVE_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
}

/// A broken invariant: print why and abort, which libFuzzer reports as a crash with the input.
[[noreturn]] inline void bug(const std::string& what) {
  std::fprintf(stderr, "spikeweave fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace spikeweave::fuzz
