// Boost.Serialization archives (.bin, .txt, .xml, each [.gz]): bit-exact round trips, corrupt input, atomic saves.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <catch2/catch.hpp>
#include <spikeweave/io/archive.hpp>

#include "support/two_threads.hpp"

namespace io = spikeweave::io;
namespace fs = std::filesystem;
using spikeweave::format_error;
using spikeweave::io_error;

namespace {

/// A fresh directory under the system's temporary directory, removed with its content.
struct archive_scratch {
  fs::path path;
  archive_scratch() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("spikeweave_archive_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  archive_scratch(const archive_scratch&) = delete;
  archive_scratch& operator=(const archive_scratch&) = delete;
  ~archive_scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  [[nodiscard]] int temporaries() const {
    int n = 0;
    for (const auto& f : fs::directory_iterator(path))
      if (f.path().filename().string().find(".tmp-") != std::string::npos) ++n;
    return n;
  }
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

template <class Error, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no exception of the expected type");
  return {};
}

const std::vector<std::string> extensions = {".bin", ".txt", ".xml", ".bin.gz", ".txt.gz", ".xml.gz"};

template <class T>
std::vector<std::uint64_t> bits_of(const std::vector<T>& v) {
  std::vector<std::uint64_t> out;
  for (T x : v) {
    if constexpr (sizeof(T) == 8) out.push_back(std::bit_cast<std::uint64_t>(x));
    else if constexpr (sizeof(T) == 4) out.push_back(std::bit_cast<std::uint32_t>(x));
    else out.push_back(std::bit_cast<std::uint16_t>(x));
  }
  return out;
}

std::vector<double> awkward_doubles() {
  using L = std::numeric_limits<double>;
  return {0.0,
          -0.0,
          1.0 / 3.0,
          1e308,
          -1e-308,
          L::denorm_min(),
          -L::denorm_min(),
          L::min() / 3,
          L::max(),
          L::lowest(),
          L::epsilon(),
          L::infinity(),
          -L::infinity(),
          L::quiet_NaN(),
          std::bit_cast<double>(std::uint64_t{0x7FF0000000000001}),  // signalling NaN payload
          std::bit_cast<double>(std::uint64_t{0xFFF8DEADBEEF0123}),  // negative NaN with payload
          0.1,
          std::nextafter(1.0, 2.0)};
}

std::vector<float> awkward_floats() {
  using L = std::numeric_limits<float>;
  return {0.0f, -0.0f, 1.0f / 3.0f, L::denorm_min(), L::max(), L::lowest(), L::infinity(),
          std::bit_cast<float>(std::uint32_t{0x7FC12345}), std::bit_cast<float>(std::uint32_t{0xFF800001}), 0.1f};
}

}  // namespace

TEST_CASE("is_archive_path knows .bin .txt .xml, each optionally .gz", "[archive]") {
  for (const auto& e : extensions) CHECK(io::is_archive_path("dir/state" + e));
  CHECK_FALSE(io::is_archive_path("state.npz"));
  CHECK_FALSE(io::is_archive_path("state.gz"));
  CHECK_FALSE(io::is_archive_path("state.bin.bz2"));
  CHECK_FALSE(io::is_archive_path("state"));
  CHECK_FALSE(io::is_archive_path("dir/.bin"));
}

TEST_CASE("every dtype, strings, empty and 2-D arrays round-trip bit for bit in every format", "[archive]") {
  archive_scratch dir;
  const std::vector<double> d = awkward_doubles();
  const std::vector<float> f = awkward_floats();
  const std::vector<std::uint16_t> u2 = {0, 1, 0x7FFF, 0x8000, 0xFFFF};
  const std::vector<std::uint32_t> u4 = {0, 1, 0x80000000u, 0xFFFFFFFFu, 123456789u};
  const std::vector<std::uint64_t> u8 = {0, 1, std::uint64_t{1} << 63, ~std::uint64_t{0}, 0x0123456789ABCDEFull};
  const std::vector<double> grid = {1, 2, 3, 4, 5, 6};
  const std::vector<double> empty;
  const std::string text = "spikeweave \xC3\xA9t\xC3\xA9 \xF0\x9F\xA7\xA0 <xml> & \"quotes\"\n\ttab";

  for (const auto& ext : extensions) {
    DYNAMIC_SECTION("format " << ext) {
      const std::string path = dir / ("state" + ext);
      {
        io::archive_writer w(path, io::npz_options{});
        w.add("v/double", d);
        w.add("v/float", f);
        w.add("v/u2", u2);
        w.add("v/u4", u4);
        w.add("v/u8", u8);
        w.add("grid", grid, {2, 3});
        w.add("empty", empty);
        w.add("empty2d", empty, {0, 4});
        w.add("scalar", std::vector<std::uint64_t>{42}, {});
        w.add_string("meta", text);
        w.add_string("blank", "");
        w.close();
      }
      CHECK(dir.temporaries() == 0);
      io::archive_reader r(path);
      CHECK(r.names() == std::vector<std::string>{"v/double", "v/float", "v/u2", "v/u4", "v/u8", "grid", "empty",
                                                  "empty2d", "scalar", "meta", "blank"});
      CHECK(r.contains("grid"));
      CHECK_FALSE(r.contains("nope"));
      CHECK(bits_of(r.read<double>("v/double")) == bits_of(d));
      CHECK(bits_of(r.read<float>("v/float")) == bits_of(f));
      CHECK(r.read<std::uint16_t>("v/u2") == u2);
      CHECK(r.read<std::uint32_t>("v/u4") == u4);
      CHECK(r.read<std::uint64_t>("v/u8") == u8);
      CHECK(r.read<double>("grid") == grid);
      CHECK(r.read<double>("empty").empty());
      CHECK(r.read<double>("empty2d").empty());
      CHECK(r.read<std::uint64_t>("scalar") == std::vector<std::uint64_t>{42});
      CHECK(r.read_string("meta") == text);
      CHECK(r.read_string("blank").empty());

      const io::npz_info g = r.info("grid");
      CHECK(g.name == "grid");
      CHECK(g.dtype == "<f8");
      CHECK(g.shape == std::vector<std::uint64_t>{2, 3});
      CHECK(g.size == 6);
      CHECK(g.item_size == 8);
      CHECK(r.info("v/float").dtype == io::npy_dtype<float>());
      CHECK(r.info("v/u2").dtype == "<u2");
      CHECK(r.info("v/u4").dtype == "<u4");
      CHECK(r.info("v/u8").dtype == "<u8");
      CHECK(r.info("v/u8").shape == std::vector<std::uint64_t>{5});
      CHECK(r.info("empty2d").shape == std::vector<std::uint64_t>{0, 4});
      CHECK(r.info("empty2d").size == 0);
      CHECK(r.info("scalar").shape.empty());
      CHECK(r.info("scalar").size == 1);
      CHECK(r.info("meta").shape.empty());
      CHECK(r.info("meta").dtype.starts_with("<U"));
    }
  }
}

TEST_CASE("the .gz variants are gzip files; the plain ones are the Boost archive kinds", "[archive]") {
  archive_scratch dir;
  for (const auto& ext : extensions) {
    const std::string path = dir / ("a" + ext);
    {
      io::archive_writer w(path);
      w.add("x", std::vector<double>(1000, 0.5));
    }
    const std::string b = read_bytes(path);
    REQUIRE(b.size() > 2);
    if (ext.ends_with(".gz")) {
      CHECK(static_cast<unsigned char>(b[0]) == 0x1F);
      CHECK(static_cast<unsigned char>(b[1]) == 0x8B);
      CHECK(b.size() < 1000);
    } else if (ext == ".xml") {
      CHECK(b.find("<boost_serialization") != std::string::npos);
      CHECK(b.find("spikeweave-archive") != std::string::npos);
    } else if (ext == ".txt") {
      CHECK(b.find("serialization::archive") != std::string::npos);
    }
  }
}

TEST_CASE("a .bin file, written entry by entry, is a genuine Boost binary archive", "[archive]") {
  archive_scratch dir;
  const std::string path = dir / "genuine.bin";
  const std::vector<double> x{1.0 / 3.0, -0.0, 1e308};
  {
    io::archive_writer w(path);
    w.add("x", x);
    w.add_string("s", "hello");
  }
  // Read with Boost alone: the structure and the data strings as Boost writes them.
  std::ifstream file(path, std::ios::binary);
  boost::archive::binary_iarchive ar(file);
  std::string tag, name, dtype, data, end;
  std::uint32_t version = 0, crc = 0;
  std::uint64_t count = 0, rank = 0, dim = 0;
  ar >> tag >> version >> count;
  CHECK(tag == "spikeweave-archive");
  CHECK(version == 1);
  CHECK(count == 2);  // patched in when the writer closed
  ar >> name >> dtype >> rank >> dim >> crc >> data;
  CHECK(name == "x");
  CHECK(dtype == "<f8");
  CHECK(rank == 1);
  CHECK(dim == 3);
  REQUIRE(data.size() == 3 * sizeof(double));
  CHECK(std::memcmp(data.data(), x.data(), data.size()) == 0);
  CHECK(crc == io::detail::crc_of(data));
  ar >> name >> dtype >> rank;
  CHECK(name == "s");
  for (std::uint64_t d = 0; d < rank; ++d) ar >> dim;
  ar >> crc >> data >> end;
  CHECK(end == "end");
}

TEST_CASE("a length that runs past the end of a .bin file is refused before anything is allocated", "[archive]") {
  archive_scratch dir;
  const std::string path = dir / "long.bin";
  {
    io::archive_writer w(path);
    w.add("x", std::vector<double>(8, 1.0 / 3.0));
  }
  std::string bytes = read_bytes(path);
  // The data's length (64) lies just before the data; what follows the data is the end tag (8 + 3 bytes).
  const double third = 1.0 / 3.0;
  const std::size_t data_at = bytes.find(std::string(reinterpret_cast<const char*>(&third), sizeof third));
  REQUIRE(data_at != std::string::npos);
  std::size_t length = 0;
  std::memcpy(&length, bytes.data() + data_at - sizeof length, sizeof length);
  REQUIRE(length == 64);
  // 4 bytes past the end: no more than the file holds after the length field's start, more than after its end.
  length += 15;
  std::memcpy(bytes.data() + data_at - sizeof length, &length, sizeof length);
  write_bytes(path, bytes);
  const std::string m = message_of<format_error>([&] { io::archive_reader r(path); });
  CHECK(m.find("entry 0 'x': the data is 79 bytes long, more than the 75 left") != std::string::npos);
}

TEST_CASE("large entries read on several threads give the same values, and a damaged one still fails its CRC",
          "[archive]") {
  archive_scratch dir;
  const std::string path = dir / "large.bin";
  std::vector<std::uint64_t> big(3'000'000);  // 24 MB: read in 4 MiB pieces
  for (std::size_t k = 0; k < big.size(); ++k) big[k] = k * 0x9E3779B97F4A7C15ULL;
  {
    io::archive_writer w(path);
    w.add("big", big);
  }
  std::vector<std::size_t> pieces;
  const io::parallel_for two_at_once = two_threads(pieces);
  {
    io::archive_reader r(path);
    r.set_parallel(two_at_once);
    CHECK(r.read<std::uint64_t>("big") == big);
    CHECK(pieces == std::vector<std::size_t>{6});  // ceil(24 MB / 4 MiB)
  }
  std::string bytes = read_bytes(path);
  const std::uint64_t last = big.back();
  const std::size_t at = bytes.rfind(std::string(reinterpret_cast<const char*>(&last), sizeof last));
  REQUIRE(at != std::string::npos);
  bytes[at + 2] = static_cast<char>(bytes[at + 2] ^ 0x10);  // in the last piece
  write_bytes(path, bytes);
  io::archive_reader r(path);
  r.set_parallel(two_at_once);
  CHECK(message_of<format_error>([&] { (void)r.read<std::uint64_t>("big"); }).find("fails its CRC-32 check") !=
        std::string::npos);
}

TEST_CASE("the writer refuses what the reader could not give back, and stays usable", "[archive]") {
  archive_scratch dir;
  const std::string path = dir / "w.bin";
  io::archive_writer w(path);
  w.add("a", std::vector<double>{1, 2, 3});
  CHECK_THROWS_AS(w.add("a", std::vector<double>{1}), format_error);
  CHECK_THROWS_AS(w.add("", std::vector<double>{1}), format_error);
  CHECK_THROWS_AS(w.add("x//y", std::vector<double>{1}), format_error);
  CHECK_THROWS_AS(w.add("b", std::vector<double>{1, 2, 3}, {2, 2}), format_error);
  CHECK_THROWS_AS(w.add_string("s", "\xFF"), format_error);
  w.add("b", std::vector<float>{1, 2});
  const std::array<bool, 3> flags = {true, false, true};
  w.add("flags", flags);
  w.close();
  CHECK_THROWS_AS(w.add("c", std::vector<double>{1}), io_error);
  io::archive_reader r(path);
  CHECK(r.names() == std::vector<std::string>{"a", "b", "flags"});
  CHECK(r.info("flags").dtype == "|b1");
  CHECK(r.read<bool>("flags") == std::vector<bool>{true, false, true});
}

TEST_CASE("read<T> refuses any other dtype; a missing entry is a format_error", "[archive]") {
  archive_scratch dir;
  for (const auto& ext : extensions) {
    const std::string path = dir / ("d" + ext);
    {
      io::archive_writer w(path);
      w.add("x", std::vector<double>{1, 2});
      w.add_string("s", "hello");
    }
    io::archive_reader r(path);
    const std::string m = message_of<format_error>([&] { (void)r.read<float>("x"); });
    CHECK(m.find(path) != std::string::npos);
    CHECK(m.find("'x'") != std::string::npos);
    CHECK(m.find("<f8") != std::string::npos);
    CHECK(m.find("<f4") != std::string::npos);
    CHECK_THROWS_AS(r.read<std::uint64_t>("x"), format_error);
    CHECK_THROWS_AS(r.read<double>("s"), format_error);
    CHECK_THROWS_AS(r.read_string("x"), format_error);
    CHECK_THROWS_AS(r.read<double>("missing"), format_error);
    CHECK_THROWS_AS(r.info("missing"), format_error);
  }
}

TEST_CASE("truncated or damaged files are format_errors naming the file", "[archive]") {
  archive_scratch dir;
  for (const auto& ext : extensions) {
    DYNAMIC_SECTION("format " << ext) {
      const std::string path = dir / ("t" + ext);
      {
        io::archive_writer w(path);
        w.add("x", std::vector<double>{1.0 / 3.0, 2, 3, 4, 5, 6, 7, 8});
        w.add("y", std::vector<std::uint32_t>{1, 2, 3});
        w.add_string("s", "hello");
      }
      const std::string full = read_bytes(path);
      const std::string cut = dir / ("cut" + ext);
      // Every length from empty to one byte short, stepping to keep the test fast.
      const std::size_t step = std::max<std::size_t>(1, full.size() / 97);
      // Trailing white space of the text formats is not content.
      const std::size_t content = ext == ".txt" || ext == ".xml" ? full.find_last_not_of(" \n") + 1 : full.size();
      for (std::size_t n = 0; n < content; n += (n + step < content ? step : 1)) {
        write_bytes(cut, full.substr(0, n));
        INFO("truncated to " << n << " of " << full.size() << " bytes");
        const std::string m = message_of<format_error>([&] { io::archive_reader r(cut); });
        CHECK(m.find(cut) != std::string::npos);
      }
      // A flipped byte in the data is caught (by Boost, the hex decoder, the CRC or gzip): when the file is
      // opened, or (.bin, whose data stays in the file until read) when the entry is read.
      if (!ext.ends_with(".gz")) {
        std::string bad = full;
        const double third = 1.0 / 3.0;
        const std::string raw(reinterpret_cast<const char*>(&third), sizeof third);
        const std::size_t at = ext == ".bin" ? bad.find(raw) + 3 : bad.find("555555");
        REQUIRE(at < bad.size());
        bad[at] = static_cast<char>(bad[at] ^ (ext == ".bin" ? 0x01 : 0x03));
        write_bytes(cut, bad);
        const std::string m = message_of<format_error>([&] {
          io::archive_reader r(cut);
          CHECK(r.read<std::uint32_t>("y") == std::vector<std::uint32_t>{1, 2, 3});  // the other entries are intact
          (void)r.read<double>("x");
        });
        CHECK(m.find(cut) != std::string::npos);
        if (ext == ".bin") CHECK(m.find("entry 'x' fails its CRC-32 check") != std::string::npos);
      }
      // Anything after the archive is refused too.
      write_bytes(cut, full + (ext.ends_with(".gz") ? std::string("\x1f\x8bjunk") : std::string("junk")));
      CHECK_THROWS_AS(io::archive_reader(cut), format_error);
    }
  }
}

TEST_CASE("a wrong tag, an unknown version or a foreign file is a format_error", "[archive]") {
  archive_scratch dir;
  const std::string path = dir / "f.xml";
  {
    io::archive_writer w(path);
    w.add("x", std::vector<double>{1});
  }
  const std::string good = read_bytes(path);
  std::string tag = good;
  tag.replace(tag.find("spikeweave-archive"), 18, "spikeweave-archivX");
  write_bytes(path, tag);
  CHECK(message_of<format_error>([&] { io::archive_reader r(path); }).find("format tag") != std::string::npos);
  std::string version = good;
  const std::size_t v = version.find("<version>1</version>");
  REQUIRE(v != std::string::npos);
  version.replace(v, 20, "<version>7</version>");
  write_bytes(path, version);
  CHECK(message_of<format_error>([&] { io::archive_reader r(path); }).find("version 7") != std::string::npos);

  const std::string txt = dir / "f.txt";
  write_bytes(txt, "just some text\n");
  CHECK_THROWS_AS(io::archive_reader(txt), format_error);
  const std::string gz = dir / "f.bin.gz";
  write_bytes(gz, "not gzip at all");
  CHECK_THROWS_AS(io::archive_reader(gz), format_error);
  // A .txt archive read as .bin (renamed): wrong kind of content.
  {
    io::archive_writer w(dir / "k.txt");
    w.add("x", std::vector<double>{1});
  }
  fs::rename(dir / "k.txt", dir / "k.bin");
  CHECK_THROWS_AS(io::archive_reader(dir / "k.bin"), format_error);
}

TEST_CASE("unknown extensions and missing files are io_errors naming the path", "[archive]") {
  archive_scratch dir;
  const std::string m = message_of<io_error>([&] { io::archive_writer w(dir / "x.npz"); });
  CHECK(m.find("x.npz") != std::string::npos);
  CHECK(m.find(".xml.gz") != std::string::npos);
  CHECK(dir.temporaries() == 0);
  CHECK_THROWS_AS(io::archive_reader(dir / "x.dat"), io_error);
  const std::string missing = dir / "missing.bin";
  CHECK(message_of<io_error>([&] { io::archive_reader r(missing); }).find(missing) != std::string::npos);
  CHECK_THROWS_AS(io::archive_writer(dir / "no/such/dir/x.bin"), io_error);
  fs::create_directories(dir / "d.bin");
  CHECK_THROWS_AS(io::archive_reader(dir / "d.bin"), io_error);
}

TEST_CASE("atomic save: close() replaces the file whole; an exception leaves the old file intact", "[archive]") {
  archive_scratch dir;
  for (const auto& ext : extensions) {
    const std::string path = dir / ("s" + ext);
    {
      io::archive_writer w(path);
      w.add("x", std::vector<double>{1, 2, 3});
    }
    const std::string old = read_bytes(path);

    {
      io::archive_writer w(path);
      w.add("y", std::vector<std::uint32_t>{9});
      CHECK(dir.temporaries() == 1);
      CHECK(read_bytes(path) == old);  // nothing visible before close()
      w.close();
      CHECK(dir.temporaries() == 0);
      w.close();  // idempotent
    }
    {
      io::archive_reader r(path);
      CHECK(r.names() == std::vector<std::string>{"y"});
      CHECK(r.read<std::uint32_t>("y") == std::vector<std::uint32_t>{9});
    }
    const std::string replaced = read_bytes(path);

    CHECK_THROWS_AS(
        [&] {
          io::archive_writer w(path);
          w.add("z", std::vector<double>{4, 5});
          throw std::runtime_error("simulation failed mid-save");
        }(),
        std::runtime_error);
    CHECK(read_bytes(path) == replaced);
    CHECK(dir.temporaries() == 0);
  }
  // A failure in close() (the target is a non-empty directory: rename fails) leaves no temporary.
  const std::string blocked = dir / "blocked.bin";
  fs::create_directories(fs::path(blocked) / "inside");
  io::archive_writer w(blocked);
  w.add("x", std::vector<double>{1});
  const std::string m = message_of<io_error>([&] { w.close(); });
  CHECK(m.find(blocked) != std::string::npos);
  CHECK(dir.temporaries() == 0);
  CHECK(fs::is_directory(blocked));
  CHECK_THROWS_AS(w.close(), io_error);
}

TEST_CASE("archives: equal content gives equal files", "[archive]") {
  archive_scratch dir;
  for (const auto& ext : extensions) {
    if (ext.ends_with(".gz")) continue;  // the gzip header holds a time stamp
    for (const char* name : {"a", "b"}) {
      io::archive_writer w(dir / (name + ext));
      w.add("x", std::vector<double>{1, 2, 3});
      w.add_string("s", "text");
    }
    CHECK(read_bytes(dir / ("a" + ext)) == read_bytes(dir / ("b" + ext)));
  }
}

// Found by fuzz/archive_reader: Boost sizes a string from the length in the file and allocates it before reading;
// a length longer than the rest of the file must be refused before anything is allocated.
TEST_CASE("a string length beyond the end of the file is refused before it is allocated", "[archive][fuzz]") {
  archive_scratch dir;
  for (const std::string ext : {".bin", ".txt", ".bin.gz", ".txt.gz"}) {
    INFO(ext);
    const std::string plain = dir / ("p" + ext.substr(0, 4));
    {
      io::archive_writer w(plain);
      w.add("x", std::vector<double>{1, 2, 3});
    }
    const std::string good = read_bytes(plain);
    const std::size_t tag = good.find("spikeweave-archive");
    const std::size_t data = good.find(ext.starts_with(".bin") ? std::string("\0\0\0\0\0\0\xf0\x3f", 8) : "000000000000f03f");
    REQUIRE(tag != std::string::npos);
    REQUIRE(data != std::string::npos);
    // Lengths of the Boost header's signature, of the format tag and of the data: 400 MB and 2^62 bytes.
    for (const std::uint64_t length : {std::uint64_t{400} << 20, std::uint64_t{1} << 62}) {
      for (const std::string what : {"the Boost archive header", "the format tag", "entry 0 'x': the data"}) {
        std::string bad = good;
        if (ext.starts_with(".bin")) {
          const std::size_t at = what == "the Boost archive header" ? 0 : what == "the format tag" ? tag - 8 : data - 8;
          std::memcpy(&bad[at], &length, 8);
        } else {
          const std::size_t end = what == "the Boost archive header" ? good.find(' ') : what == "the format tag" ? tag - 1 : data - 1;
          const std::size_t start = good.rfind(' ', end - 1) + 1;
          bad.replace(what == "the Boost archive header" ? 0 : start, end - (what == "the Boost archive header" ? 0 : start),
                      std::to_string(length));
        }
        const std::string path = dir / ("bad" + ext);
        if (ext.ends_with(".gz")) {
          std::string packed;
          namespace bio = boost::iostreams;
          bio::filtering_ostream gz;
          gz.push(bio::gzip_compressor());
          gz.push(bio::back_inserter(packed));
          gz.write(bad.data(), static_cast<std::streamsize>(bad.size()));
          gz.reset();
          write_bytes(path, packed);
        } else {
          write_bytes(path, bad);
        }
        INFO(what << " = " << length);
        const std::string m = message_of<format_error>([&] { io::archive_reader r(path); });
        CHECK(m.rfind(path + ": " + what + " is " + std::to_string(length) + " bytes long, more than the ", 0) == 0);
      }
    }
  }
}
