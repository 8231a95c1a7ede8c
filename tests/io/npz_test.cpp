// .npz files: bit-exact round trips of every dtype, numpy reading ours and we numpy's, corrupt input, atomic saves.
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <zlib.h>

#include <catch2/catch.hpp>
#include <spikeweave/io/npz.hpp>

#include "support/two_threads.hpp"

namespace io = spikeweave::io;
namespace fs = std::filesystem;
using spikeweave::format_error;
using spikeweave::io_error;

namespace {

/// A fresh directory under the system's temporary directory, removed with its content.
struct scratch_dir {
  fs::path path;
  scratch_dir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("spikeweave_npz_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  /// Files whose name has the writer's temporary suffix.
  [[nodiscard]] int temporaries() const {
    int n = 0;
    for (const auto& f : fs::recursive_directory_iterator(path))
      if (f.path().filename().string().find(".tmp-") != std::string::npos) ++n;
    return n;
  }
};

using byte_vector = std::vector<unsigned char>;

byte_vector slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const std::string& path, const byte_vector& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

void spit_text(const std::string& path, const std::string& text) {
  spit(path, byte_vector(text.begin(), text.end()));
}

template <class Error, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(not thrown)";
}

/// True when /usr/bin/python3 imports numpy; warns once when it does not.
bool have_numpy() {
  static const bool yes = [] {
    const bool ok = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
    if (!ok) WARN("/usr/bin/python3 with numpy (Debian: python3-numpy) is missing: numpy checks are skipped");
    return ok;
  }();
  return yes;
}

/// Runs a Python script file with /usr/bin/python3 and the given arguments; true when it exits with 0.
bool run_python(const std::string& script, const std::vector<std::string>& args) {
  std::string cmd = "/usr/bin/python3 '" + script + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  return std::system(cmd.c_str()) == 0;
}

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// n values of T: the extremes first, then arbitrary bit patterns (NaNs with payloads, denormals, ...).
template <class T>
struct sample {
  std::unique_ptr<T[]> data;
  std::size_t n;
  explicit sample(std::size_t count, std::uint64_t seed = 1) : data(new T[count]), n(count) {
    using lim = std::numeric_limits<T>;
    std::vector<T> special;
    if constexpr (std::is_same_v<T, bool>) {
      special = {true, false};
    } else if constexpr (std::is_floating_point_v<T>) {
      special = {T(0), -T(0), lim::infinity(), -lim::infinity(), lim::quiet_NaN(), lim::signaling_NaN(),
                 lim::denorm_min(), lim::max(), lim::lowest(), lim::min(), lim::epsilon()};
    } else {
      special = {lim::min(), lim::max(), T(0), T(1), T(lim::max() - 1)};
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (i < special.size()) {
        data[i] = special[i];
      } else if constexpr (std::is_same_v<T, bool>) {
        data[i] = (splitmix(seed * 7919 + i) & 1) != 0;
      } else {
        const std::uint64_t bits = splitmix(seed * 7919 + i);
        std::memcpy(&data[i], &bits, sizeof(T));
      }
    }
  }
  [[nodiscard]] std::span<const T> span() const { return {data.get(), n}; }
};

/// Equal bit for bit (bools by value: std::vector<bool> has no bytes to compare).
template <class T>
bool same_bits(std::span<const T> expected, const std::vector<T>& got) {
  if (expected.size() != got.size()) return false;
  if constexpr (std::is_same_v<T, bool>) {
    for (std::size_t i = 0; i < got.size(); ++i)
      if (expected[i] != got[i]) return false;
    return true;
  } else {
    return got.empty() || std::memcmp(expected.data(), got.data(), got.size() * sizeof(T)) == 0;
  }
}

/// Offset of the last occurrence of a 4-byte zip signature.
std::size_t last_signature(const byte_vector& b, std::uint32_t sig) {
  for (std::size_t i = b.size() - 3; i-- > 0;)
    if (b[i] == (sig & 0xFF) && b[i + 1] == ((sig >> 8) & 0xFF) && b[i + 2] == ((sig >> 16) & 0xFF) &&
        b[i + 3] == (sig >> 24))
      return i;
  FAIL("signature not found");
  return 0;
}

void poke32(byte_vector& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<unsigned char>(v >> (8 * i));
}

std::uint32_t peek32(const byte_vector& b, std::size_t at) {
  return std::uint32_t{b[at]} | std::uint32_t{b[at + 1]} << 8 | std::uint32_t{b[at + 2]} << 16 |
         std::uint32_t{b[at + 3]} << 24;
}

// The Python that writes the numpy fixtures (tests/io/data/ was made with it by numpy 1.24.2).
constexpr const char* numpy_writer_py = R"PY(
import sys
import numpy as np
out = sys.argv[1]
arrays = {
    "f8": np.array([0.5, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, np.nan], dtype="<f8"),
    "f4": np.array([[1.5, -2.25, 3.0], [0.0, 1e-45, 3.4028235e38]], dtype="<f4"),
    "b1": np.array([True, False, True]),
    "scalar": np.array(2.5),
    "empty": np.zeros((3, 0), dtype="<i4"),
    "cube": np.arange(24, dtype="<i8").reshape(2, 3, 4),
    "populations/E/v": np.linspace(-70, -50, 5),
    "metadata": np.array('{"unit": "mV", "text": "\u00b5\u20ac\U0001F600"}'),
    "bytes_S": np.array(b"hello"),
    "bytes_u1": np.frombuffer(b"hello", dtype=np.uint8),
    "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "big_endian": np.array([1.0, 2.0], dtype=">f8"),
}
for t in ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
    arrays[t] = np.array([np.iinfo(t).min, 0, np.iinfo(t).max], dtype=t)
np.savez(out + "/numpy_savez.npz", **arrays)
np.savez_compressed(out + "/numpy_savez_compressed.npz", **arrays)
)PY";

template <class T>
void check_min_zero_max(const io::npz_reader& r, const std::string& name) {
  const std::vector<T> want{std::numeric_limits<T>::min(), T(0), std::numeric_limits<T>::max()};
  CHECK(r.read<T>(name) == want);
  CHECK(r.info(name).dtype == io::npy_dtype<T>());
}

/// Checks an archive written by numpy_writer_py.
void check_numpy_archive(const std::string& path, bool compressed) {
  INFO(path);
  io::npz_reader r(path);
  CHECK(r.names().size() == 20);
  CHECK(r.info("f8").compressed == compressed);

  const auto f8 = r.read<double>("f8");
  const std::vector<std::uint64_t> f8_bits{0x3FE0000000000000, 0x8000000000000000, 0x7FF0000000000000,
                                           0xFFF0000000000000, 0x0000000000000001, 0x7FEFFFFFFFFFFFFF,
                                           0x7FF8000000000000};
  REQUIRE(f8.size() == f8_bits.size());
  for (std::size_t i = 0; i < f8.size(); ++i) CHECK(std::bit_cast<std::uint64_t>(f8[i]) == f8_bits[i]);

  CHECK(r.info("f4").shape == std::vector<std::uint64_t>{2, 3});
  CHECK(r.read<float>("f4") == std::vector<float>{1.5f, -2.25f, 3.0f, 0.0f, std::numeric_limits<float>::denorm_min(),
                                                  std::numeric_limits<float>::max()});
  CHECK(r.read<bool>("b1") == std::vector<bool>{true, false, true});
  CHECK(r.info("scalar").shape.empty());
  CHECK(r.read<double>("scalar") == std::vector<double>{2.5});
  CHECK(r.info("empty").shape == std::vector<std::uint64_t>{3, 0});
  CHECK(r.read<std::int32_t>("empty").empty());
  CHECK(r.info("cube").shape == std::vector<std::uint64_t>{2, 3, 4});
  const auto cube = r.read<std::int64_t>("cube");
  REQUIRE(cube.size() == 24);
  for (std::size_t i = 0; i < 24; ++i) CHECK(cube[i] == static_cast<std::int64_t>(i));
  CHECK(r.read<double>("populations/E/v") == std::vector<double>{-70, -65, -60, -55, -50});
  CHECK(r.read_string("metadata") ==
        "{\"unit\": \"mV\", \"text\": \"\xc2\xb5\xe2\x82\xac\xf0\x9f\x98\x80\"}");
  CHECK(r.info("metadata").dtype == "<U29");
  CHECK(r.read_string("bytes_S") == "hello");
  CHECK(r.read_string("bytes_u1") == "hello");
  CHECK(r.read<std::uint8_t>("bytes_u1") == std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'});
  CHECK(r.info("fortran").fortran_order);
  CHECK(message_of<format_error>([&] { (void)r.read<double>("fortran"); }) ==
        path + ": entry 'fortran' is in Fortran (column-major) order, expected C order");
  CHECK(message_of<format_error>([&] { (void)r.read<double>("big_endian"); }) ==
        path + ": entry 'big_endian' has dtype '>f8', expected '<f8'");
  check_min_zero_max<std::int8_t>(r, "i1");
  check_min_zero_max<std::int16_t>(r, "i2");
  check_min_zero_max<std::int32_t>(r, "i4");
  check_min_zero_max<std::int64_t>(r, "i8");
  check_min_zero_max<std::uint8_t>(r, "u1");
  check_min_zero_max<std::uint16_t>(r, "u2");
  check_min_zero_max<std::uint32_t>(r, "u4");
  check_min_zero_max<std::uint64_t>(r, "u8");
}

fs::path fixture_dir() {
#ifdef SPIKEWEAVE_TEST_IO_DATA_DIR
  return SPIKEWEAVE_TEST_IO_DATA_DIR;
#else
  return fs::path(__FILE__).parent_path() / "data";
#endif
}

// numpy's check of files we write: every entry listed in a manifest (name, dtype, shape, file with the expected bytes).
constexpr const char* numpy_reader_py = R"PY(
import sys, zipfile
import numpy as np
path, manifest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(path) as z:
    bad = z.testzip()
    assert bad is None, "bad CRC in " + bad
d = np.load(path, allow_pickle=False)
rows = [line.rstrip("\n").split("\t") for line in open(manifest, encoding="utf-8")]
assert sorted(d.files) == sorted(r[0] for r in rows), (d.files, [r[0] for r in rows])
for name, dtype, shape, data in rows:
    a = d[name]
    assert a.dtype.str == dtype, (name, a.dtype.str, dtype)
    assert a.shape == tuple(int(s) for s in shape.split(",") if s), (name, a.shape, shape)
    if dtype.startswith("<U"):
        assert str(a) == open(data, encoding="utf-8").read(), (name, str(a))
    else:
        assert a.tobytes() == open(data, "rb").read(), name
)PY";

/// Writes entries and a manifest of what numpy must find in them.
struct manifest_writer {
  const scratch_dir& dir;
  io::npz_writer& w;
  std::string rows;
  int files = 0;

  template <class T>
  void add(const std::string& name, std::span<const T> data, std::vector<std::uint64_t> shape) {
    w.add(name, data, shape);
    const std::string file = dir / ("expected_" + std::to_string(files++));
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    spit(file, byte_vector(p, p + data.size_bytes()));
    row(name, io::npy_dtype<T>(), shape, file);
  }
  void add_string(const std::string& name, const std::string& text) {
    w.add_string(name, text);
    std::size_t chars = 0;  // code points: bytes that do not continue a UTF-8 sequence
    for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    const std::string file = dir / ("expected_" + std::to_string(files++));
    spit_text(file, text);
    row(name, "<U" + std::to_string(std::max<std::size_t>(chars, 1)), {}, file);
  }
  void row(const std::string& name, const std::string& dtype, const std::vector<std::uint64_t>& shape,
           const std::string& file) {
    std::string s;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (i > 0) s += ',';
      s += std::to_string(shape[i]);
    }
    rows += name + "\t" + dtype + "\t" + s + "\t" + file + "\n";
  }
};

template <class T>
void add_every_shape(manifest_writer& m, const std::string& prefix, std::uint64_t seed) {
  const sample<T> s(60, seed);
  m.add<T>(prefix + "/flat", s.span(), {60});
  m.add<T>(prefix + "/grid", s.span(), {3, 4, 5});
  m.add<T>(prefix + "/scalar", s.span().first(1), {});
  m.add<T>(prefix + "/empty", s.span().first(0), {2, 0});
}

}  // namespace

TEMPLATE_TEST_CASE("every dtype round-trips bit for bit, compressed and stored", "[npz]", double, float,
                   std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t,
                   std::uint32_t, std::uint64_t, bool, long long, unsigned long long) {
  using T = TestType;
  const bool compress = GENERATE(true, false);
  const bool zip64 = GENERATE(false, true);
  scratch_dir dir;
  const std::string path = dir / "a.npz";
  const sample<T> s(1000);
  {
    io::npz_writer w(path, {.compress = compress, .force_zip64 = zip64});
    w.add("flat", s.span());
    w.add("grid", s.span(), {10, 4, 25});
    w.add("scalar", s.span().first(1), {});
    w.add("empty", s.span().first(0));
    w.add("empty/3d", s.span().first(0), {3, 0, 2});
    w.close();
  }
  io::npz_reader r(path);
  CHECK(r.names() == std::vector<std::string>{"flat", "grid", "scalar", "empty", "empty/3d"});

  const io::npz_info grid = r.info("grid");
  CHECK(grid.name == "grid");
  CHECK(grid.dtype == io::npy_dtype<T>());
  CHECK(grid.shape == std::vector<std::uint64_t>{10, 4, 25});
  CHECK(grid.size == 1000);
  CHECK(grid.item_size == sizeof(T));
  CHECK_FALSE(grid.fortran_order);
  CHECK(grid.compressed == compress);
  CHECK(grid.npy_bytes == 128 + 1000 * sizeof(T));  // the header is padded to 64 bytes
  if (!compress) CHECK(grid.stored_bytes == grid.npy_bytes);

  CHECK(same_bits(s.span(), r.read<T>("flat")));
  CHECK(same_bits(s.span(), r.read<T>("grid")));
  CHECK(r.info("flat").shape == std::vector<std::uint64_t>{1000});
  CHECK(r.info("scalar").shape.empty());
  CHECK(same_bits(s.span().first(1), r.read<T>("scalar")));
  CHECK(r.info("empty").shape == std::vector<std::uint64_t>{0});
  CHECK(r.read<T>("empty").empty());
  CHECK(r.info("empty/3d").shape == std::vector<std::uint64_t>{3, 0, 2});
  CHECK(r.info("empty/3d").size == 0);
  CHECK(r.read<T>("empty/3d").empty());

  const std::unique_ptr<T[]> into(new T[1000]);
  r.read_into("grid", std::span<T>(into.get(), 1000));
  if constexpr (std::is_same_v<T, bool>) {
    for (std::size_t i = 0; i < 1000; ++i) CHECK(into[i] == s.data[i]);
  } else {
    CHECK(std::memcmp(into.get(), s.data.get(), 1000 * sizeof(T)) == 0);
  }
  CHECK(message_of<format_error>([&] { r.read_into("grid", std::span<T>(into.get(), 999)); }) ==
        path + ": entry 'grid' has 1000 elements (shape (10, 4, 25)), expected 999");
}

TEST_CASE("the metadata string is a 0-d '<U' array; any UTF-8 text round-trips", "[npz]") {
  scratch_dir dir;
  const std::string path = dir / "m.npz";
  const std::string json =
      "{\"version\": \"0.1.0\", \"unit\": \"\xc2\xb5S\", \"note\": \"\xe2\x82\xac\xf0\x9f\x98\x80\\n\"}";
  const std::string with_nul("a\0b", 3);
  {
    io::npz_writer w(path);
    w.add_string("metadata", json);
    w.add_string("empty", "");
    w.add_string("inner_nul", with_nul);
    w.close();
  }
  io::npz_reader r(path);
  CHECK(r.read_string("metadata") == json);
  CHECK(r.info("metadata").dtype == "<U" + std::to_string(json.size() - 1 - 2 - 3));  // code points, not bytes
  CHECK(r.info("metadata").shape.empty());
  CHECK(r.read_string("empty").empty());
  CHECK(r.info("empty").dtype == "<U1");  // numpy stores '' this way too
  CHECK(r.read_string("inner_nul") == with_nul);
  CHECK(message_of<format_error>([&] { (void)r.read<double>("metadata"); }) ==
        path + ": entry 'metadata' has dtype '" + r.info("metadata").dtype + "', expected '<f8'");

  io::npz_writer w(dir / "bad.npz");
  CHECK(message_of<format_error>([&] { w.add_string("s", "caf\xe9"); }) ==
        dir / "bad.npz" + ": entry 's': the string is not valid UTF-8 (byte 3)");
  CHECK(message_of<format_error>([&] { w.add_string("s", std::string("ab\0", 3)); }) ==
        dir / "bad.npz" + ": entry 's': the string ends with a NUL character, which numpy's '<U' dtype drops");
  const std::vector<double> v{1, 2};
  w.add("numbers", v);
  w.close();
  CHECK(message_of<format_error>([&] { (void)io::npz_reader(dir / "bad.npz").read_string("numbers"); }) ==
        dir / "bad.npz" +
            ": entry 'numbers' has dtype '<f8' and shape (2,), expected a string: '<U…' or '|S…' with one element, "
            "or '|u1' bytes");
}

TEST_CASE("entry names: '/' separates parts; the writer refuses what zip or numpy cannot hold", "[npz]") {
  scratch_dir dir;
  const std::string path = dir / "names.npz";
  const std::vector<float> v{1, 2, 3};
  io::npz_writer w(path, {.compress = false});
  w.add("populations/E/v", v);
  w.add("projections/EE/w", v);
  w.add("units/\xc2\xb5", v);  // UTF-8, flagged as such in the zip
  for (const std::string bad : {"", "/abs", "a//b", "a/", "..", "a/../b", "./a", "a\\b", "tab\there"}) {
    INFO("name '" << bad << "'");
    CHECK_THROWS_AS(w.add(bad, v), format_error);
  }
  CHECK(message_of<format_error>([&] { w.add("a//b", v); }) ==
        path + ": entry name 'a//b' must not start or end with '/' nor contain '//'");
  CHECK(message_of<format_error>([&] { w.add("populations/E/v", v); }) ==
        path + ": entry 'populations/E/v' is already in the archive");
  CHECK(message_of<format_error>([&] { w.add("x", v, {2, 2}); }) ==
        path + ": entry 'x': shape (2, 2) does not hold the 3 values given");
  w.add("x", v, {3, 1});  // the writer is still usable after refusing
  w.close();

  io::npz_reader r(path);
  CHECK(r.names() == std::vector<std::string>{"populations/E/v", "projections/EE/w", "units/\xc2\xb5", "x"});
  CHECK(r.contains("projections/EE/w"));
  CHECK_FALSE(r.contains("projections/EE"));
  CHECK(r.read<float>("units/\xc2\xb5") == v);
  CHECK(message_of<format_error>([&] { (void)r.info("populations/I/v"); }) == path + ": no entry 'populations/I/v'");
}

TEST_CASE("read<T> refuses any other dtype, naming file, entry, found and expected", "[npz]") {
  scratch_dir dir;
  const std::string path = dir / "state.npz";
  const std::vector<float> v{1, 2, 3};
  const std::vector<std::int32_t> i{1, 2, 3};
  {
    io::npz_writer w(path);
    w.add("populations/E/v", v);
    w.add("i", i);
    w.close();
  }
  io::npz_reader r(path);
  CHECK(message_of<format_error>([&] { (void)r.read<double>("populations/E/v"); }) ==
        path + ": entry 'populations/E/v' has dtype '<f4', expected '<f8'");
  CHECK(message_of<format_error>([&] { (void)r.read<std::uint32_t>("i"); }) ==
        path + ": entry 'i' has dtype '<i4', expected '<u4'");
  CHECK(message_of<format_error>([&] { (void)r.read<std::int64_t>("i"); }) ==
        path + ": entry 'i' has dtype '<i4', expected '<i8'");
  CHECK(r.read<float>("populations/E/v") == v);
}

TEST_CASE("numpy reads what we write, without allow_pickle, value for value", "[npz][numpy]") {
  if (!have_numpy()) return;
  const bool compress = GENERATE(true, false);
  const bool zip64 = GENERATE(false, true);
  scratch_dir dir;
  const std::string path = dir / "ours.npz";
  std::string rows;
  {
    io::npz_writer w(path, {.compress = compress, .force_zip64 = zip64});
    manifest_writer m{dir, w};
    add_every_shape<double>(m, "f8", 1);
    add_every_shape<float>(m, "f4", 2);
    add_every_shape<std::int8_t>(m, "i1", 3);
    add_every_shape<std::int16_t>(m, "i2", 4);
    add_every_shape<std::int32_t>(m, "i4", 5);
    add_every_shape<std::int64_t>(m, "i8", 6);
    add_every_shape<std::uint8_t>(m, "u1", 7);
    add_every_shape<std::uint16_t>(m, "u2", 8);
    add_every_shape<std::uint32_t>(m, "u4", 9);
    add_every_shape<std::uint64_t>(m, "u8", 10);
    add_every_shape<bool>(m, "b1", 11);
    const sample<double> v(50, 12);
    m.add<double>("populations/E/v", v.span(), {50});
    m.add<double>("units/\xc2\xb5", v.span(), {5, 10});
    m.add_string("metadata", "{\"dt\": 0.1, \"unit\": \"\xc2\xb5S\", \"x\": \"\xf0\x9f\x98\x80\"}");
    m.add_string("empty_string", "");
    rows = m.rows;
    w.close();
  }
  spit_text(dir / "manifest.tsv", rows);
  spit_text(dir / "check.py", numpy_reader_py);
  CHECK(run_python(dir / "check.py", {path, dir / "manifest.tsv"}));
}

TEST_CASE("more than 65535 entries: the ZIP64 end record, read by us and by numpy", "[npz][numpy]") {
  scratch_dir dir;
  const std::string path = dir / "many.npz";
  const std::size_t n = 70000;
  {
    io::npz_writer w(path, {.compress = false});
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t value = static_cast<std::uint32_t>(i);
      w.add("e/" + std::to_string(i), std::span<const std::uint32_t>(&value, 1));
    }
    w.close();
  }
  io::npz_reader r(path);
  CHECK(r.names().size() == n);
  CHECK(r.read<std::uint32_t>("e/69999") == std::vector<std::uint32_t>{69999});
  if (!have_numpy()) return;
  spit_text(dir / "check.py",
            "import sys, numpy as np\n"
            "d = np.load(sys.argv[1], allow_pickle=False)\n"
            "assert len(d.files) == 70000, len(d.files)\n"
            "assert d['e/0'].tolist() == [0] and d['e/69999'].tolist() == [69999]\n");
  CHECK(run_python(dir / "check.py", {path}));
}

TEST_CASE("we read numpy.savez and numpy.savez_compressed files", "[npz][numpy]") {
  SECTION("committed fixtures (numpy 1.24.2)") {
    INFO("fixtures in " << fixture_dir() << " (.gitignore ignores *.npz: they are committed with git add -f)");
    REQUIRE(fs::exists(fixture_dir() / "numpy_savez.npz"));
    REQUIRE(fs::exists(fixture_dir() / "numpy_savez_compressed.npz"));
    check_numpy_archive((fixture_dir() / "numpy_savez.npz").string(), false);
    check_numpy_archive((fixture_dir() / "numpy_savez_compressed.npz").string(), true);
  }
  SECTION("written now by this machine's numpy") {
    if (!have_numpy()) return;
    scratch_dir dir;
    spit_text(dir / "write.py", numpy_writer_py);
    REQUIRE(run_python(dir / "write.py", {dir.path.string()}));
    check_numpy_archive(dir / "numpy_savez.npz", false);
    check_numpy_archive(dir / "numpy_savez_compressed.npz", true);
  }
}

TEST_CASE("large stored entries read on several threads give the same values; a damaged piece fails the CRC",
          "[npz]") {
  scratch_dir dir;
  const std::string path = dir / "large.npz";
  std::vector<std::uint64_t> big(3'000'000);  // 24 MB: read in 4 MiB pieces
  for (std::size_t k = 0; k < big.size(); ++k) big[k] = k * 0x9E3779B97F4A7C15ULL;
  {
    io::npz_writer w(path, {.compress = false});
    w.add("small", std::vector<double>{1, 2});
    w.add("big", big);
  }
  std::vector<std::size_t> pieces;
  const io::parallel_for two_at_once = two_threads(pieces);
  {
    io::npz_reader r(path);
    r.set_parallel(two_at_once);
    CHECK(r.read<std::uint64_t>("big") == big);
    CHECK(r.read<double>("small") == std::vector<double>{1, 2});
    CHECK(pieces == std::vector<std::size_t>{6});  // only the large entry, in ceil(24 MB / 4 MiB) pieces
  }
  byte_vector bytes = slurp(path);
  const std::uint64_t value = big[2'000'000];
  const auto* v = reinterpret_cast<const unsigned char*>(&value);
  const auto at = std::search(bytes.begin(), bytes.end(), v, v + sizeof value);
  REQUIRE(at != bytes.end());
  at[3] ^= 0x40;
  spit(path, bytes);
  io::npz_reader r(path);
  r.set_parallel(two_at_once);
  CHECK(message_of<format_error>([&] { (void)r.read<std::uint64_t>("big"); }).find("fails its CRC-32 check") !=
        std::string::npos);
}

TEST_CASE("a missing or unreadable file is an io_error naming the path", "[npz]") {
  scratch_dir dir;
  const std::string missing = dir / "no_such.npz";
  CHECK(message_of<io_error>([&] { io::npz_reader r(missing); }) ==
        missing + ": cannot open for reading: No such file or directory");
  CHECK(message_of<io_error>([&] { io::npz_reader r(dir.path.string()); }) ==
        dir.path.string() + ": cannot read: it is a directory, not a regular file");
  const std::string nowhere = dir / "no_such_dir/x.npz";
  const std::string m = message_of<io_error>([&] { io::npz_writer w(nowhere); });
  CHECK(m.rfind(nowhere + ": cannot create the temporary file " + nowhere + ".tmp-", 0) == 0);
  CHECK(m.ends_with(": No such file or directory"));
}

namespace {

/// A small archive of several kinds of entries, and a check that reads all of them back.
struct small_archive {
  sample<double> d{40, 1};
  sample<std::int16_t> s{12, 2};
  std::string text = "{\"a\": 1}";

  void write(const std::string& path, io::npz_options options) const {
    io::npz_writer w(path, options);
    w.add("d", d.span());
    w.add("g/s", s.span(), {3, 4});
    w.add_string("meta", text);
    w.close();
  }
  /// "same" when every entry reads back as written, "format_error" when the reader refused.
  [[nodiscard]] std::string outcome(const std::string& path) const {
    try {
      io::npz_reader r(path);
      const bool same = same_bits(d.span(), r.read<double>("d")) && same_bits(s.span(), r.read<std::int16_t>("g/s")) &&
                        r.read_string("meta") == text;
      return same ? "same" : "different";
    } catch (const format_error&) {
      return "format_error";
    }
  }
};

}  // namespace

TEST_CASE("corrupt files are format_errors: truncated, bad CRC, bad magic, unknown method, any flipped byte", "[npz]") {
  const int variant = GENERATE(0, 1, 2);
  const io::npz_options options{.compress = variant != 1, .force_zip64 = variant == 2};
  INFO("compress " << options.compress << ", force_zip64 " << options.force_zip64);
  scratch_dir dir;
  const std::string good = dir / "good.npz";
  const std::string bad = dir / "bad.npz";
  const small_archive a;
  a.write(good, options);
  const byte_vector bytes = slurp(good);
  REQUIRE(a.outcome(good) == "same");

  SECTION("truncated at every length") {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      spit(bad, byte_vector(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
      INFO("truncated to " << n << " of " << bytes.size() << " bytes");
      REQUIRE(a.outcome(bad) == "format_error");
    }
    spit(bad, {});
    CHECK(message_of<format_error>([&] { io::npz_reader r(bad); }) == bad + ": not a zip archive (0 bytes)");
    spit(bad, byte_vector(bytes.begin(), bytes.end() - 1));
    CHECK(message_of<format_error>([&] { io::npz_reader r(bad); }) ==
          bad + ": not a zip archive, or truncated (no end-of-central-directory record)");
  }

  SECTION("16 bytes cut out anywhere") {
    for (std::size_t at = 0; at + 16 <= bytes.size(); ++at) {
      byte_vector b = bytes;
      b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + 16));
      spit(bad, b);
      INFO("cut at " << at);
      REQUIRE(a.outcome(bad) == "format_error");
    }
  }

  SECTION("any byte flipped: refused, or (a field the reader ignores) read as written") {
    int refused = 0;
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      for (unsigned char mask : {0x01, 0xFF}) {
        byte_vector b = bytes;
        b[at] ^= mask;
        spit(bad, b);
        const std::string o = a.outcome(bad);
        INFO("byte " << at << " ^ " << int{mask});
        REQUIRE(o != "different");
        refused += o == "format_error";
      }
    }
    CHECK(refused > static_cast<int>(bytes.size()));
  }

  SECTION("CRC-32 mismatch") {
    byte_vector b = bytes;
    const std::size_t central = last_signature(b, 0x02014b50);  // the last entry: meta
    poke32(b, central + 16, peek32(b, central + 16) ^ 1);
    spit(bad, b);
    const std::string m = message_of<format_error>([&] { (void)io::npz_reader(bad).read_string("meta"); });
    CHECK(m.rfind(bad + ": entry 'meta' fails its CRC-32 check (stored 0x", 0) == 0);
  }

  SECTION("unknown compression method") {
    byte_vector b = bytes;
    const std::size_t central = last_signature(b, 0x02014b50);
    b[central + 10] = 12;  // bzip2
    spit(bad, b);
    io::npz_reader r(bad);
    CHECK(r.names().size() == 3);  // the directory is fine; the entry cannot be read
    CHECK(message_of<format_error>([&] { (void)r.info("meta"); }) ==
          bad + ": entry 'meta' uses compression method 12, expected 0 (stored) or 8 (deflate)");
  }

  SECTION("not a .npy inside (bad magic, CRC made to match)") {
    if (options.compress || options.force_zip64) return;  // stored, no extra field: the .npy starts at byte 35
    byte_vector b = bytes;
    const std::size_t data = 30 + std::strlen("d.npy");
    const std::uint32_t size = peek32(b, 22);
    b[data] = 'X';
    const auto crc = static_cast<std::uint32_t>(::crc32(0, b.data() + data, size));
    poke32(b, 14, crc);
    std::size_t central = 0;  // the directory record of d.npy, the first one
    while (peek32(b, central) != 0x02014b50) ++central;
    REQUIRE(b[central + 46] == 'd');
    poke32(b, central + 16, crc);
    spit(bad, b);
    io::npz_reader r(bad);
    CHECK(message_of<format_error>([&] { (void)r.read<double>("d"); }) ==
          bad + ": entry 'd' is not a .npy array (bad magic)");
    CHECK(message_of<format_error>([&] { (void)r.info("d"); }) == bad + ": entry 'd' is not a .npy array (bad magic)");
    CHECK(same_bits(a.s.span(), r.read<std::int16_t>("g/s")));
  }

  SECTION("not a zip at all") {
    spit_text(bad, std::string(1000, 'x'));
    CHECK(message_of<format_error>([&] { io::npz_reader r(bad); }) ==
          bad + ": not a zip archive, or truncated (no end-of-central-directory record)");
  }
}

TEST_CASE("atomic save: a failed write never touches the existing file and leaves no temporary", "[npz]") {
  scratch_dir dir;
  const std::string path = dir / "state.npz";
  const std::vector<double> old_values{1, 2, 3};
  {
    io::npz_writer w(path);
    w.add("old", old_values);
  }  // the destructor closes (no exception in flight)
  const byte_vector old_bytes = slurp(path);
  CHECK(io::npz_reader(path).read<double>("old") == old_values);
  const std::vector<double> big(1 << 18, 0.5);  // 2 MiB

  SECTION("an exception out of the writer's scope discards the archive") {
    CHECK_THROWS_AS(
        [&] {
          io::npz_writer w(path);
          w.add("new", big);
          w.add("bad//name", big);  // throws format_error: the destructor runs during unwinding
          w.close();
        }(),
        format_error);
    CHECK(slurp(path) == old_bytes);
    CHECK(dir.temporaries() == 0);
  }

  SECTION("the disk fills up (file size limit): io_error naming the path") {
    struct rlimit saved {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    auto* const saved_handler = std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG
    struct rlimit small = saved;
    small.rlim_cur = 256 * 1024;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string m;
    {
      io::npz_writer w(path, {.compress = false});
      m = message_of<io_error>([&] { w.add("new", big); });
      CHECK(message_of<io_error>([&] { w.close(); }) ==
            path + ": not written: an earlier error abandoned this archive");
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, saved_handler);
    CHECK(m.rfind(path + ": cannot write the temporary file " + path + ".tmp-", 0) == 0);
    CHECK(m.ends_with(": File too large"));
    CHECK(slurp(path) == old_bytes);
    CHECK(dir.temporaries() == 0);
  }

  SECTION("rename fails (a directory is in the way): io_error, temporary removed") {
    const std::string blocked = dir / "blocked.npz";
    fs::create_directories(fs::path(blocked) / "content");
    io::npz_writer w(blocked);
    w.add("new", big);
    const std::string m = message_of<io_error>([&] { w.close(); });
    CHECK(m.rfind(blocked + ": cannot rename the temporary file " + blocked + ".tmp-", 0) == 0);
    CHECK(fs::is_directory(blocked));
    CHECK(dir.temporaries() == 0);
  }

  SECTION("a successful close replaces the file whole") {
    io::npz_writer w(path);
    w.add("new", big);
    CHECK(slurp(path) == old_bytes);  // nothing visible before close()
    CHECK(dir.temporaries() == 1);
    w.close();
    w.close();  // once is enough; again does nothing
    CHECK(dir.temporaries() == 0);
    io::npz_reader r(path);
    CHECK(r.names() == std::vector<std::string>{"new"});
    CHECK(r.read<double>("new") == big);
    CHECK(message_of<io_error>([&] { w.add("late", big); }) ==
          path + ": cannot add entry 'late': the archive is closed");
  }
}

TEST_CASE("equal content gives equal files", "[npz]") {
  scratch_dir dir;
  const sample<double> v(100);
  for (const char* name : {"a.npz", "b.npz"}) {
    io::npz_writer w(dir / name);
    w.add("v", v.span());
    w.add_string("metadata", "{}");
  }
  CHECK(slurp(dir / "a.npz") == slurp(dir / "b.npz"));
}

TEST_CASE("docs/io.md: write and read a state file", "[npz][docs]") {
  scratch_dir dir;
  const std::string path = dir / "state.npz";
  const std::vector<double> v(100, -65.0);
  const std::vector<std::uint32_t> spikes{3, 17, 42};
  namespace io = spikeweave::io;
  // docs/io.md, from here
  {
    io::npz_writer w(path, {.compress = true});
    w.add("populations/E/v", v);                    // 1-D, dtype '<f8'
    w.add("populations/E/spikes", spikes);          // '<u4'
    w.add("weights", v, {10, 10});                  // any shape, C order
    w.add_string("metadata", R"({"dt": 0.1})");     // a 0-d '<U11' array
    w.close();                                      // path now holds the new file, whole
  }
  io::npz_reader r(path);
  io::npz_info info = r.info("weights");                    // dtype "<f8", shape {10, 10}
  std::vector<double> w = r.read<double>("weights");        // format_error if not '<f8'
  std::string metadata = r.read_string("metadata");
  // to here
  CHECK(info.shape == std::vector<std::uint64_t>{10, 10});
  CHECK(w == v);
  CHECK(metadata == R"({"dt": 0.1})");
  CHECK(r.read<std::uint32_t>("populations/E/spikes") == spikes);
}

// Hidden (run with `test_io [zip64]`): 4 GiB + 16 MiB entries, stored and deflated; needs ~10 GB of memory and disk.
TEST_CASE("entries over 4 GiB and offsets past 4 GiB use ZIP64", "[.][zip64]") {
  const bool compress = GENERATE(false, true);
  const std::size_t n = (std::size_t{1} << 32) + (std::size_t{1} << 24);
  void* mem = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  auto* big = static_cast<std::uint8_t*>(mem);
  big[0] = 1;
  big[n - 1] = 2;
  big[n / 2] = 3;
  scratch_dir dir;
  const std::string path = dir / "big.npz";
  const std::vector<double> after{1, 2, 3};
  {
    io::npz_writer w(path, {.compress = compress, .level = 1});
    w.add("big", std::span<const std::uint8_t>(big, n));
    w.add("after", after);
    w.close();
  }
  {
    io::npz_reader r(path);
    CHECK(r.info("big").size == n);
    CHECK(r.read<double>("after") == after);
    void* back_mem = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    REQUIRE(back_mem != MAP_FAILED);
    auto* back = static_cast<std::uint8_t*>(back_mem);
    r.read_into("big", std::span<std::uint8_t>(back, n));
    CHECK(std::memcmp(back, big, n) == 0);
    ::munmap(back_mem, n);
  }
  ::munmap(mem, n);
  if (!have_numpy()) return;
  spit_text(dir / "check.py",
            "import sys, zipfile, numpy as np\n"
            "z = zipfile.ZipFile(sys.argv[1])\n"
            "print([(i.filename, i.file_size, i.compress_size, i.header_offset) for i in z.infolist()])\n"
            "d = np.load(sys.argv[1], allow_pickle=False)\n"
            "assert d['after'].tolist() == [1.0, 2.0, 3.0]\n"
            "b = d['big']\n"
            "assert b.shape == (" + std::to_string(n) + ",) and b[0] == 1 and b[-1] == 2 and b[len(b) // 2] == 3\n"
            "assert int(np.count_nonzero(b)) == 3\n");
  CHECK(run_python(dir / "check.py", {path}));
}
