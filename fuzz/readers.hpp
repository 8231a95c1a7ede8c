// What the reader targets share: every entry of a reader with npz_reader's API (npz_reader, archive_reader,
// h5_reader) described and read as every element type; only spikeweave's exceptions are allowed, and what is
// read must agree with info().
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <spikeweave/io/npz.hpp>

#include "common.hpp"

namespace spikeweave::fuzz {

/// read<T> of entry `name`: a format_error when T is not its dtype, else info().size values (and, where the
/// reader has read_into, the same values through it).
template <class T, class Reader>
void read_as(const Reader& r, const std::string& name, const io::npz_info& info) {
  if (!io::detail::same_dtype(info.dtype, io::npy_dtype<T>())) {
    try {
      (void)r.template read<T>(name);
      bug("read<" + io::npy_dtype<T>() + "> of entry '" + name + "' with dtype '" + info.dtype + "' succeeded");
    } catch (const spikeweave::format_error&) {
    }
    return;
  }
  const std::vector<T> v = r.template read<T>(name);
  if (v.size() != info.size) bug("entry '" + name + "': read<T> gave a size other than info().size");
  if constexpr (!std::is_same_v<T, bool>) {
    if (info.item_size != sizeof(T)) bug("entry '" + name + "': read<T> succeeded with info().item_size != sizeof(T)");
    if constexpr (requires(std::span<T> out) { r.read_into(name, out); }) {
      std::vector<T> again(info.size);
      r.read_into(name, std::span<T>(again));
      if (!v.empty() && std::memcmp(again.data(), v.data(), v.size() * sizeof(T)) != 0)
        bug("entry '" + name + "': read_into differs from read");
    }
  }
}

/// Entries larger than this are described but not read: their data is really in the file (a deflated
/// entry of 1 GiB of zeros takes 1 MB), so reading them takes what they hold, which is no bug; run.sh's
/// -malloc_limit_mb=64 is for allocations the data does not back (sizes believed before the data is there).
inline constexpr std::uint64_t max_read_bytes = std::uint64_t{32} << 20;

/// Entry `name` described (info() consistent with itself) and read in every way.
template <class Reader>
void read_entry(const Reader& r, const std::string& name) {
  const io::npz_info info = r.info(name);
  std::uint64_t product = 0;
  if (info.name != name || !io::detail::shape_product(info.shape, product) || product != info.size)
    bug("entry '" + name + "': info() is inconsistent");
  if (info.item_size != 0 && info.size > max_read_bytes / info.item_size) return;
  auto attempt = [](auto&& f) {
    try {
      f();
    } catch (const spikeweave::error&) {
    }
  };
  attempt([&] { read_as<double>(r, name, info); });
  attempt([&] { read_as<float>(r, name, info); });
  attempt([&] { read_as<bool>(r, name, info); });
  attempt([&] { read_as<std::int8_t>(r, name, info); });
  attempt([&] { read_as<std::int16_t>(r, name, info); });
  attempt([&] { read_as<std::int32_t>(r, name, info); });
  attempt([&] { read_as<std::int64_t>(r, name, info); });
  attempt([&] { read_as<std::uint8_t>(r, name, info); });
  attempt([&] { read_as<std::uint16_t>(r, name, info); });
  attempt([&] { read_as<std::uint32_t>(r, name, info); });
  attempt([&] { read_as<std::uint64_t>(r, name, info); });
  attempt([&] { (void)r.read_string(name); });
}

}  // namespace spikeweave::fuzz
