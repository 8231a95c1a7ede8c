// Compile-time reflection of model structs; the one header that talks to Boost.Hana.
//
// A struct is reflected when Hana knows its members: either declared inside it
// with BOOST_HANA_DEFINE_STRUCT (templates such as `variables<T>`) or listed
// after it with BOOST_HANA_ADAPT_STRUCT (structs with default member values,
// such as `parameters`). Both macros are made available by this header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/hana/accessors.hpp>
#include <boost/hana/adapt_struct.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/unpack.hpp>

#include "detail/member_names.hpp"
#include "fixed_string.hpp"

namespace spikeweave::reflect {

namespace hana = boost::hana;

/// True for a struct whose members Hana knows.
template <class S>
concept reflected = hana::Struct<std::remove_cvref_t<S>>::value;

/// Number of reflected members.
template <reflected S>
inline constexpr std::size_t field_count =
    decltype(hana::length(hana::accessors<std::remove_cvref_t<S>>()))::value;

/// The reflected members' names, in declaration order.
template <reflected S>
constexpr std::array<std::string_view, field_count<S>> field_names() {
  return hana::unpack(hana::accessors<std::remove_cvref_t<S>>(), [](auto... member) {
    return std::array<std::string_view, sizeof...(member)>{
        std::string_view(hana::to<const char*>(hana::first(member)))...};
  });
}

/// Index of the member called `name`, or field_count<S> when there is none.
template <reflected S>
constexpr std::size_t field_index(std::string_view name) {
  constexpr auto names = field_names<S>();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  return names.size();
}

/// True when S has a member called `name`.
template <reflected S>
constexpr bool has_field(std::string_view name) {
  return field_index<S>(name) < field_count<S>;
}

/// The I-th member of `s` (a reference, const if `s` is).
template <std::size_t I, class S>
  requires reflected<S>
constexpr decltype(auto) get(S&& s) {
  return hana::second(hana::at_c<I>(hana::accessors<std::remove_cvref_t<S>>()))(
      std::forward<S>(s));
}

/// Type of the I-th member.
template <std::size_t I, reflected S>
using field_type = std::remove_cvref_t<decltype(get<I>(std::declval<S&>()))>;

/// Calls f(std::integral_constant<std::size_t, I>) for I in [0, field_count<S>).
template <reflected S, class F>
constexpr void for_each_index(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<field_count<S>>{});
}

/// Calls f(name, member) for every member, in declaration order.
template <class S, class F>
  requires reflected<S>
constexpr void for_each_field(S&& s, F&& f) {
  constexpr auto names = field_names<S>();
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(names[I], get<I>(s)), ...);
  }(std::make_index_sequence<field_count<S>>{});
}

/// Calls f(name, a.m, b.m, ...) member by member over instances of the same
/// struct or of one template instantiated with different member types
/// (e.g. `variables<double>` and `variables<xsimd::batch<double>>`).
template <class F, class S, class... Ss>
  requires reflected<S>
constexpr void for_each_field_of(F&& f, S&& s, Ss&&... others) {
  static_assert(((field_count<Ss> == field_count<S>) && ...),
                "for_each_field_of: the structs must have the same members");
  constexpr auto names = field_names<S>();
  for_each_index<S>([&](auto i) { f(names[i], get<i>(s), get<i>(others)...); });
}

namespace detail {

// Converts to anything: counts the members an aggregate can be initialised with.
struct any_value {
  template <class T>
  constexpr operator T() const noexcept;  // NOLINT: only used unevaluated
};

template <class S, std::size_t... I>
constexpr bool brace_constructible(std::index_sequence<I...>) {
  return requires { S{(static_cast<void>(I), any_value{})...}; };
}

template <class S, std::size_t N = 0>
constexpr std::size_t aggregate_arity() {
  if constexpr (N > 64 || !brace_constructible<S>(std::make_index_sequence<N + 1>{}))
    return N;
  else
    return aggregate_arity<S, N + 1>();
}

constexpr std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace detail

/// Number of members of an aggregate (counted without reflection), used to
/// catch a member left out of a BOOST_HANA_ADAPT_STRUCT list.
template <class S>
inline constexpr std::size_t aggregate_member_count =
    std::is_aggregate_v<S> ? detail::aggregate_arity<S>() : 0;

/// True when every member of the aggregate S is reflected.
template <class S>
concept completely_reflected =
    reflected<S> && (!std::is_aggregate_v<S> || aggregate_member_count<S> == field_count<S>);

/// Instantiated only when BOOST_HANA_ADAPT_STRUCT(S, ...) leaves out members of S:
/// the compiler's "In instantiation of" line names S, the position of the
/// first member left out (0 for the first member), its name (with GCC) and
/// how many are left out.
template <class S, std::size_t Position, fixed_string Name, std::size_t LeftOut>
struct adapt_struct_leaves_out {
  static_assert(LeftOut == 0,
                "spikeweave: BOOST_HANA_ADAPT_STRUCT leaves out members of a struct: `adapt_struct_leaves_out<"
                "struct, position of the first member left out, its name, how many>` above names them; "
                "list every member");
  static constexpr bool value = LeftOut == 0;
};

namespace detail {

// True when a reflected member of S lives at `address` (a member of fake_object<S>).
template <class S>
consteval bool listed(const void* address) {
  return hana::unpack(hana::accessors<S>(), [&](auto... member) {
    return ((static_cast<const void*>(&hana::second(member)(fake_object<S>)) == address) || ...);
  });
}

// Position of the first member of the aggregate S that is not reflected
// (aggregate_member_count<S> if none is found).
template <class S>
consteval std::size_t first_unlisted_member() {
  constexpr std::size_t n = aggregate_member_count<S>;
  if constexpr (n == 0 || n > max_named_members) {
    return n;
  } else {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      const bool unlisted[] = {!listed<S>(member_address<S, n, I>())...};
      std::size_t i = 0;
      while (i < n && !unlisted[i]) ++i;
      return i;
    }(std::make_index_sequence<n>{});
  }
}

// Name of member `position` of the aggregate S, empty where unknown.
template <class S>
consteval fixed_string member_name_at(std::size_t position) {
  constexpr std::size_t n = aggregate_member_count<S>;
  if constexpr (n == 0 || n > max_named_members) {
    return {};
  } else {
    return [position]<std::size_t... I>(std::index_sequence<I...>) {
      const std::string_view names[] = {member_name<S, n, I>()...};
      return position < n ? fixed_string(names[position].substr(0, fixed_string::capacity)) : fixed_string{};
    }(std::make_index_sequence<n>{});
  }
}

}  // namespace detail

/// True when BOOST_HANA_ADAPT_STRUCT lists every member of S; otherwise a
/// compile error that names S and the members left out (adapt_struct_leaves_out).
template <reflected S>
consteval bool lists_every_member() {
  if constexpr (completely_reflected<S>) {
    return true;
  } else {
    constexpr std::size_t members = aggregate_member_count<S>, listed = field_count<S>;
    constexpr std::size_t position = detail::first_unlisted_member<S>();
    (void)adapt_struct_leaves_out<S, position, detail::member_name_at<S>(position),
                                  (members > listed ? members - listed : 0)>::value;
    return false;
  }
}

/// Member names joined by ", ", as a template argument: "v, g_e, g_i".
template <std::size_t N>
struct name_list {
  char names[N]{};
};

/// The reflected member names of S as a name_list.
template <reflected S>
consteval auto joined_field_names() {
  constexpr auto names = field_names<S>();
  constexpr std::size_t length = [&] {
    std::size_t n = 1;
    for (auto name : names) n += name.size() + 2;
    return n;
  }();
  name_list<length> out;
  std::size_t at = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) {
      out.names[at++] = ',';
      out.names[at++] = ' ';
    }
    for (char c : names[i]) out.names[at++] = c;
  }
  return out;
}

/// Instantiated only when S has no member called Name: the compiler's "In
/// instantiation of" line names S, the name asked for and the names S has.
template <class S, fixed_string Name, auto Members>
struct no_member_named {
  static_assert(Name.empty() && !Name.empty(),
                "spikeweave: no member of that name: `no_member_named<struct, name asked for, the names it has>` "
                "above names them");
  static constexpr bool value = false;
};

/// True when S has a member called Name; otherwise a compile error that
/// names the struct, the name and the members it has (no_member_named).
template <reflected S, fixed_string Name>
consteval bool require_field() {
  if constexpr (has_field<S>(Name.view())) {
    return true;
  } else {
    (void)no_member_named<S, Name, joined_field_names<S>()>::value;
    return false;
  }
}

/// A short, stable name of a member type: f64, f32, i32, u64, bool, or {..} for a struct.
template <class T>
std::string type_code() {
  if constexpr (std::is_same_v<T, double>) return "f64";
  else if constexpr (std::is_same_v<T, float>) return "f32";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_integral_v<T>) {
    std::string out(std::is_signed_v<T> ? "i" : "u");  // not "i" + string: GCC 12 -Wrestrict
    return out += std::to_string(8 * sizeof(T));
  }
  else if constexpr (reflected<T>) {
    std::string out = "{";
    constexpr auto names = field_names<T>();
    for_each_index<T>([&](auto i) {
      out += std::string(names[i]) + ":" + type_code<field_type<i, T>>() + ";";
    });
    return out + "}";
  } else {
    static_assert(sizeof(T) == 0,
                  "spikeweave: reflected members must be arithmetic or reflected structs");
  }
}

namespace detail {
// The T of "[with T = ...; ...]" (GCC), "[T = ...]" (Clang) or "type_name<...>(void)" (MSVC).
constexpr std::string_view type_name_in(std::string_view pretty) {
  std::size_t from = pretty.find("T = ");
  if (from != std::string_view::npos) {
    from += 4;
    std::size_t to = from;
    for (int depth = 0; to < pretty.size(); ++to) {
      const char c = pretty[to];
      if (c == '<' || c == '(' || c == '[') ++depth;
      else if ((c == '>' || c == ')' || c == ']') && depth > 0) --depth;
      else if ((c == ';' || c == ']') && depth == 0) break;
    }
    return pretty.substr(from, to - from);
  }
  from = pretty.find("type_name<");
  if (from == std::string_view::npos) return pretty;
  from += 10;
  const std::size_t to = pretty.rfind(">(");
  std::string_view name = pretty.substr(from, to == std::string_view::npos ? 0 : to - from);
  for (std::string_view tag : {"struct ", "class "})
    if (name.starts_with(tag)) name.remove_prefix(tag.size());
  return name;
}
}  // namespace detail

/// T's name as the compiler spells it, e.g. "spikeweave::models::lif_curr_exp" (the same with GCC and Clang
/// for a class outside templates; template arguments may be spelled differently).
template <class T>
constexpr std::string_view type_name() {
#if defined(_MSC_VER) && !defined(__clang__)
  return detail::type_name_in(__FUNCSIG__);
#else
  return detail::type_name_in(__PRETTY_FUNCTION__);
#endif
}

/// A hash of the member names and types of S (FNV-1a of its type_code).
template <reflected S>
std::uint64_t fingerprint() {
  return detail::fnv1a(0xcbf29ce484222325ULL, type_code<S>());
}

}  // namespace spikeweave::reflect
