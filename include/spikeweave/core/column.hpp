// One aligned, padded array per state variable: the structure-of-arrays storage.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include <xsimd/xsimd.hpp>

namespace spikeweave {

/// Values of one variable for every neuron of a population. The storage is
/// aligned for xsimd and padded to whole batches, so the update loop runs on
/// full batches only; `size()` and iteration cover the real neurons.
template <class Real>
class column {
 public:
  using value_type = Real;
  static constexpr std::size_t lanes = xsimd::batch<Real>::size;

  column() = default;
  explicit column(std::size_t n, Real value = Real(0))
      : data_((n + lanes - 1) / lanes * lanes, value), size_(n) {}

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t padded_size() const { return data_.size(); }
  Real* data() { return data_.data(); }
  const Real* data() const { return data_.data(); }
  Real& operator[](std::size_t i) { return data_[i]; }
  const Real& operator[](std::size_t i) const { return data_[i]; }
  Real* begin() { return data(); }
  Real* end() { return data() + size_; }
  const Real* begin() const { return data(); }
  const Real* end() const { return data() + size_; }
  operator std::span<Real>() { return {data(), size_}; }              // NOLINT: a view of it
  operator std::span<const Real>() const { return {data(), size_}; }  // NOLINT
  [[nodiscard]] std::span<Real> span() { return *this; }
  [[nodiscard]] std::span<const Real> span() const { return *this; }

  /// Copies the last real value into the padding, so padded lanes compute
  /// harmless numbers.
  void fill_padding() {
    if (size_ == 0) return;
    for (std::size_t i = size_; i < data_.size(); ++i) data_[i] = data_[size_ - 1];
  }

 private:
  std::vector<Real, xsimd::aligned_allocator<Real>> data_;
  std::size_t size_ = 0;
};

}  // namespace spikeweave
