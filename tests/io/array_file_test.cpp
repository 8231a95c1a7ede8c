// io/array_file.hpp: every format behind array_file_writer / array_file_reader (compiled once, in spikeweave::io's
// library), with each format's own checks, errors and atomic replacement.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/array_file.hpp>

namespace io = spikeweave::io;
namespace fs = std::filesystem;

namespace {

struct array_file_scratch {
  fs::path path = fs::temp_directory_path() / ("spikeweave_array_file_test_" + std::to_string(::getpid()));
  array_file_scratch() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  array_file_scratch(const array_file_scratch&) = delete;
  array_file_scratch& operator=(const array_file_scratch&) = delete;
  ~array_file_scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> readable_names() {
  std::vector<std::string> names{"a.npz", "a.bin", "a.txt", "a.xml", "a.bin.gz", "a.txt.gz", "a.xml.gz"};
#if __has_include(<hdf5.h>)
  names.push_back("a.h5");
#endif
  return names;
}

}  // namespace

TEST_CASE("array_format_of tells the format by the extension", "[array_file]") {
  CHECK(io::array_format_of("x/state.npz") == io::array_format::npz);
  for (const char* name : {"s.bin", "s.txt", "s.xml", "s.bin.gz", "s.txt.gz", "s.xml.gz"})
    CHECK(io::array_format_of(name) == io::array_format::archive);
  CHECK(io::array_format_of("s.h5") == io::array_format::h5);
  CHECK(io::array_format_of("s.mat") == io::array_format::mat);
  CHECK(io::array_format_of("s.npy") == io::array_format::unknown);
  CHECK(io::array_format_of("s.gz") == io::array_format::unknown);
}

TEST_CASE("every element type round-trips through every format, bit for bit", "[array_file]") {
  const array_file_scratch dir;
  const std::vector<double> f8{1.5, -0.0, std::numeric_limits<double>::denorm_min(), 1e300, -7};
  const std::vector<float> f4{0.25f, -3.0f};
  const bool b1[] = {true, false, true};
  const std::vector<std::int8_t> i1{-128, 127};
  const std::vector<std::int16_t> i2{-32768, 5};
  const std::vector<std::int32_t> i4{-1, 1 << 30};
  const std::vector<std::int64_t> i8{std::numeric_limits<std::int64_t>::min(), 3};
  const std::vector<std::uint8_t> u1{0, 255};
  const std::vector<std::uint16_t> u2{65535};
  const std::vector<std::uint32_t> u4{1, 2, 3, 4, 5, 6};
  const std::vector<std::uint64_t> u8{std::numeric_limits<std::uint64_t>::max()};
  const std::vector<long long> ll{-5, 6};  // read and written as std::int64_t
  for (const std::string& name : readable_names()) {
    INFO(name);
    const std::string path = dir / name;
    {
      const auto out = io::open_array_writer(path, io::array_format_of(path));
      CHECK(out->path() == path);
      out->add("f8", f8);
      out->add("f4", f4);
      out->add("b1", std::span<const bool>(b1));
      out->add("g/i1", i1);
      out->add("g/i2", i2);
      out->add("g/i4", i4);
      out->add("g/i8", i8);
      out->add("h/u1", u1);
      out->add("h/u2", u2);
      out->add("h/u4", u4, {2, 3});
      out->add("h/u8", u8);
      out->add("ll", ll);
      out->add_string("text", "spikeweave \xc3\xa9");
      out->close();
    }
    const auto in = io::open_array_reader(path, io::array_format_of(path));
    CHECK(in->path() == path);
    CHECK(in->contains("g/i4"));
    CHECK_FALSE(in->contains("g"));
    CHECK(in->names().size() == 13);
    CHECK(in->read<double>("f8") == f8);
    CHECK(std::signbit(in->read<double>("f8")[1]));
    CHECK(in->read<float>("f4") == f4);
    CHECK(in->read<bool>("b1") == std::vector<bool>{true, false, true});
    CHECK(in->read<std::int8_t>("g/i1") == i1);
    CHECK(in->read<std::int16_t>("g/i2") == i2);
    CHECK(in->read<std::int32_t>("g/i4") == i4);
    CHECK(in->read<std::int64_t>("g/i8") == i8);
    CHECK(in->read<std::uint8_t>("h/u1") == u1);
    CHECK(in->read<std::uint16_t>("h/u2") == u2);
    CHECK(in->read<std::uint32_t>("h/u4") == u4);
    CHECK(in->info("h/u4").shape == std::vector<std::uint64_t>{2, 3});
    CHECK(in->info("h/u4").dtype == "<u4");
    CHECK(in->read<std::uint64_t>("h/u8") == u8);
    CHECK(in->read<long long>("ll") == ll);
    CHECK(in->read_string("text") == "spikeweave \xc3\xa9");
    // Each format's own checks and messages.
    CHECK_THROWS_WITH(in->read<float>("f8"), Catch::Contains(path) && Catch::Contains("'<f8'") && Catch::Contains("'<f4'"));
    CHECK_THROWS_AS(in->read<double>("nothing"), spikeweave::format_error);
  }
}

TEST_CASE("writers keep the checks of their format and replace files whole or not at all", "[array_file]") {
  const array_file_scratch dir;
  for (const std::string& name : readable_names()) {
    INFO(name);
    const std::string path = dir / name;
    {
      const auto out = io::open_array_writer(path, io::array_format_of(path));
      out->add("v", std::vector<double>{1, 2});
      CHECK_THROWS_AS(out->add("w", std::vector<double>{1, 2, 3}, {2, 2}), spikeweave::format_error);  // shape
      CHECK_THROWS_AS(out->add("v", std::vector<double>{3}), spikeweave::format_error);                // twice
      out->close();
    }
    const std::string before = bytes_of(path);
    try {  // an exception while a writer is open: the temporary goes, the file stays the old one
      const auto out = io::open_array_writer(path, io::array_format_of(path));
      out->add("v", std::vector<double>{5, 6, 7});
      throw std::runtime_error("stop");
    } catch (const std::runtime_error&) {
    }
    CHECK(bytes_of(path) == before);
    int temporaries = 0;
    for (const auto& f : fs::directory_iterator(dir.path))
      temporaries += f.path().filename().string().find(".tmp-") != std::string::npos;
    CHECK(temporaries == 0);
  }
}

TEST_CASE("attributes go to .h5 files only", "[array_file]") {
  const array_file_scratch dir;
  const auto npz = io::open_array_writer(dir / "a.npz", io::array_format::npz);
  CHECK_FALSE(npz->takes_attributes());
  npz->add("v", std::vector<double>{1});
  npz->add_attribute("v", "units", "mV");  // nothing
  npz->close();
#if __has_include(<hdf5.h>)
  const auto h5 = io::open_array_writer(dir / "a.h5", io::array_format::h5);
  CHECK(h5->takes_attributes());
  h5->add("v", std::vector<double>{1});
  h5->add_attribute("v", "units", "mV");
  CHECK_THROWS_AS(h5->add_attribute("w", "units", "mV"), spikeweave::format_error);  // no such object
  h5->close();
#endif
}

TEST_CASE("the .mat export through the interface, bools included", "[array_file]") {
  const array_file_scratch dir;
  const bool flags[] = {true, false};
  const auto out = io::open_array_writer(dir / "a.mat", io::array_format::mat);
  out->add("v", std::vector<double>{1, 2, 3, 4}, {2, 2});
  out->add("flags", std::span<const bool>(flags));  // did not compile in mat_writer: std::vector<bool> has no data()
  out->add_string("metadata", "{}");
  out->close();
  const std::string bytes = bytes_of(dir / "a.mat");
  CHECK(bytes.starts_with("MATLAB 5.0 MAT-file"));
  CHECK(bytes.find("flags") != std::string::npos);
}

TEST_CASE("unknown names and reading .mat are io_errors naming the file", "[array_file]") {
  CHECK_THROWS_MATCHES(io::open_array_writer("x.npy", io::array_format::unknown), spikeweave::io_error,
                       Catch::Matchers::Message("x.npy: not a file name spikeweave writes arrays to (.npz, .h5, .bin, "
                                                ".txt, .xml, each of the last three optionally .gz, or .mat)"));
  CHECK_THROWS_WITH(io::open_array_reader("x.mat", io::array_format::mat), Catch::StartsWith("x.mat: .mat files are an export"));
  CHECK_THROWS_WITH(io::open_array_reader("x.npy", io::array_format::unknown), Catch::StartsWith("x.npy: not a file name"));
  CHECK_THROWS_WITH(io::open_array_reader("/nonexistent/x.npz", io::array_format::npz),
                    Catch::StartsWith("/nonexistent/x.npz: "));
}
