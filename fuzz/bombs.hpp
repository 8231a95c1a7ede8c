// Decompression bombs, built in a moment without deflating what they expand to: gzip files and .npz entries
// of N zero bytes, about N / 1000 bytes each. The fuzz targets write them as seeds; tests/io/hardening_test.cpp
// checks that the loaders refuse them without allocating what they claim.
//
// A deflate stream of zeros is one piece (deflate of 1 MiB of zeros, ended by a full flush, which empties the
// history, so the piece refers to nothing before it) repeated, then an empty final block.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace spikeweave::bombs {

inline constexpr std::uint64_t piece_bytes = std::uint64_t{1} << 20;

/// Raw deflate of `prefix` followed by `zeros` zero bytes (zeros a multiple of 1 MiB); `crc` gets the CRC-32
/// of the whole uncompressed data.
inline std::string deflate_zeros(std::string_view prefix, std::uint64_t zeros, std::uint32_t& crc) {
  if (zeros % piece_bytes != 0) throw std::invalid_argument("bombs::deflate_zeros: zeros must be a multiple of 1 MiB");
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out;
  auto pump = [&](const void* data, std::size_t n, int flush) {
    z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    z.avail_in = static_cast<uInt>(n);
    std::string chunk;
    do {
      char buffer[1 << 16];
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof buffer;
      deflate(&z, flush);
      chunk.append(buffer, sizeof buffer - z.avail_out);
    } while (z.avail_out == 0);
    return chunk;
  };
  out += pump(prefix.data(), prefix.size(), Z_FULL_FLUSH);
  const std::string zero(piece_bytes, '\0');
  const std::string piece = pump(zero.data(), zero.size(), Z_FULL_FLUSH);
  for (std::uint64_t k = 0; k < zeros / piece_bytes; ++k) out += piece;
  out += pump(nullptr, 0, Z_FINISH);
  deflateEnd(&z);
  crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(prefix.data()), static_cast<uInt>(prefix.size())));
  const auto zero_crc = crc32(0, reinterpret_cast<const Bytef*>(zero.data()), static_cast<uInt>(zero.size()));
  for (std::uint64_t k = 0; k < zeros / piece_bytes; ++k)
    crc = static_cast<std::uint32_t>(crc32_combine(crc, zero_crc, static_cast<z_off_t>(piece_bytes)));
  return out;
}

inline void put_le(std::string& s, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

/// A valid gzip file of `prefix` and `zeros` zero bytes (a multiple of 1 MiB).
inline std::string gzip_zeros(std::string_view prefix, std::uint64_t zeros) {
  std::uint32_t crc = 0;
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);  // deflate, no name, no time, level 9, Unix
  out += deflate_zeros(prefix, zeros, crc);
  put_le(out, crc, 4);
  put_le(out, prefix.size() + zeros, 4);  // the size modulo 2^32
  return out;
}

/// An .npz (zip) with one deflated entry `<name>.npy`: a .npy header declaring `dtype` and `shape` (a Python
/// tuple such as "()" or "(134217728,)"), then `zeros` zero bytes (a multiple of 1 MiB), which should be
/// what the header declares. The sizes and CRC-32 are right: the zip layer is valid. With `declared` over
/// `zeros`, the zip records claim `declared` zero bytes instead, and junk after the deflate stream makes the
/// compressed size one deflate could expand that far: the entry ends early.
inline std::string npz_zeros(const std::string& name, const std::string& dtype, const std::string& shape,
                             std::uint64_t zeros, std::uint64_t declared = 0) {
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  put_le(header, dict.size(), 2);
  header += dict;
  std::uint32_t crc = 0;
  std::string data = deflate_zeros(header, zeros, crc);
  if (declared > zeros && declared / 1000 > data.size()) data.append(declared / 1000 - data.size(), '\xff');
  const std::string file_name = name + ".npy";
  const std::uint64_t size = header.size() + std::max(zeros, declared);
  if (size >= 0xFFFFFFFFu || data.size() >= 0xFFFFFFFFu) throw std::invalid_argument("bombs::npz_zeros: too large");
  std::string out;
  put_le(out, 0x04034b50, 4);  // local header
  put_le(out, 20, 2);
  put_le(out, 0, 2);
  put_le(out, 8, 2);  // deflate
  put_le(out, 0, 2);
  put_le(out, (1 << 5) | 1, 2);
  put_le(out, crc, 4);
  put_le(out, data.size(), 4);
  put_le(out, size, 4);
  put_le(out, file_name.size(), 2);
  put_le(out, 0, 2);
  out += file_name;
  out += data;
  const std::uint64_t cd_offset = out.size();
  put_le(out, 0x02014b50, 4);  // central directory record
  put_le(out, (3 << 8) | 20, 2);
  put_le(out, 20, 2);
  put_le(out, 0, 2);
  put_le(out, 8, 2);
  put_le(out, 0, 2);
  put_le(out, (1 << 5) | 1, 2);
  put_le(out, crc, 4);
  put_le(out, data.size(), 4);
  put_le(out, size, 4);
  put_le(out, file_name.size(), 2);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, std::uint64_t{0100644} << 16, 4);
  put_le(out, 0, 4);
  out += file_name;
  const std::uint64_t cd_size = out.size() - cd_offset;
  put_le(out, 0x06054b50, 4);  // end of central directory
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, 1, 2);
  put_le(out, 1, 2);
  put_le(out, cd_size, 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

/// JSON whose "network" dictionary nests `depth` arrays: {"network": {"x": [[[...]]]}}.
inline std::string deep_json(std::size_t depth) {
  return R"({"network": {"x": )" + std::string(depth, '[') + std::string(depth, ']') + "}}";
}

}  // namespace spikeweave::bombs
