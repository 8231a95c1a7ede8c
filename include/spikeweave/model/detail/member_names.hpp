// Names of an aggregate's members, without reflection: used only to say which member a
// BOOST_HANA_ADAPT_STRUCT list leaves out (reflect::lists_every_member).
//
// Structured bindings give the address of every member of an object that is
// never defined (only addresses are taken); GCC spells a pointer template
// argument `(& fake_object<S>.S::name)` in __PRETTY_FUNCTION__, which gives the
// name. Clang 14 takes no pointer to a subobject as a template argument: there,
// the member is named by its position. Up to 39 members, the limit of a
// reflected struct (Boost 1.74's BOOST_HANA_DEFINE_STRUCT).
#pragma once

#include <cstddef>
#include <string_view>

namespace spikeweave::reflect::detail {

template <class S>
extern const S fake_object;  // never defined: only the addresses of its members are used

template <std::size_t I, class First, class... Rest>
constexpr const auto* nth(const First& first, const Rest&... rest) {
  if constexpr (I == 0)
    return &first;
  else
    return nth<I - 1>(rest...);
}

/// Most members member_address handles.
inline constexpr std::size_t max_named_members = 39;

/// Address of member I of fake_object<S>, S an aggregate of N members (a null
/// int pointer beyond max_named_members).
template <class S, std::size_t N, std::size_t I>
consteval const auto* member_address() {
  if constexpr (N == 1) {
    const auto& [m0] = fake_object<S>;
    return nth<I>(m0);
  } else if constexpr (N == 2) {
    const auto& [m0, m1] = fake_object<S>;
    return nth<I>(m0, m1);
  } else if constexpr (N == 3) {
    const auto& [m0, m1, m2] = fake_object<S>;
    return nth<I>(m0, m1, m2);
  } else if constexpr (N == 4) {
    const auto& [m0, m1, m2, m3] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3);
  } else if constexpr (N == 5) {
    const auto& [m0, m1, m2, m3, m4] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4);
  } else if constexpr (N == 6) {
    const auto& [m0, m1, m2, m3, m4, m5] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5);
  } else if constexpr (N == 7) {
    const auto& [m0, m1, m2, m3, m4, m5, m6] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6);
  } else if constexpr (N == 8) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7);
  } else if constexpr (N == 9) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8);
  } else if constexpr (N == 10) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9);
  } else if constexpr (N == 11) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10);
  } else if constexpr (N == 12) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11);
  } else if constexpr (N == 13) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12);
  } else if constexpr (N == 14) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13);
  } else if constexpr (N == 15) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14);
  } else if constexpr (N == 16) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15);
  } else if constexpr (N == 17) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16);
  } else if constexpr (N == 18) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17] =
          fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17);
  } else if constexpr (N == 19) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18] =
          fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18);
  } else if constexpr (N == 20) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19] =
          fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19);
  } else if constexpr (N == 21) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20]
          = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19,
          m20);
  } else if constexpr (N == 22) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21);
  } else if constexpr (N == 23) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22);
  } else if constexpr (N == 24) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23);
  } else if constexpr (N == 25) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24);
  } else if constexpr (N == 26) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25);
  } else if constexpr (N == 27) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26);
  } else if constexpr (N == 28) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27);
  } else if constexpr (N == 29) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28);
  } else if constexpr (N == 30) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29);
  } else if constexpr (N == 31) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30);
  } else if constexpr (N == 32) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31);
  } else if constexpr (N == 33) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32);
  } else if constexpr (N == 34) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33);
  } else if constexpr (N == 35) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34);
  } else if constexpr (N == 36) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35);
  } else if constexpr (N == 37) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36);
  } else if constexpr (N == 38) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36, m37] = fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36, m37);
  } else if constexpr (N == 39) {
    const auto& [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36, m37, m38] =
          fake_object<S>;
    return nth<I>(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16, m17, m18, m19, m20,
          m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31, m32, m33, m34, m35, m36, m37, m38);
  } else {
    return static_cast<const int*>(nullptr);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
template <auto Address>
consteval const char* spelling() {
  return __PRETTY_FUNCTION__;  // "... [with auto Address = (& fake_object<S>.S::name)]"
}
#endif

/// Name of member I of the aggregate S of N members; empty where the compiler does not tell.
template <class S, std::size_t N, std::size_t I>
consteval std::string_view member_name() {
#if defined(__GNUC__) && !defined(__clang__)
  if constexpr (N <= max_named_members) {
    const std::string_view s = spelling<member_address<S, N, I>()>();
    const std::size_t end = s.rfind(')');
    const std::size_t begin = s.find_last_of(":.", end);
    if (end != std::string_view::npos && begin != std::string_view::npos && begin < end)
      return s.substr(begin + 1, end - begin - 1);
  }
#endif
  return {};
}

}  // namespace spikeweave::reflect::detail
