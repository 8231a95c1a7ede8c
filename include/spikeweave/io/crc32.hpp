// CRC-32 (the zip / gzip polynomial, zlib's crc32) at memory speed.
//
// zlib 1.2.13's table-driven crc32 runs at about 1 GB/s, slower than the
// rest of a state file's save or load. On x86-64 CPUs with PCLMULQDQ (every
// one since 2010; checked at run time) the bulk of a buffer is folded with
// carry-less multiplications instead, four 16-byte lanes at a time, and the
// result reduced to 32 bits with Barrett's method (Gopal et al., "Fast CRC
// computation for generic polynomials using PCLMULQDQ", Intel, 2009). The
// folding constants are x^k mod P for the bit-reflected polynomial
// P = 0x104C11DB7. The tail (and everything elsewhere) goes through zlib.
// tests/io/crc32_test.cpp checks the result against zlib's for every length
// up to a few hundred bytes and for large buffers.
#pragma once

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/crc32.hpp needs the CMake target spikeweave::io (it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO and link those libraries yourself"
#endif

#include <zlib.h>

#include <algorithm>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// The SSE4.1 and PCLMULQDQ intrinsics only: <immintrin.h> (every x86 extension) costs each translation unit
// that includes an npz header about 0.5 s and 80 MB of compiler memory.
#include <smmintrin.h>
#include <wmmintrin.h>
#define SPIKEWEAVE_CRC32_CLMUL 1
#endif

namespace spikeweave::io::detail {

/// zlib's crc32 over any length (zlib takes at most 4 GiB a call).
inline std::uint32_t crc32_zlib(std::uint32_t crc, const unsigned char* p, std::uint64_t n) {
  uLong c = crc;
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<std::uint64_t>(n, std::uint64_t{1} << 30));
    c = ::crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(c);
}

#ifdef SPIKEWEAVE_CRC32_CLMUL

__attribute__((target("pclmul,sse4.1"))) inline __m128i crc32_load(const unsigned char* q) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
}
// The lane's 128 bits moved on by the distance `k` stands for: (lo * k.lo) ^ (hi * k.hi), plus the data there.
__attribute__((target("pclmul,sse4.1"))) inline __m128i crc32_fold_lane(__m128i lane, __m128i k, __m128i data) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(lane, k, 0x00), _mm_clmulepi64_si128(lane, k, 0x11)), data);
}

/// The CRC register (not inverted) after `n` bytes at `p`, n >= 64 and a multiple of 16.
__attribute__((target("pclmul,sse4.1"))) inline std::uint32_t crc32_fold(std::uint32_t reg, const unsigned char* p,
                                                                          std::uint64_t n) {
  // x^(512+32), x^(512-32) mod P: fold a lane 64 bytes forward; x^(128+32), x^(128-32): 16 bytes forward;
  // x^64 mod P; and P with Barrett's mu = floor(x^64 / P), all bit-reflected (times x, as the paper does).
  const __m128i fold64 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i fold16 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i x64 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i barrett = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);

  const auto load = crc32_load;
  const auto fold = crc32_fold_lane;

  __m128i a = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(reg)));
  __m128i b = load(p + 16), c = load(p + 32), d = load(p + 48);
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    a = fold(a, fold64, load(p));
    b = fold(b, fold64, load(p + 16));
    c = fold(c, fold64, load(p + 32));
    d = fold(d, fold64, load(p + 48));
  }
  __m128i x = fold(fold(fold(a, fold16, b), fold16, c), fold16, d);
  for (; n >= 16; p += 16, n -= 16) x = fold(x, fold16, load(p));

  // 128 -> 64 bits, 64 -> 32 bits, then Barrett reduction to the 32-bit remainder.
  x = _mm_xor_si128(_mm_srli_si128(x, 8), _mm_clmulepi64_si128(x, fold16, 0x10));
  x = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x, low32), x64, 0x00), _mm_srli_si128(x, 4));
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x, t), 1));
}

inline bool crc32_has_clmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}

#endif

/// zlib's crc32(crc, p, n), for any n; folded with PCLMULQDQ where the CPU has it.
inline std::uint32_t crc32_update(std::uint32_t crc, const unsigned char* p, std::uint64_t n) {
#ifdef SPIKEWEAVE_CRC32_CLMUL
  if (n >= 256 && crc32_has_clmul()) {
    const std::uint64_t bulk = n & ~std::uint64_t{15};
    crc = ~crc32_fold(~crc, p, bulk);
    p += bulk;
    n -= bulk;
  }
#endif
  return crc32_zlib(crc, p, n);
}

}  // namespace spikeweave::io::detail
