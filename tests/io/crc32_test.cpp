// The folded CRC-32 (io/crc32.hpp) is zlib's, for every length, alignment and starting value.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include <spikeweave/io/crc32.hpp>

using spikeweave::io::detail::crc32_update;
using spikeweave::io::detail::crc32_zlib;

TEST_CASE("CRC-32 equals zlib's for every length up to 1100 bytes, at any alignment", "[crc32]") {
  std::mt19937 g(7);
  std::vector<unsigned char> v(1200);
  for (auto& x : v) x = static_cast<unsigned char>(g());
  int differ = 0;
  for (std::size_t n = 0; n <= 1100; ++n)
    for (std::size_t offset : {0, 1, 3, 8, 15}) {
      const auto start = static_cast<std::uint32_t>(g());
      differ += crc32_update(start, v.data() + offset, n) != crc32_zlib(start, v.data() + offset, n);
    }
  CHECK(differ == 0);
}

TEST_CASE("CRC-32 of large buffers, and in pieces, equals zlib's", "[crc32]") {
  std::mt19937 g(11);
  std::vector<unsigned char> v((std::size_t{5} << 20) + 13);
  for (auto& x : v) x = static_cast<unsigned char>(g());
  const std::uint32_t whole = crc32_zlib(0, v.data(), v.size());
  CHECK(crc32_update(0, v.data(), v.size()) == whole);
  const std::size_t cut = 1234567;
  CHECK(crc32_update(crc32_update(0, v.data(), cut), v.data() + cut, v.size() - cut) == whole);
  // Known value: CRC-32 of "123456789" is 0xCBF43926.
  const unsigned char digits[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  CHECK(crc32_update(0, digits, 9) == 0xCBF43926u);
  std::vector<unsigned char> zeros(4096, 0);
  CHECK(crc32_update(0, zeros.data(), zeros.size()) == crc32_zlib(0, zeros.data(), zeros.size()));
}
