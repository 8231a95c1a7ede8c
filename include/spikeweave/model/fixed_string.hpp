// A short string usable as a template argument: names of populations and variables.
#pragma once

#include <cstddef>
#include <string_view>

namespace spikeweave {

/// A name known at compile time, e.g. the "E" of `population<lif_cond_exp, "E">`.
struct fixed_string {
  static constexpr std::size_t capacity = 47;
  char chars[capacity + 1]{};
  std::size_t length = 0;

  constexpr fixed_string() = default;
  template <std::size_t N>
  consteval fixed_string(const char (&s)[N]) {  // NOLINT: implicit from a literal on purpose
    if (N - 1 > capacity) throw "spikeweave: a name has at most 47 characters";
    for (std::size_t i = 0; i + 1 < N; ++i) chars[i] = s[i];
    length = N - 1;
  }
  constexpr fixed_string(std::string_view s) {
    if (s.size() > capacity) throw "spikeweave: a name has at most 47 characters";
    for (std::size_t i = 0; i < s.size(); ++i) chars[i] = s[i];
    length = s.size();
  }

  [[nodiscard]] constexpr std::string_view view() const { return {chars, length}; }
  [[nodiscard]] constexpr bool empty() const { return length == 0; }
  constexpr bool operator==(const fixed_string&) const = default;
};

/// `prefix` followed by the decimal digits of `n`: the default names pop0, pop1, ...
constexpr fixed_string numbered_name(std::string_view prefix, std::size_t n) {
  char digits[24]{};
  std::size_t k = 0;
  do {
    digits[k++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  fixed_string out{prefix};
  while (k != 0) out.chars[out.length++] = digits[--k];
  return out;
}

}  // namespace spikeweave
