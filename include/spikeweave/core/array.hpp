// What monitors return: a small row-major array that owns its values, and a one-dimensional view; no xtensor.
//
// They offer what the xtensor containers monitors used to return offered for
// reading (shape(), size(), data(), element access with (), flat iteration),
// at the cost of <vector> and <span>. For xtensor's algebra, include
// <spikeweave/core/xtensor.hpp> and call spikeweave::to_xtensor or spikeweave::adapt.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace spikeweave {

/// A row-major array of `Rank` dimensions that owns its values (a monitor's times or samples).
template <class T, std::size_t Rank = 1>
class array {
  static_assert(Rank >= 1, "spikeweave::array: Rank must be at least 1");

 public:
  using value_type = T;
  using size_type = std::size_t;
  using shape_type = std::array<std::size_t, Rank>;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  array() = default;
  /// `shape`, every value `value`.
  explicit array(const shape_type& shape, const T& value = T{}) : shape_(shape), values_(count(shape), value) {}

  /// Number of dimensions.
  [[nodiscard]] static constexpr std::size_t dimension() { return Rank; }
  /// Extent of every dimension.
  [[nodiscard]] const shape_type& shape() const { return shape_; }
  /// Number of values (the product of the shape).
  [[nodiscard]] std::size_t size() const { return values_.size(); }
  [[nodiscard]] bool empty() const { return values_.empty(); }
  /// The values, row-major.
  [[nodiscard]] T* data() { return values_.data(); }
  [[nodiscard]] const T* data() const { return values_.data(); }
  [[nodiscard]] iterator begin() { return values_.begin(); }
  [[nodiscard]] iterator end() { return values_.end(); }
  [[nodiscard]] const_iterator begin() const { return values_.begin(); }
  [[nodiscard]] const_iterator end() const { return values_.end(); }

  /// The value at (i, j, ...), one index per dimension (unchecked).
  template <class... I>
    requires(sizeof...(I) == Rank)
  [[nodiscard]] T& operator()(I... i) {
    return values_[offset({static_cast<std::size_t>(i)...})];
  }
  template <class... I>
    requires(sizeof...(I) == Rank)
  [[nodiscard]] const T& operator()(I... i) const {
    return values_[offset({static_cast<std::size_t>(i)...})];
  }
  /// The k-th value of a one-dimensional array (unchecked).
  [[nodiscard]] T& operator[](std::size_t k)
    requires(Rank == 1)
  {
    return values_[k];
  }
  [[nodiscard]] const T& operator[](std::size_t k) const
    requires(Rank == 1)
  {
    return values_[k];
  }

  /// The values, row-major, as a span.
  [[nodiscard]] operator std::span<const T>() const { return {values_.data(), values_.size()}; }  // NOLINT
  /// Moves the values out, row-major.
  [[nodiscard]] std::vector<T> release() && { return std::move(values_); }

 private:
  static std::size_t count(const shape_type& shape) {
    std::size_t n = 1;
    for (auto e : shape) n *= e;
    return n;
  }
  [[nodiscard]] std::size_t offset(const shape_type& index) const {
    std::size_t at = 0;
    for (std::size_t d = 0; d < Rank; ++d) at = at * shape_[d] + index[d];
    return at;
  }

  shape_type shape_{};
  std::vector<T> values_;
};

/// Values a monitor keeps (spike indices, rates), seen without a copy: valid
/// until the monitor records again, is cleared or is destroyed.
template <class T>
class array_view : public std::span<const T> {
 public:
  using std::span<const T>::span;
  array_view(std::span<const T> values) : std::span<const T>(values) {}  // NOLINT: a span is a view
  /// Number of dimensions.
  [[nodiscard]] static constexpr std::size_t dimension() { return 1; }
  [[nodiscard]] std::array<std::size_t, 1> shape() const { return {this->size()}; }
  /// The k-th value (unchecked).
  [[nodiscard]] const T& operator()(std::size_t k) const { return (*this)[k]; }
};

}  // namespace spikeweave
