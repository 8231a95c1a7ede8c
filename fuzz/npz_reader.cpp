// Fuzz target: io::npz_reader on arbitrary bytes. Every entry is listed, described and read in every way
// (read<T> for its dtype and for another, read_into, read_string); the only exceptions allowed are
// spikeweave's own, and what is read must agree with info().
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <spikeweave/io/npz.hpp>

#include "bombs.hpp"
#include "common.hpp"
#include "readers.hpp"

namespace io = spikeweave::io;
namespace fz = spikeweave::fuzz;

namespace {

// Small valid archives: compressed, stored, ZIP64 records, every dtype, shapes, strings.
void write_seeds(const std::filesystem::path& dir) {
  const std::string tmp = (fz::scratch_dir() / "seed.npz").string();
  const std::vector<io::npz_options> variants = {
      {.compress = true}, {.compress = false}, {.compress = true, .force_zip64 = true}, {.compress = false, .force_zip64 = true}};
  for (std::size_t k = 0; k < variants.size(); ++k) {
    {
      io::npz_writer w(tmp, variants[k]);
      w.add("v", std::vector<double>{-65.0, -0.0, 1e308, 5e-324});
      w.add("grid", std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
      w.add("populations/E/spikes", std::vector<std::uint32_t>{3, 17});
      w.add("count", std::vector<std::uint64_t>{42}, {});
      const bool flags[] = {true, false, true};
      w.add("flags", std::span<const bool>(flags));
      w.add("i1", std::vector<std::int8_t>{-128, 127});
      w.add("i2", std::vector<std::int16_t>{-1});
      w.add("i4", std::vector<std::int32_t>{});
      w.add("i8", std::vector<std::int64_t>{1, -1}, {2, 1, 1});
      w.add("u1", std::vector<std::uint8_t>{'h', 'i'});
      w.add("u2", std::vector<std::uint16_t>{65535, 1});
      w.add_string("metadata", R"({"format": "spikeweave-state", "dt": 0.1, "text": "µ€"})");
      w.close();
    }
    fz::write_seed(dir, "archive_" + std::to_string(k) + ".npz", fz::slurp(tmp));
  }
  {
    io::npz_writer w(tmp, {.compress = false});
    w.add_string("s", "");
    w.close();
  }
  fz::write_seed(dir, "string_only.npz", fz::slurp(tmp));
  {
    io::npz_writer w(tmp);
    w.close();
  }
  fz::write_seed(dir, "empty_archive.npz", fz::slurp(tmp));
  // Bombs, valid zip and deflate: a string of 128 MiB (refused from its .npy header), and an array whose
  // header and directory claim 24 MiB while its stream holds 2 MiB (memory is touched only as the data
  // comes, so the short stream costs what it holds).
  namespace bombs = spikeweave::bombs;
  fz::write_seed(dir, "bomb_string.npz", bombs::npz_zeros("metadata", "<U33554432", "()", std::uint64_t{128} << 20));
  fz::write_seed(dir, "bomb_short.npz",
                 bombs::npz_zeros("v", "<f8", "(3145728,)", std::uint64_t{2} << 20, std::uint64_t{24} << 20));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fz::seeds_on_request(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fz::input_file(data, size, ".npz");
  try {
    const io::npz_reader r(path);
    for (const std::string& name : r.names()) {
      if (!r.contains(name)) fz::bug("names() lists '" + name + "', contains() denies it");
      try {
        fz::read_entry(r, name);
      } catch (const spikeweave::error&) {
      }
    }
    (void)r.contains("no such entry");
  } catch (const spikeweave::error& e) {
    fz::refused(e);
  }
  return 0;
}
