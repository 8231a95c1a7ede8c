// Poisson drive: ns per neuron-step of poisson_input, before (scalar Philox and inversion loop) and after.
//
// The microcircuit's drive (Potjans & Diesmann 2014): 77,169 neurons, each
// with n = 2000 Poisson trains of 8 Hz, dt = 0.1 ms (n p = 1.6 per step),
// weight 87.8 pA, in the inversion regime. "before" is a copy of the scalar
// algorithm poisson_input used until the SIMD version (one Philox4x32-10
// block per neuron for 4 steps, computed one at a time, and the inversion
// loop per neuron-step); "after" is poisson_input itself (prepare + deliver,
// one thread). Both run in this program on the same column type; they must
// leave the same numbers, bit for bit, and the program says so. Also timed:
// the normal-approximation regime (n p > 5, unchanged, scalar) and the
// poisson_source neuron model (one uniform number per neuron-step).
//
// Best of 5 repetitions of 400 steps each (steps that start a quad of 4
// included), after a warm-up.
//
//   poisson_drive            (SSE2, the default build)
//   poisson_drive_native     (-march=native)
//   either with --quick: 1,000 neurons and 40 steps, a smoke test
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <time.h>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>

#include <spikeweave/core/input.hpp>
#include <spikeweave/core/population.hpp>
#include <spikeweave/core/random.hpp>
#include <spikeweave/models/lif_curr_exp.hpp>
#include <spikeweave/models/poisson_source.hpp>

namespace sw = spikeweave;
namespace rnd = spikeweave::random;

namespace {

// CPU time of this thread: on a shared machine the wall time also counts the
// time the scheduler gave the core to someone else.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// The scalar algorithm before the SIMD version, as it was in
// core/input.hpp and core/random.hpp (binomial::invert).
struct scalar_inversion {
  std::uint64_t n;
  double p, odds, p0;
  scalar_inversion(std::uint64_t n_, double p_)
      : n(n_), p(p_), odds(p_ / (1.0 - p_)), p0(std::pow(1.0 - p_, static_cast<double>(n_))) {}
  [[nodiscard]] std::uint64_t invert(double u) const {
    if (n == 0 || p <= 0.0) return 0;
    if (p >= 1.0) return n;
    double f = p0;
    double cumulative = f;
    std::uint64_t k = 0;
    while (u >= cumulative && k < n) {
      f *= odds * static_cast<double>(n - k) / static_cast<double>(k + 1);
      ++k;
      cumulative += f;
    }
    return k;
  }
};

struct scalar_poisson_input {
  std::uint64_t n;
  double rate, weight;
  std::vector<rnd::block> blocks;
  std::uint64_t quad = ~std::uint64_t{0};

  template <class Real>
  void deliver(std::vector<Real>& col, rnd::key rng, double dt, std::uint64_t step) {
    const scalar_inversion sample(n, rate * dt * 1e-3);
    const bool refill = quad != step / 4 || blocks.size() != col.size();
    blocks.resize(col.size());
    quad = step / 4;
    if (refill)
      for (std::size_t i = 0; i < col.size(); ++i) blocks[i] = rnd::bits(rng, i, step / 4, 1);
    const std::size_t word = step % 4;
    for (std::size_t i = 0; i < col.size(); ++i) {
      const double u = (static_cast<double>(blocks[i][word]) + 0.5) * 0x1.0p-32;
      const auto k = sample.invert(u);
      if (k != 0) col[i] += static_cast<Real>(static_cast<double>(k) * weight);
    }
  }
};

struct options {
  std::size_t neurons = 77169;
  std::uint64_t steps = 400;
  int repetitions = 5;
};

// Best (lowest) thread CPU time per neuron-step over the repetitions of run(steps), in ns.
template <class F>
double best_ns(const options& o, F&& run) {
  run(o.steps);  // warm-up
  double best = 1e300;
  for (int r = 0; r < o.repetitions; ++r) {
    const double start = thread_cpu_seconds();
    run(o.steps);
    const double s = thread_cpu_seconds() - start;
    best = std::min(best, s);
  }
  return best / (static_cast<double>(o.steps) * static_cast<double>(o.neurons)) * 1e9;
}

constexpr double dt = 0.1;  // [ms]
constexpr double weight = 87.8;  // [pA]

template <class Real>
bool inversion_case(const options& o, const char* name, std::uint64_t n, double rate) {
  const rnd::key rng{1234, 7};
  // before
  scalar_poisson_input before{n, rate, weight, {}};
  std::vector<Real> col_before(o.neurons, Real(0));
  std::uint64_t step_before = 0;
  const double ns_before = best_ns(o, [&](std::uint64_t steps) {
    for (std::uint64_t k = 0; k < steps; ++k) before.deliver(col_before, rng, dt, step_before++);
  });
  // after
  using pop_type = sw::population<sw::models::lif_curr_exp, "E", Real>;
  pop_type pop(o.neurons);
  auto& col = pop.columns().I_e;
  std::fill(col.data(), col.data() + o.neurons, Real(0));
  sw::poisson_input<"E", "I_e"> after{.n = n, .rate = rate, .weight = weight};
  std::uint64_t step_after = 0;
  const double ns_after = best_ns(o, [&](std::uint64_t steps) {
    for (std::uint64_t k = 0; k < steps; ++k) {
      after.deliver(pop, rng, dt, step_after++);
    }
  });
  bool same = step_before == step_after;
  for (std::size_t i = 0; i < o.neurons; ++i) same = same && std::memcmp(&col_before[i], &col[i], sizeof(Real)) == 0;
  const std::string what = "inversion (n p = " + std::to_string(static_cast<double>(n) * rate * dt * 1e-3).substr(0, 4) + ")";
  std::printf("%-28s %-6s before %7.3f ns   after %7.3f ns   %5.1fx   %s\n", what.c_str(), name, ns_before, ns_after,
              ns_before / ns_after, same ? "bit-identical" : "DIFFERENT");
  return same;
}

template <class Real>
void normal_case(const options& o, const char* name) {
  // n p = 2000 x 40 Hz x 0.1 ms = 8: the normal approximation, a block per neuron-step.
  using pop_type = sw::population<sw::models::lif_curr_exp, "E", Real>;
  pop_type pop(o.neurons);
  sw::poisson_input<"E", "I_e"> in{.n = 2000, .rate = 40.0, .weight = weight};
  std::uint64_t step = 0;
  const double ns = best_ns(o, [&](std::uint64_t steps) {
    for (std::uint64_t k = 0; k < steps; ++k) in.deliver(pop, rnd::key{1234, 7}, dt, step++);
  });
  std::printf("%-28s %-6s %7.3f ns\n", "normal (n p = 8)", name, ns);
}

template <class Real>
void source_case(const options& o, const char* name) {
  sw::population<sw::models::poisson_source, "P", Real> pop(o.neurons, {.rate = 8.0});
  std::uint64_t step = 0;
  const double ns = best_ns(o, [&](std::uint64_t steps) {
    for (std::uint64_t k = 0; k < steps; ++k, ++step) pop.advance(dt, static_cast<double>(step) * dt, step);
  });
  std::printf("%-28s %-6s %7.3f ns\n", "poisson_source update", name, ns);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      o.neurons = 1000;
      o.steps = 40;
      o.repetitions = 2;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  std::printf("poisson_drive: %zu neurons, %llu steps per repetition, best of %d, one thread, CPU time; "
              "xsimd %s (%zu x 32-bit lanes); ns per neuron-step\n",
              o.neurons, static_cast<unsigned long long>(o.steps), o.repetitions, xsimd::default_arch::name(),
              xsimd::batch<std::uint32_t>::size);
  // The microcircuit's drive, and that of the main example (n = 1000 at 1 Hz, n p = 0.1).
  bool ok = inversion_case<double>(o, "double", 2000, 8.0);
  ok = inversion_case<float>(o, "float", 2000, 8.0) && ok;
  ok = inversion_case<double>(o, "double", 1000, 1.0) && ok;
  normal_case<double>(o, "double");
  source_case<double>(o, "double");
  source_case<float>(o, "float");
  return ok ? 0 : 1;
}
