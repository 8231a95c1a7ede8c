// Saves killed with SIGKILL mid-write: the file on disk is always the previous state or a complete new one.
//
// A child process saves a state of a few MB to one path over and over, each time with other values; the parent
// kills it at random moments, then loads the file into a fresh network. What the kill leaves behind is at most a
// temporary `<path>.tmp-XXXXXXXX` beside the file, which a later save does not trip over.
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
namespace fs = std::filesystem;

namespace {

// 2000 neurons and ~400k synapses: about 7 MB of state (.bin), 3 MB as a deflated .npz.
auto make_big(std::uint64_t seed) {
  return sw::network{{.dt = 0.1, .seed = seed}, sw::population<sw::models::lif_cond_exp, "E">{2000},
                     sw::projection<sw::models::static_synapse, "E", "E", "g_e", "EE">{sw::fixed_probability{0.1}}};
}
using big_network = decltype(make_big(1));

// Every value a save of generation `g` holds depends on g, so a file mixing two saves is recognised.
double v_of(std::uint64_t g, std::size_t i) { return -70.0 + 1e-3 * static_cast<double>(g) + 1e-6 * static_cast<double>(i); }
// Weights with arbitrary low bits, which deflate cannot shrink: the .npz stays a few MB.
double w_of(std::uint64_t g, std::size_t k) {
  std::uint64_t x = k * 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ull;
  return 1e-3 * static_cast<double>(g) + std::ldexp(static_cast<double>(x >> 11), -60);
}

void set_generation(big_network& net, std::uint64_t g) {
  auto& v = net.population<"E">().columns().v;
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = v_of(g, i);
  auto& w = net.projection<"EE">().columns().w;
  for (std::size_t k = 0; k < w.size(); ++k) w[k] = w_of(g, k);
  net.constant("generation", static_cast<double>(g));
}

// The generation of a loaded network, or a failed check if its values are not all of that one generation.
std::uint64_t generation_of(big_network& net) {
  const auto g = static_cast<std::uint64_t>(net.constant("generation"));
  const auto& v = net.population<"E">().columns().v;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] != v_of(g, i)) FAIL("neuron " << i << " holds a value of another save than generation " << g);
  const auto& w = net.projection<"EE">().columns().w;
  for (std::size_t k = 0; k < w.size(); ++k)
    if (w[k] != w_of(g, k)) FAIL("synapse " << k << " holds a value of another save than generation " << g);
  return g;
}

// Temporaries the writers leave when they are killed: `<name>.tmp-` and 8 characters of [a-z0-9].
std::vector<std::string> temporaries(const fs::path& dir, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().filename().string() != name) out.push_back(f.path().filename().string());
  return out;
}

}  // namespace

TEST_CASE("a save killed with SIGKILL leaves the previous file or the complete new one, never a partial one", "[crash]") {
  const std::string ext = GENERATE(".npz", ".bin");
  const fs::path dir = fs::temp_directory_path() / ("spikeweave_crash_test_" + std::to_string(::getpid()) + ext.substr(1));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string name = "state" + ext;
  const std::string path = (dir / name).string();

  auto net = make_big(1);
  set_generation(net, 1);
  const auto started = std::chrono::steady_clock::now();
  net.save(path);  // a valid file before the first kill
  auto save_time = std::chrono::steady_clock::now() - started;
  {
    auto fresh = make_big(2);
    fresh.load(path);
    REQUIRE(generation_of(fresh) == 1);
  }

  std::mt19937 random(20240611);
  std::uint64_t last = 1;
  int leftovers = 0;
  for (int round = 1; round <= 10; ++round) {
    const std::uint64_t first_generation = 1000 * static_cast<std::uint64_t>(round);
    int done[2];  // the child writes a byte here after each completed save
    REQUIRE(::pipe(done) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The child: save new generations back to back until killed. No Catch2 here.
      ::close(done[0]);
      try {
        for (std::uint64_t g = first_generation;; ++g) {
          set_generation(net, g);
          net.save(path);
          if (::write(done[1], "s", 1) != 1) ::_exit(4);
        }
      } catch (...) {
        ::_exit(3);
      }
    }
    ::close(done[1]);
    // Wait for 0, 1 or 2 completed saves, then kill at a random moment of the next one.
    const int saves = round % 3;
    auto previous = std::chrono::steady_clock::now();
    for (int k = 0; k < saves; ++k) {
      pollfd p{done[0], POLLIN, 0};
      REQUIRE(::poll(&p, 1, 120000) == 1);
      char c = 0;
      REQUIRE(::read(done[0], &c, 1) == 1);
      const auto now = std::chrono::steady_clock::now();
      if (k > 0) save_time = now - previous;  // the child's own pace
      previous = now;
    }
    const auto save_ms = std::chrono::duration_cast<std::chrono::milliseconds>(save_time).count();
    const int delay_ms = std::uniform_int_distribution<int>(0, static_cast<int>(save_ms))(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    ::close(done[0]);
    INFO("round " << round << ": killed " << delay_ms << " ms after save " << saves << " (a save takes about "
                  << save_ms << " ms)");
    REQUIRE(WIFSIGNALED(status));  // not an exit: the child was still saving
    CHECK(WTERMSIG(status) == SIGKILL);

    auto fresh = make_big(3);
    fresh.load(path);  // throws if the file were partial or corrupt
    const std::uint64_t g = generation_of(fresh);
    // The last save known to be complete, or a later one of this child.
    if (saves == 0) CHECK((g == last || (g >= first_generation && g < first_generation + 1000)));
    else CHECK((g >= first_generation + saves - 1 && g < first_generation + 1000));
    last = g;

    const std::regex temporary(std::regex_replace(name, std::regex("\\."), "\\.") + "\\.tmp-[a-z0-9]{8}");
    for (const auto& t : temporaries(dir, name)) {
      INFO("left in " << dir.string() << ": " << t);
      CHECK(std::regex_match(t, temporary));
    }
    leftovers = static_cast<int>(temporaries(dir, name).size());
  }
  // Most kills land mid-save and leave a temporary.
  CHECK(leftovers > 0);

  // A later save, with the leftovers still there, works and replaces the file.
  set_generation(net, 99);
  net.save(path);
  {
    auto fresh = make_big(4);
    fresh.load(path);
    CHECK(generation_of(fresh) == 99);
  }
  CHECK(static_cast<int>(temporaries(dir, name).size()) == leftovers);  // a save removes only its own temporary
  fs::remove_all(dir);
}
