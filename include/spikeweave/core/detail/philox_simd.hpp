// Philox4x32-10 on xsimd batches: the blocks of random::bits for many indices at once, bit for bit.
//
// Each counter word sits in the low half of a 64-bit lane, so one
// 32 x 32 -> 64-bit multiply (pmuludq and its AVX2 / AVX-512 forms) gives
// both halves of a Philox product. The upper halves of the lanes carry
// garbage that never reaches a low half: the multiplies read only low halves
// and the other operations (xor, shift right by 32) keep the halves apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "../random.hpp"

namespace spikeweave::random::detail {

/// 64-bit lanes of the default architecture.
template <class A = xsimd::default_arch>
using lanes64 = xsimd::batch<std::uint64_t, A>;

/// The full 64-bit products of the low 32-bit halves of a and b, lane by lane.
template <class A>
lanes64<A> mul_low32(const lanes64<A>& a, const lanes64<A>& b) {
#if XSIMD_WITH_AVX512F
  if constexpr (std::is_base_of_v<xsimd::avx512f, A>) return lanes64<A>(_mm512_mul_epu32(a, b));
#endif
#if XSIMD_WITH_AVX2
  if constexpr (std::is_base_of_v<xsimd::avx2, A>) return lanes64<A>(_mm256_mul_epu32(a, b));
#endif
#if XSIMD_WITH_SSE2
  if constexpr (std::is_base_of_v<xsimd::sse2, A>) return lanes64<A>(_mm_mul_epu32(a, b));
#endif
  const lanes64<A> low(std::uint64_t{0xFFFFFFFFu});
  return (a & low) * (b & low);
}

/// The high 32-bit halves of the lanes, in their low halves (the upper halves: anything).
template <class A>
lanes64<A> high32(const lanes64<A>& a) {
#if XSIMD_WITH_SSE2
  // SSE2 shifts in place (a copy first); pshufd writes elsewhere.
  if constexpr (std::is_same_v<A, xsimd::sse2>) return lanes64<A>(_mm_shuffle_epi32(a, 0xF5));
#endif
  return a >> 32;
}

/// V sets of four counter words (word w of set v in c[v][w], one counter per
/// lane, in the low 32 bits) through Philox4x32-10 keyed by `key`, in place.
/// Lane by lane the low halves then equal random::philox4x32_10.
template <std::size_t V, class A>
void philox4x32_10(std::array<std::array<lanes64<A>, 4>, V>& c, std::uint64_t key) {
  using u64 = lanes64<A>;
  const u64 m0(std::uint64_t{0xD2511F53u}), m1(std::uint64_t{0xCD9E8D57u});
  auto k0 = static_cast<std::uint32_t>(key);
  auto k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const u64 key0(std::uint64_t{k0}), key1(std::uint64_t{k1});
    for (std::size_t v = 0; v < V; ++v) {
      const u64 p0 = mul_low32<A>(c[v][0], m0);
      const u64 p1 = mul_low32<A>(c[v][2], m1);
      // The old low words with the key first: off the chain of multiplies.
      c[v][0] = high32<A>(p1) ^ (c[v][1] ^ key0);
      c[v][1] = p1;
      c[v][2] = high32<A>(p0) ^ (c[v][3] ^ key1);
      c[v][3] = p0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

/// The counters of random::bits(k, index, step, draw), for the indices of
/// `index` (one per lane, any 64-bit values), set up for philox4x32_10 above.
template <class A>
std::array<lanes64<A>, 4> bits_counter(key k, const lanes64<A>& index, std::uint64_t step, std::uint32_t draw) {
  using u64 = lanes64<A>;
  return {index, u64(std::uint64_t{k.stream}) ^ ((index >> 32) << 20),
          u64(std::uint64_t{static_cast<std::uint32_t>(step)}),
          u64(std::uint64_t{static_cast<std::uint32_t>(step >> 32 << 16) | (draw & 0xFFFFu)})};
}

/// random::bits(k, index + l, step, draw) for l in [0, L), in batches.
template <std::size_t L, class A = xsimd::default_arch>
std::array<block, L> bits_of_lanes(key k, std::uint64_t index, std::uint64_t step, std::uint32_t draw) {
  using u64 = lanes64<A>;
  constexpr std::size_t V = (L + u64::size - 1) / u64::size;
  alignas(64) std::uint64_t lane[u64::size];
  for (std::size_t l = 0; l < u64::size; ++l) lane[l] = l;
  const u64 offsets = u64::load_aligned(lane);
  std::array<std::array<u64, 4>, V> c;
  for (std::size_t v = 0; v < V; ++v)
    c[v] = bits_counter<A>(k, u64(index + v * u64::size) + offsets, step, draw);
  philox4x32_10<V, A>(c, k.seed);
  std::array<block, L> out;
  for (std::size_t v = 0; v < V; ++v)
    for (std::size_t w = 0; w < 4; ++w) {
      c[v][w].store_aligned(lane);
      for (std::size_t l = 0; l < u64::size && v * u64::size + l < L; ++l)
        out[v * u64::size + l][w] = static_cast<std::uint32_t>(lane[l]);
    }
  return out;
}

}  // namespace spikeweave::random::detail
