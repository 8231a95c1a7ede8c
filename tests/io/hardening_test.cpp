// Hostile and unusual files (issue 15): deep JSON, FIFOs and directories, decompression bombs (memory stays
// bounded), long file names, the mode of a replaced file, and messages that say what went wrong.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/archive.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

#include "../../fuzz/bombs.hpp"

namespace sw = spikeweave;
namespace io = spikeweave::io;
namespace fs = std::filesystem;
namespace bombs = spikeweave::bombs;
using namespace sw::models;

namespace {

struct scratch {
  fs::path path;
  scratch() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("spikeweave_hardening_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  ~scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

auto make_network() {
  return sw::network{{.dt = 0.1, .seed = 3},
                     sw::population<lif_cond_exp, "E">{20},
                     sw::population<lif_cond_exp, "I">{5},
                     sw::projection<stdp_additive, "E", "E", "g_e", "EE">{sw::fixed_probability{0.2}, {.w = 0.3}},
                     sw::projection<static_synapse, "E", "I", "g_e", "EI">{sw::fixed_probability{0.2}, {.w = 0.4}}};
}

// What a call throws: "format_error: <message>", "io_error: ...", "config_error: ...", "error: ..." (another
// spikeweave error), "std: ..." (anything else) or "none".
std::string outcome(const std::function<void()>& f) {
  try {
    f();
  } catch (const sw::format_error& e) {
    return std::string("format_error: ") + e.what();
  } catch (const sw::io_error& e) {
    return std::string("io_error: ") + e.what();
  } catch (const sw::config_error& e) {
    return std::string("config_error: ") + e.what();
  } catch (const sw::error& e) {
    return std::string("error: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("std: ") + e.what();
  }
  return "none";
}

// Runs f in a child process whose address space may grow by at most `limit` bytes (where the build has no
// sanitizer, which reserves terabytes), and returns outcome(f) and how much its peak RSS grew (bytes).
struct bounded_run {
  std::string outcome;
  std::uint64_t rss_growth = 0;
};
bounded_run run_bounded(const std::function<void()>& f, std::uint64_t limit = std::uint64_t{512} << 20) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    std::uint64_t pages = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%lu", &pages) != 1) pages = 0;
      std::fclose(statm);
    }
    if (pages > 0) {
      const rlim_t cap = static_cast<rlim_t>(pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) + limit);
      const rlimit r{cap, cap};
      ::setrlimit(RLIMIT_AS, &r);
    }
#endif
    rusage before{}, after{};
    ::getrusage(RUSAGE_SELF, &before);
    const std::string result = outcome(f);
    ::getrusage(RUSAGE_SELF, &after);
    const std::uint64_t growth = static_cast<std::uint64_t>(std::max<long>(0, after.ru_maxrss - before.ru_maxrss)) * 1024;
    const std::string report = std::to_string(growth) + "\n" + result;
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  const std::size_t newline = report.find('\n');
  REQUIRE(newline != std::string::npos);
  return {report.substr(newline + 1), std::stoull(report.substr(0, newline))};
}

constexpr std::uint64_t GiB = std::uint64_t{1} << 30;
constexpr std::uint64_t bounded = std::uint64_t{200} << 20;  // what a refused bomb may cost at most

}  // namespace

TEST_CASE("JSON nested deeper than 512 levels is a format_error, not a stack overflow", "[hardening][parameters]") {
  scratch dir;
  auto net = make_network();
  // 200,000 levels in 400 KB crashed the copy of the value (SIGSEGV).
  const std::string deep = dir / "deep.json";
  write_bytes(deep, bombs::deep_json(200000));
  const std::string m = outcome([&] { net.load_parameters(deep); });
  // {"network": {"x": [[[...: the 513th level is the 511th '[', at byte 18 + 510.
  CHECK(m == "format_error: " + deep + ": arrays and objects nest deeper than 512 levels (at byte 528), more than "
                                       "spikeweave reads");
  // 512 levels are read (the "network" object is one: 510 arrays in it); 513 are not.
  CHECK_NOTHROW(io::parse_json(std::string(512, '[') + std::string(512, ']'), "x"));
  CHECK_THROWS_AS(io::parse_json(std::string(513, '[') + std::string(513, ']'), "x"), sw::format_error);
  // Brackets in strings do not count, escaped quotes do not end them.
  CHECK_NOTHROW(io::parse_json("[\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"]", "x"));
  const std::string ok = dir / "ok.json";
  write_bytes(ok, bombs::deep_json(510));
  CHECK(net.load_parameters(ok).network()["x"].is_array());

  // The metadata of a state file too.
  const std::string state = dir / "deep.npz";
  {
    io::npz_writer w(state);
    w.add_string("metadata", bombs::deep_json(100000));
  }
  CHECK(outcome([&] { net.load(state); }).starts_with("format_error: " + state + ": metadata: arrays and objects nest deeper"));
}

TEST_CASE("a parameter file over 64 MiB is refused before it is read", "[hardening][parameters]") {
  scratch dir;
  auto net = make_network();
  const std::string big = dir / "big.json";
  write_bytes(big, "{}");
  fs::resize_file(big, (std::uint64_t{64} << 20) + 1);  // sparse: no disk, no time
  CHECK(outcome([&] { net.load_parameters(big); }) ==
        "format_error: " + big + ": 67108865 bytes, more than the 64 MiB parameter file spikeweave reads");
}

TEST_CASE("a FIFO is refused at once by every loader, with an io_error naming it", "[hardening]") {
  scratch dir;
  auto net = make_network();
  const std::vector<std::string> names = {"x.npz",    "x.bin",    "x.txt", "x.xml", "x.bin.gz",
                                          "x.txt.gz", "x.xml.gz", "x.h5",  "x.json"};
  for (const std::string& name : names) {
    const std::string fifo = dir / name;
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    INFO(fifo);
    auto load = [&] {
      if (name.ends_with(".json")) return outcome([&] { net.load_parameters(fifo); });
      return outcome([&] { net.load(fifo); });
    };
    // Before the fix the load waited forever for a writer: give it 20 s, then be its writer to end it.
    auto pending = std::async(std::launch::async, load);
    if (pending.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      FAIL_CHECK("the load blocks on the FIFO");
      const int w = ::open(fifo.c_str(), O_RDWR);
      ::close(w);
    }
    const std::string m = pending.get();
    if (name.ends_with(".h5") && m.find("compiled without HDF5") != std::string::npos) continue;
    CHECK(m == "io_error: " + fifo + ": cannot read: it is a FIFO (named pipe), not a regular file");
    if (!name.ends_with(".json")) CHECK(outcome([&] { (void)io::check_state(net, fifo); }) == m);
  }
}

TEST_CASE("a directory is an io_error naming it, for every loader", "[hardening]") {
  scratch dir;
  auto net = make_network();
  for (const std::string name : {"d.npz", "d.bin", "d.txt.gz", "d.xml", "d.h5", "d.json"}) {
    const std::string path = dir / name;
    fs::create_directory(path);
    INFO(path);
    const std::string m = name.ends_with(".json") ? outcome([&] { net.load_parameters(path); })
                                                  : outcome([&] { net.load(path); });
    if (name.ends_with(".h5") && m.find("compiled without HDF5") != std::string::npos) continue;
    CHECK(m == "io_error: " + path + ": cannot read: it is a directory, not a regular file");
  }
  // load_parameters threw std::ios_base::failure without the file name before.
  CHECK(outcome([&] { net.load_parameters(dir.path); }) ==
        "io_error: " + dir.path.string() + ": cannot read: it is a directory, not a regular file");
}

TEST_CASE("gzip bombs (1 MB of .gz holding 1 GiB of zeros) are refused while memory stays bounded", "[hardening][archive]") {
  scratch dir;
  const std::string zeros = bombs::gzip_zeros("", GiB);
  CHECK(zeros.size() < (std::uint64_t{2} << 20));
  // Before: 1 GiB (.bin.gz, .txt.gz) and 2.9 GiB (.xml.gz) of memory, then a format_error.
  for (const std::string ext : {".bin.gz", ".txt.gz", ".xml.gz"}) {
    const std::string path = dir / ("zeros" + ext);
    write_bytes(path, zeros);
    INFO(path);
    const bounded_run r = run_bounded([&] { io::archive_reader reader(path); });
    CHECK(r.outcome.starts_with("format_error: " + path + ": "));
    CHECK(r.outcome.find("too large to allocate") == std::string::npos);
    CHECK(r.rss_growth < bounded);
    if (ext != ".bin.gz") CHECK(r.outcome == "format_error: " + path + ": holds a NUL byte at offset 0 of its content: not a text archive");
  }
  // A valid archive head, then an entry that claims 2 GiB of data and holds 64 MiB of zeros: the content
  // grows as the zeros come, and the end of the stream refuses the claim.
  const std::string head = dir / "head.bin.gz";
  {
    io::archive_writer w(dir / "plain.bin");
    w.add("x", std::vector<double>{1});
  }
  std::string plain = read_bytes(dir / "plain.bin");
  const std::size_t data = plain.find(std::string("\0\0\0\0\0\0\xf0\x3f", 8));
  REQUIRE(data != std::string::npos);
  plain.resize(data - 8);
  const std::uint64_t claim = 2 * GiB;
  plain.append(reinterpret_cast<const char*>(&claim), 8);
  write_bytes(head, bombs::gzip_zeros(plain, GiB / 16));
  const bounded_run r = run_bounded([&] { io::archive_reader reader(head); }, std::uint64_t{1} << 30);
  CHECK(r.outcome.starts_with("format_error: " + head + ": entry 0 'x': the data is 2147483648 bytes long, more than the "
                                                        "67108864 left in the archive"));
  CHECK(r.rss_growth < std::uint64_t{300} << 20);  // what the file holds (64 MiB, and growth), not the 2 GiB claimed
  // With a limit on the content, the reader stops there.
  const bounded_run limited = run_bounded([&] { io::archive_reader reader(head, std::uint64_t{8} << 20); });
  CHECK(limited.outcome == "format_error: " + head + ": inflates to more than 8388608 bytes, the limit of this reader");
  CHECK(limited.rss_growth < std::uint64_t{40} << 20);
  // A limit the content fits in changes nothing.
  {
    io::archive_writer w(dir / "small.bin.gz");
    w.add("x", std::vector<double>{1, 2, 3});
    w.close();
  }
  const io::archive_reader small(dir / "small.bin.gz", 4096);
  CHECK(small.read<double>("x") == std::vector<double>{1, 2, 3});
}

TEST_CASE("an .npz whose metadata inflates to 1 GiB is refused from its header", "[hardening][npz]") {
  scratch dir;
  const std::string path = dir / "metadata.npz";
  write_bytes(path, bombs::npz_zeros("metadata", "<U268435456", "()", GiB));
  CHECK(fs::file_size(path) < (std::uint64_t{2} << 20));
  const bounded_run direct = run_bounded([&] { (void)io::npz_reader(path).read_string("metadata"); });
  CHECK(direct.outcome == "format_error: " + path + ": entry 'metadata' holds 1 x 1073741824 bytes, more than the 64 "
                                                    "MiB a string may have");
  CHECK(direct.rss_growth < bounded);
  const bounded_run state = run_bounded([&] {
    auto net = make_network();
    net.load(path);
  });
  CHECK(state.outcome.starts_with("format_error: " + path + ": entry 'metadata' holds 1 x 1073741824 bytes"));
  CHECK(state.rss_growth < bounded);
  // Every archive format's parser refuses a string entry over 64 MiB before its data.
  for (const std::string ext : {".bin", ".txt"}) {
    const std::string a = dir / ("metadata" + ext);
    {
      io::archive_writer w(a);
      w.add_string("metadata", "{}");
    }
    std::string bytes = read_bytes(a);
    const std::size_t at = bytes.find("<U2");
    REQUIRE(at != std::string::npos);
    bytes.replace(at, 3, "<U999999999");
    if (ext == ".bin") bytes[at - 8] = static_cast<char>(11);  // Boost's std::size_t length before the string
    else bytes.replace(at - 2, 1, "11");                          // "3 <U2" in a text archive
    write_bytes(a, bytes);
    CHECK(outcome([&] { io::archive_reader reader(a); }) ==
          "format_error: " + a + ": entry 0 'metadata' is a string (dtype '<U999999999', shape ()) of more than the 64 "
                                 "MiB strings may have");
  }
}

TEST_CASE("a deflated .npz array that claims 1 GiB and holds 128 MiB costs what it holds", "[hardening][npz]") {
  scratch dir;
  // The header and the zip directory claim 2^27 doubles; the deflate stream ends after 128 MiB of them.
  const std::string path = dir / "claims.npz";
  write_bytes(path, bombs::npz_zeros("v", "<f8", "(134217728,)", GiB / 8, GiB));
  // Before, the reader allocated and zeroed 1 GiB, then found the stream short; now memory is touched only
  // as the values come.
  const bounded_run r = run_bounded([&] { (void)io::npz_reader(path).read<double>("v"); }, std::uint64_t{2} << 30);
  CHECK(r.outcome == "format_error: " + path + ": entry 'v' has less data than its directory record says");
  CHECK(r.rss_growth < std::uint64_t{300} << 20);
  // Whole, it is read: a GiB of real (if dull) data is data.
}

TEST_CASE("gzip damage is reported as what it is, with the file name", "[hardening][archive]") {
  scratch dir;
  const std::string good = dir / "good.txt.gz";
  {
    io::archive_writer w(good);
    w.add("x", std::vector<double>{1, 2, 3});
    w.add_string("metadata", "{}");
  }
  const std::string bytes = read_bytes(good);
  auto refused = [&](const std::string& content) {
    const std::string path = dir / "bad.txt.gz";
    write_bytes(path, content);
    const std::string m = outcome([&] { io::archive_reader r(path); });
    REQUIRE(m.starts_with("format_error: " + path + ": "));
    return m.substr(std::string("format_error: ").size() + path.size() + 2);
  };
  CHECK(refused("plain text") == "not a gzip file (it does not start with the gzip signature 1f 8b)");
  CHECK(refused("") == "not a gzip file (it does not start with the gzip signature 1f 8b)");
  std::string header = bytes;
  header[2] = 7;  // compression method 7
  CHECK(refused(header) == "has a damaged gzip header (zlib: unknown compression method)");
  std::string crc = bytes;
  crc[crc.size() - 8] = static_cast<char>(crc[crc.size() - 8] ^ 1);
  CHECK(refused(crc) == "the gzip CRC-32 does not match the content: the file is damaged");
  std::string length = bytes;
  length[length.size() - 4] = static_cast<char>(length[length.size() - 4] ^ 1);
  CHECK(refused(length) == "the gzip length does not match the content: the file is damaged");
  CHECK(refused(bytes.substr(0, bytes.size() - 3)).starts_with("truncated: the gzip stream ends after "));
  CHECK(refused(bytes.substr(0, bytes.size() / 2)).starts_with("truncated: the gzip stream ends after "));
  CHECK(refused(bytes + "junk") == "has 4 bytes that are not gzip data after the end of its gzip stream");
  // Two members (gzip a; gzip b; cat) are one stream, as gzip -d reads them.
  const std::string split = dir / "split.txt.gz";
  const std::string text = [&] {
    std::string inflated;
    io::detail::unique_fd fd(::open(good.c_str(), O_RDONLY));
    io::detail::gzip_streambuf in(fd.get(), bytes.size(), inflated, true);
    (void)in.reach(~std::uint64_t{0} >> 1);
    REQUIRE(in.ended());
    return inflated;
  }();
  write_bytes(split, bombs::gzip_zeros(text.substr(0, 100), 0) + bombs::gzip_zeros(text.substr(100), 0));
  io::archive_reader r(split);
  CHECK(r.read<double>("x") == std::vector<double>{1, 2, 3});
}

TEST_CASE("an .xml archive's errors carry no stale errno text", "[hardening][archive]") {
  scratch dir;
  const std::string path = dir / "a.xml";
  {
    io::archive_writer w(path);
    w.add("x", std::vector<double>{1, 2, 3});
  }
  const std::string full = read_bytes(path);
  // Boost appended strerror(errno) to an input stream error: "input stream error-No such file or directory"
  // after any failed call before, "-Success" otherwise.
  int stream_errors = 0;
  for (std::size_t n = 40; n < full.size() - 30; n += 7) {
    write_bytes(path, full.substr(0, n));
    errno = ENOENT;  // left over from something else
    const std::string m = outcome([&] { io::archive_reader r(path); });
    INFO(m);
    CHECK(m.starts_with("format_error: " + path + ": "));
    CHECK(m.find("No such file") == std::string::npos);
    CHECK(m.find("Success") == std::string::npos);
    if (m.find("(boost: input stream error: a value is missing or malformed)") != std::string::npos) ++stream_errors;
  }
  CHECK(stream_errors > 0);
}

TEST_CASE("saving to a file name of 243 to 255 bytes works; the temporary is shortened", "[hardening]") {
  scratch dir;
  auto net = make_network();
  for (const std::size_t length : {std::size_t{243}, std::size_t{250}, std::size_t{255}}) {
    for (const std::string ext : {".npz", ".bin", ".txt.gz", ".h5", ".json"}) {
      const std::string name = std::string(length - ext.size(), 'n') + ext;
      const std::string path = dir / name;
      INFO(name.size() << " bytes: " << ext);
      if (ext == ".json") {
        net.save_parameters(path);
        CHECK_NOTHROW(net.load_parameters(path));
      } else {
        const std::string m = outcome([&] { net.save(path); });
        if (ext == ".h5" && m.find("compiled without HDF5") != std::string::npos) continue;
        CHECK(m == "none");
        CHECK(outcome([&] { net.load(path); }) == "none");
      }
      CHECK(fs::exists(path));
    }
  }
  // A multi-byte UTF-8 character across the cut is not split (the temporary's name stays valid UTF-8).
  const std::string euro = "\xe2\x82\xac";
  std::string name;
  while (name.size() + euro.size() <= 255 - 4) name += euro;
  name += ".npz";
  CHECK(outcome([&] { net.save(dir / name); }) == "none");
  CHECK(fs::exists(dir / name));
  for (const auto& f : fs::directory_iterator(dir.path)) CHECK(f.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("replacing a file keeps its mode; a new file gets 0666 minus the umask", "[hardening]") {
  scratch dir;
  auto net = make_network();
  for (const std::string ext : {".npz", ".bin", ".xml.gz", ".h5", ".mat", ".json"}) {
    const std::string path = dir / ("checkpoint" + ext);
    auto save = [&] {
      if (ext == ".json") net.save_parameters(path);
      else net.save(path);
    };
    const std::string m = outcome(save);
    if (ext == ".h5" && m.find("compiled without HDF5") != std::string::npos) continue;
    INFO(ext);
    REQUIRE(m == "none");
    const mode_t mask = ::umask(0);
    ::umask(mask);
    CHECK((fs::status(path).permissions() & fs::perms::all) == static_cast<fs::perms>(0666 & ~mask));
    fs::permissions(path, static_cast<fs::perms>(0600));
    save();
    CHECK((fs::status(path).permissions() & fs::perms::all) == static_cast<fs::perms>(0600));
    fs::permissions(path, static_cast<fs::perms>(0640));
    save();
    CHECK((fs::status(path).permissions() & fs::perms::all) == static_cast<fs::perms>(0640));
  }
}
