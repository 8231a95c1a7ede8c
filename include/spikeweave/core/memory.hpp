// Large arrays on huge pages: what loads and the synapse index allocate.
//
// A vector of tens of megabytes on 4 KiB pages costs one page fault per
// 4 KiB when first written, and, when written or read out of order (the
// post -> pre index of a projection, delivery of spikes to random rows),
// a TLB miss almost every access. On Linux, asking for transparent huge
// pages (2 MiB) for such a vector before it is touched makes both rare:
// measured on the development machine, filling 80 MB took 0.013 s instead
// of 0.036 s and building a 10^7-synapse post -> pre index 0.08 s instead of
// 0.14 s. Where the kernel has no huge pages to give (THP off, memory
// fragmented) nothing changes but the speed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace spikeweave::detail {

/// Arrays at least this large are put on huge pages.
inline constexpr std::size_t large_array_bytes = std::size_t{8} << 20;

/// Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) with huge pages (no-op elsewhere).
inline void advise_huge_pages(const void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // best effort
#else
  (void)p, (void)bytes;
#endif
}

/// An allocator for a library's own large arrays: large ones on huge pages,
/// and elements default-initialised (resize() leaves them as the memory was:
/// for arrays that are written whole right after, by several threads,
/// which then also share the first touch of the pages).
template <class T>
struct uninitialized_allocator {
  using value_type = T;
  uninitialized_allocator() = default;
  template <class U>
  explicit(false) uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {}

  [[nodiscard]] T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < large_array_bytes) return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
    constexpr std::size_t huge = std::size_t{2} << 20;
    void* p = std::aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
    if (p == nullptr) throw std::bad_alloc();
    advise_huge_pages(p, bytes);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < large_array_bytes)
      ::operator delete(p, std::align_val_t{alignof(T)});
    else
      std::free(p);
  }
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const uninitialized_allocator<U>&) const noexcept {
    return true;
  }
};

/// A vector of `n` zeros; a large one on huge pages.
template <class T>
std::vector<T> large_vector(std::size_t n) {
  std::vector<T> v;
  if (n * sizeof(T) >= large_array_bytes) {
    v.reserve(n);  // allocated, not yet touched
    advise_huge_pages(v.data(), n * sizeof(T));
  }
  v.resize(n);
  return v;
}

}  // namespace spikeweave::detail
