// Fuzz target: io::archive_reader on arbitrary bytes. The first byte picks the kind (modulo 6: .bin, .txt, .xml,
// .bin.gz, .txt.gz, .xml.gz), the rest is the file. Every entry is described and read; the only exceptions
// allowed are spikeweave's own, and what is read must agree with info().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <spikeweave/io/archive.hpp>

#include "bombs.hpp"
#include "common.hpp"
#include "readers.hpp"

namespace io = spikeweave::io;
namespace fz = spikeweave::fuzz;

namespace {

constexpr const char* kinds[] = {".bin", ".txt", ".xml", ".bin.gz", ".txt.gz", ".xml.gz"};

// One small archive of every kind, prefixed with the byte that selects it.
void write_seeds(const std::filesystem::path& dir) {
  for (std::size_t k = 0; k < std::size(kinds); ++k) {
    const std::string tmp = (fz::scratch_dir() / (std::string("seed") + kinds[k])).string();
    {
      io::archive_writer w(tmp);
      w.add("v", std::vector<double>{-65.0, -0.0, 1e308, 5e-324});
      w.add("grid", std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
      w.add("populations/E/spikes", std::vector<std::uint32_t>{3, 17});
      const bool flags[] = {true, false};
      w.add("flags", std::span<const bool>(flags));
      w.add("i8", std::vector<std::int64_t>{1, -1}, {2, 1});
      w.add("u2", std::vector<std::uint16_t>{});
      w.add_string("metadata", R"({"format": "spikeweave-state", "text": "µ€"})");
      w.close();
    }
    fz::write_seed(dir, std::string("archive") + kinds[k], std::string(1, static_cast<char>(k)) + fz::slurp(tmp));
  }
  // Decompression bombs (130 KB of gzip holding 128 MiB of zeros), which the reader must refuse without
  // inflating them whole (run.sh's -malloc_limit_mb=64 catches a reader that does).
  const std::uint64_t zeros = std::uint64_t{128} << 20;
  for (std::size_t k = 3; k < std::size(kinds); ++k)
    fz::write_seed(dir, std::string("bomb") + kinds[k], std::string(1, static_cast<char>(k)) + spikeweave::bombs::gzip_zeros("", zeros));
  // A valid .bin head whose first entry claims 2 GiB of data and 1 MiB of zeros after it: inflated as far
  // as it goes, then refused. (Not more: what the file really holds is read, and 64 MiB of it would be an
  // allocation over the limit that is no bug; tests/io/hardening_test.cpp has a larger one.)
  const std::string tmp = (fz::scratch_dir() / "head.bin").string();
  {
    io::archive_writer w(tmp);
    w.add("x", std::vector<double>{1});
  }
  std::string head = fz::slurp(tmp);
  head.resize(head.find(std::string("\0\0\0\0\0\0\xf0\x3f", 8)) - 8);
  const std::uint64_t claim = std::uint64_t{2} << 30;
  head.append(reinterpret_cast<const char*>(&claim), sizeof claim);
  fz::write_seed(dir, "bomb_head.bin.gz", std::string(1, 3) + spikeweave::bombs::gzip_zeros(head, std::uint64_t{1} << 20));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fz::seeds_on_request(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string path = fz::input_file(data + 1, size - 1, kinds[data[0] % std::size(kinds)]);
  try {
    // What a .gz may inflate to: less than run.sh's -malloc_limit_mb=64 (a string doubles as it grows).
    const io::archive_reader r(path, std::uint64_t{24} << 20);
    for (const std::string& name : r.names()) {
      if (!r.contains(name)) fz::bug("names() lists '" + name + "', contains() denies it");
      try {
        fz::read_entry(r, name);
      } catch (const spikeweave::error&) {
      }
    }
  } catch (const spikeweave::error& e) {
    fz::refused(e);
  }
  return 0;
}
