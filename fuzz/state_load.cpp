// Fuzz target: the full-state load of an .npz (io::state_io::load_from with an npz_reader: what network::load and
// check_state do for .npz) into a small fixed network (fuzz/network.hpp). A load that throws, and any check_state, must leave the network exactly as it
// was (compared bit for bit; abort() if not); a load that succeeds must leave a network that runs.
//
// The first byte picks the options: bit 0 strict = false, bit 1 monitors, bit 2 only = {"E", "EE"}, bit 3
// populations = false, bit 4 projections = false, bit 5 check_state instead of load; and bit 6 what the rest is:
//   0: the .npz file itself (the zip and .npy layers included; their CRCs make deep changes rare);
//   1: a list of entries, written to an .npz by npz_writer, so the fuzzer reaches the state checks with valid
//      files: per entry a name (u8 length, bytes), a dtype (u8, index into `dtypes`, the last being a UTF-8
//      string), an element count (u16, little-endian) and the raw little-endian values.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/state.hpp>

#include "bombs.hpp"
#include "common.hpp"
#include "network.hpp"

namespace sw = spikeweave;
namespace io = spikeweave::io;
namespace fz = spikeweave::fuzz;

namespace {

constexpr std::string_view dtypes[] = {"<f8", "<f4", "|b1", "|i1", "<i2", "<i4", "<i8",
                                       "|u1", "<u2", "<u4", "<u8", "<U"};
constexpr std::size_t item_sizes[] = {8, 4, 1, 1, 2, 4, 8, 1, 2, 4, 8, 1};

sw::state_options options_of(std::uint8_t bits) {
  sw::state_options o;
  o.strict = (bits & 1) == 0;
  o.monitors = (bits & 2) != 0;
  if (bits & 4) o.only = {"E", "EE"};
  o.populations = (bits & 8) == 0;
  o.projections = (bits & 16) == 0;
  return o;
}
constexpr std::uint8_t check_only_bit = 32, entries_bit = 64;

template <class T>
void add_values(io::npz_writer& w, const std::string& name, std::string_view raw) {
  if constexpr (std::is_same_v<T, bool>) {
    const std::unique_ptr<bool[]> flags(new bool[raw.size()]);
    for (std::size_t k = 0; k < raw.size(); ++k) flags[k] = (raw[k] & 1) != 0;
    w.add(name, std::span<const bool>(flags.get(), raw.size()));
  } else {
    std::vector<T> values(raw.size() / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), raw.data(), values.size() * sizeof(T));
    w.add(name, values);
  }
}

/// Writes the entry list in `in` to an .npz at `path`; entries the writer refuses (bad names, duplicates,
/// strings that are not UTF-8) are left out.
void write_entries(std::span<const std::uint8_t> in, const std::string& path) {
  io::npz_writer w(path, {.compress = false});
  std::size_t p = 0;
  auto take = [&](std::size_t n) {
    const std::string_view s(reinterpret_cast<const char*>(in.data()) + p, std::min(n, in.size() - p));
    p += s.size();
    return s;
  };
  while (p < in.size()) {
    const std::string name(take(in[p++]));
    if (p + 3 > in.size()) break;
    const std::size_t kind = in[p] % std::size(dtypes);
    const std::size_t count = in[p + 1] | std::size_t{in[p + 2]} << 8;
    p += 3;
    const std::string_view raw = take(count * item_sizes[kind]);
    try {
      switch (kind) {
        case 0: add_values<double>(w, name, raw); break;
        case 1: add_values<float>(w, name, raw); break;
        case 2: add_values<bool>(w, name, raw); break;
        case 3: add_values<std::int8_t>(w, name, raw); break;
        case 4: add_values<std::int16_t>(w, name, raw); break;
        case 5: add_values<std::int32_t>(w, name, raw); break;
        case 6: add_values<std::int64_t>(w, name, raw); break;
        case 7: add_values<std::uint8_t>(w, name, raw); break;
        case 8: add_values<std::uint16_t>(w, name, raw); break;
        case 9: add_values<std::uint32_t>(w, name, raw); break;
        case 10: add_values<std::uint64_t>(w, name, raw); break;
        default: w.add_string(name, raw); break;
      }
    } catch (const sw::format_error&) {
    }
  }
  w.close();
}

template <class T>
void append_entry(std::string& out, const io::npz_reader& r, const std::string& name, std::size_t kind) {
  const std::vector<T> values = r.read<T>(name);
  out += static_cast<char>(name.size());
  out += name;
  out += static_cast<char>(kind);
  out += static_cast<char>(values.size() & 0xFF);
  out += static_cast<char>(values.size() >> 8);
  for (const T v : values) {
    const T x = v;
    out.append(reinterpret_cast<const char*>(&x), sizeof x);
  }
}

/// A saved state as an entry list (the inverse of write_entries).
std::string entries_of(const std::string& npz) {
  const io::npz_reader r(npz);
  std::string out;
  for (const std::string& name : r.names()) {
    const std::string dtype = r.info(name).dtype;
    if (dtype.starts_with("<U")) {
      const std::string text = r.read_string(name);
      out += static_cast<char>(name.size());
      out += name;
      out += static_cast<char>(std::size(dtypes) - 1);
      out += static_cast<char>(text.size() & 0xFF);
      out += static_cast<char>(text.size() >> 8);
      out += text;
      continue;
    }
    if (dtype == "<f8") append_entry<double>(out, r, name, 0);
    else if (dtype == "<f4") append_entry<float>(out, r, name, 1);
    else if (dtype == "|u1") append_entry<std::uint8_t>(out, r, name, 7);
    else if (dtype == "<u2") append_entry<std::uint16_t>(out, r, name, 8);
    else if (dtype == "<u4") append_entry<std::uint32_t>(out, r, name, 9);
    else if (dtype == "<u8") append_entry<std::uint64_t>(out, r, name, 10);
    else fz::bug("seed: entry '" + name + "' has dtype " + dtype + ", which entries_of does not know");
  }
  return out;
}

fz::network_type simulated(std::uint64_t seed, std::size_t n_e = 12, std::size_t n_i = 4) {
  auto n = fz::make_network(seed, n_e, n_i);
  n.simulate(20);  // spikes, spikes in transit, traces, monitors' data
  return n;
}

const fz::network_type& baseline() {
  static const fz::network_type net = simulated(5);
  return net;
}

void write_seeds(const std::filesystem::path& dir) {
  const std::string tmp = (fz::scratch_dir() / "seed.npz").string();
  auto save = [&](auto& net, std::uint8_t bits, bool compress, const std::string& name) {
    sw::state_options o = options_of(bits);
    o.compress = compress;
    io::npz_writer out(tmp, {.compress = compress});
    io::state_io::save_to(out, net, o);  // what net.save does for .npz
    fz::write_seed(dir, name, std::string(1, static_cast<char>(bits)) + fz::slurp(tmp));
    fz::write_seed(dir, "entries_" + name, std::string(1, static_cast<char>(bits | entries_bit)) + entries_of(tmp));
  };
  auto net = simulated(7);
  net.constant("k", 1.5);
  net.projection<"EE">().disable_learning();
  save(net, 0, true, "all.npz");
  save(net, 0, false, "all_stored.npz");
  save(net, 2, true, "monitors.npz");
  save(net, 4, false, "only_E_EE.npz");
  save(net, 1 | 16, false, "populations_only.npz");
  save(net, check_only_bit, true, "check.npz");
  auto other = simulated(9, 13, 3);  // a network of other sizes: a mismatch
  save(other, 0, false, "other_sizes.npz");
  // Metadata that inflates to 128 MiB (130 KB of .npz): refused from its .npy header, over the 64 MiB limit.
  fz::write_seed(dir, "bomb_metadata.npz",
                 std::string(1, '\0') + spikeweave::bombs::npz_zeros("metadata", "<U33554432", "()", std::uint64_t{128} << 20));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fz::seeds_on_request(write_seeds);
  (void)baseline();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const sw::state_options options = options_of(data[0]);
  const bool check_only = (data[0] & check_only_bit) != 0;
  std::string path;
  if (data[0] & entries_bit) {
    path = (fz::scratch_dir() / "entries.npz").string();
    write_entries({data + 1, size - 1}, path);
  } else {
    path = fz::input_file(data + 1, size - 1, ".npz");
  }
  static std::optional<fz::network_type> net;
  net.emplace(baseline());
  const std::string before = fz::snapshot(*net);
  try {
    // What network::load and io::check_state do for an .npz, called directly so that the target instantiates
    // the loader for npz_reader only (the others would triple its build time, which CI pays).
    if (check_only) {
      sw::state_options o = options;
      o.strict = false;
      o.verbose = false;
      (void)io::state_io::load_from(io::npz_reader(path), path, *net, o, false);
    } else {
      (void)io::state_io::load_from(io::npz_reader(path), path, *net, options);
    }
  } catch (const sw::error& e) {
    fz::refused(e);
    if (fz::snapshot(*net) != before) fz::bug("the load threw and yet changed the network");
    return 0;
  }
  if (check_only && fz::snapshot(*net) != before) fz::bug("check_state changed the network");
  net->simulate(0.5);  // what was loaded passed every check: the network must run
  return 0;
}
