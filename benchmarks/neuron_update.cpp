// Neuron update throughput: population<Model, Name, Real>::advance(dt, t, step) alone, no inputs.
//
// For each built-in model (lif_cond_exp, lif_curr_exp, izhikevich), precision
// (double, float) and population size (one that stays in cache, one that has
// to stream from DRAM) the benchmark times repeated calls of advance() and
// prints the neuron updates per second, the time per update, the bytes the
// fused kernel must move per update (every variable column and the refractory
// counter column read and written once) and the bandwidth this amounts to,
// next to the single-thread memory bandwidth of the machine measured in the
// same run by STREAM-like copy and triad kernels (and an in-place sweep over
// three arrays, a = s*a etc., which has the access pattern of the neuron kernel).
//
// The neurons get no input: the LIF models rest at E_l and never fire;
// izhikevich gets I_ext = 10 and fires tonically at ~22 Hz (the rate is
// printed), its neurons spread over the phases of the limit cycle so that a
// steady trickle of them fires in every step, as in a running network.
//
//   neuron_update           full run (under a minute on two shared cores)
//   neuron_update --quick   tiny sizes and few steps: a smoke test, < 5 s
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

// GCC 12 warns about _mm512_undefined_pd() inside its own AVX-512 intrinsics
// (GCC bug 105593) when xsimd's max is inlined under -march=native.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>

#include <spikeweave/core/population.hpp>
#include <spikeweave/models/izhikevich.hpp>
#include <spikeweave/models/lif_cond_exp.hpp>
#include <spikeweave/models/lif_curr_exp.hpp>

namespace sw = spikeweave;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  bool quick = false;
  double target_seconds = 0.3;   // length of one timed repetition
  int repetitions = 5;           // timed repetitions per case (best and median reported)
  std::size_t small_n = 4000;    // 48-128 KB of columns: L2-resident
  // Far beyond the last-level cache: even izhikevich in float (12 B per
  // neuron) spans 144 MB, over 4x a 32 MiB L3. At 4 M neurons the float
  // columns (48-64 MB) still got part of their lines from L3 on the machine
  // this was written on, and beat the DRAM reference.
  std::size_t large_n = 12000000;
  std::size_t stream_doubles = std::size_t{8} << 20;  // 64 MiB per array
  int stream_repetitions = 20;
  std::uint64_t quick_steps = 20;
};

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU time of this thread: below the wall time when the scheduler gave the
// core to someone else during a measurement.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Keeps the compiler from dropping a value it could otherwise prove unused.
template <class T>
void keep(const T& value) {
  asm volatile("" : : "g"(&value) : "memory");
}

// ---------------------------------------------------------------------------
// STREAM-like reference: one thread, like the neuron update.

struct stream_result {
  double copy_gbs = 0, triad_gbs = 0, update_gbs = 0;
  double checksum = 0;
};

// GCC turns a plain copy loop into a call to memcpy, which switches to
// non-temporal stores on large sizes; STREAM measures an ordinary loop.
#if defined(__GNUC__) && !defined(__clang__)
#define SW_PLAIN_LOOPS __attribute__((noinline, optimize("no-tree-loop-distribute-patterns")))
#else
#define SW_PLAIN_LOOPS __attribute__((noinline))
#endif

SW_PLAIN_LOOPS void stream_copy(double* __restrict c, const double* __restrict a, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) c[i] = a[i];
}
SW_PLAIN_LOOPS void stream_triad(double* __restrict a, const double* __restrict b,
                                 const double* __restrict c, double s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}
// In place over three arrays at once, the access pattern of the neuron kernel
// (several columns, each line read and written back, no write-allocate).
SW_PLAIN_LOOPS void stream_update(double* __restrict a, double* __restrict b, double* __restrict c, double s,
                                  std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = s * a[i];
    b[i] = s * b[i];
    c[i] = s * c[i];
  }
}

stream_result measure_stream(const options& o) {
  const std::size_t n = o.stream_doubles;
  std::vector<double, xsimd::aligned_allocator<double>> a(n, 1.0), b(n, 2.0), c(n, 0.0);
  auto best_rate = [&](double bytes, auto&& kernel) {
    double best = 1e300;
    for (int r = 0; r < o.stream_repetitions + 1; ++r) {  // the first one warms up
      const auto start = clock_type::now();
      kernel();
      const double s = seconds_since(start);
      if (r > 0) best = std::min(best, s);
    }
    return bytes / best * 1e-9;
  };
  stream_result out;
  const double word = sizeof(double);
  // STREAM's convention: bytes named in the source, no write-allocate traffic.
  out.copy_gbs = best_rate(2 * word * n, [&] { stream_copy(c.data(), a.data(), n); keep(c[n / 2]); });
  out.triad_gbs = best_rate(3 * word * n, [&] { stream_triad(a.data(), b.data(), c.data(), 0.5, n); keep(a[n / 2]); });
  out.update_gbs = best_rate(3 * 2 * word * n, [&] {
    stream_update(a.data(), b.data(), c.data(), 0.999999, n);
    keep(a[n / 2]);
  });
  out.checksum = a[n - 1] + b[n - 1] + c[n - 1];
  return out;
}

// ---------------------------------------------------------------------------
// Neuron update.

struct row {
  std::string model, precision;
  std::size_t n = 0;
  std::size_t lanes = 0;
  std::uint64_t steps = 0;       // per timed repetition
  double best_s = 0, median_s = 0, worst_s = 0;
  double bytes_per_update = 0;
  double rate_hz = 0;            // spikes per neuron per second of model time (timed runs)
  double cpu_share = 0;          // thread CPU time / wall time of the best repetition
  double checksum = 0;
};

constexpr double dt = 0.1;  // [ms]

template <class Model, class Real>
row run_case(const char* model_name, std::size_t n, const options& o,
             typename sw::population<Model, "bench", Real>::parameters_type params = {},
             typename sw::population<Model, "bench", Real>::initial_values init = {}) {
  using pop_type = sw::population<Model, "bench", Real>;
  pop_type pop(n, params, init);

  std::uint64_t step = 0;
  auto run = [&](std::uint64_t steps) {
    for (std::uint64_t k = 0; k < steps; ++k, ++step) pop.advance(dt, static_cast<double>(step) * dt, step);
  };

  // Warm-up (touches every page, settles caches and clocks) and calibration.
  std::uint64_t steps = o.quick_steps;
  if (!o.quick) {
    std::uint64_t probe = 1;
    double took = 0;
    while (true) {
      const auto start = clock_type::now();
      run(probe);
      took = seconds_since(start);
      if (took > 0.1) break;
      probe *= 2;
    }
    steps = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(o.target_seconds / (took / probe)));
  } else {
    run(steps);
  }

  std::vector<double> times;
  double best_cpu = 0;
  const std::uint64_t spikes_before = pop.spike_count();
  for (int r = 0; r < o.repetitions; ++r) {
    const double cpu_start = thread_cpu_seconds();
    const auto start = clock_type::now();
    run(steps);
    const double wall = seconds_since(start);
    if (times.empty() || wall < *std::min_element(times.begin(), times.end()))
      best_cpu = (thread_cpu_seconds() - cpu_start) / wall;
    times.push_back(wall);
  }
  const std::uint64_t spikes = pop.spike_count() - spikes_before;
  std::sort(times.begin(), times.end());

  // Read the state back so the work cannot be optimised away.
  double checksum = 0;
  sw::reflect::for_each_field(pop.columns(), [&](std::string_view, const sw::column<Real>& c) {
    for (Real x : c) checksum += static_cast<double>(x);
  });
  for (Real x : pop.refractory_counter()) checksum += static_cast<double>(x);

  std::size_t columns = sw::reflect::field_count<typename pop_type::columns_type>;
  if constexpr (sw::model::has_refractory<Model>) ++columns;

  row out;
  out.model = model_name;
  out.precision = sizeof(Real) == 8 ? "double" : "float";
  out.n = n;
  out.lanes = xsimd::batch<Real>::size;
  out.steps = steps;
  out.best_s = times.front();
  out.median_s = times[times.size() / 2];
  out.worst_s = times.back();
  out.cpu_share = best_cpu;
  out.bytes_per_update = static_cast<double>(columns * 2 * sizeof(Real));
  const double model_seconds = static_cast<double>(steps) * o.repetitions * dt * 1e-3;
  out.rate_hz = static_cast<double>(spikes) / static_cast<double>(n) / model_seconds;
  out.checksum = checksum;
  return out;
}

// Izhikevich neurons with I_ext = 10 fire tonically (about 22 Hz at dt = 0.1
// ms). Started together they would spend the timed steps in the initial
// transient and fire in volleys; instead one neuron is run to its limit cycle
// and the states of one period are spread over the population (neuron i at
// phase frac(i * golden ratio)), so a steady ~1/period of them fire per step,
// scattered over the batches.
const sw::models::izhikevich::parameters izhikevich_params{.I_ext = 10};

struct izhikevich_cycle {
  std::vector<double> v, u;  // one state per step over one period
};

izhikevich_cycle izhikevich_limit_cycle() {
  sw::population<sw::models::izhikevich, "cycle"> one(1, izhikevich_params);
  izhikevich_cycle cycle;
  int spikes = 0;
  for (std::uint64_t k = 0; k < 1000000 && spikes < 6; ++k) {
    one.advance(dt, static_cast<double>(k) * dt, k);
    if (!one.spikes().empty()) ++spikes;
    if (spikes == 5) {  // from just after the fifth spike up to the sixth
      cycle.v.push_back(one.columns().v[0]);
      cycle.u.push_back(one.columns().u[0]);
    }
  }
  if (cycle.v.empty()) cycle = {{one.columns().v[0]}, {one.columns().u[0]}};  // does not fire
  return cycle;
}

sw::population<sw::models::izhikevich>::initial_values izhikevich_initial(const izhikevich_cycle& c,
                                                                          std::size_t n) {
  std::vector<double> v(n), u(n);
  const double golden = 0.6180339887498949;
  for (std::size_t i = 0; i < n; ++i) {
    const double phase = static_cast<double>(i) * golden - std::floor(static_cast<double>(i) * golden);
    const auto k = std::min(c.v.size() - 1, static_cast<std::size_t>(phase * static_cast<double>(c.v.size())));
    v[i] = c.v[k];
    u[i] = c.u[k];
  }
  return {.v = std::move(v), .u = std::move(u), .I = {}};
}

template <class Real, class Emit>
void run_precision(const options& o, const izhikevich_cycle& cycle, Emit&& emit) {
  for (std::size_t n : {o.small_n, o.large_n}) {
    emit(run_case<sw::models::lif_cond_exp, Real>("lif_cond_exp", n, o));
    emit(run_case<sw::models::lif_curr_exp, Real>("lif_curr_exp", n, o));
    emit(run_case<sw::models::izhikevich, Real>("izhikevich", n, o, izhikevich_params,
                                                izhikevich_initial(cycle, n)));
  }
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown CPU";
}

std::string compiler() {
#if defined(__clang__)
  std::string name = "clang " __clang_version__;
#elif defined(__GNUC__)
  std::string name = "gcc " __VERSION__;
#else
  std::string name = "unknown compiler";
#endif
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      o.quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  if (o.quick) {
    o.small_n = 1000;
    o.large_n = 20000;
    o.stream_doubles = std::size_t{1} << 20;
    o.stream_repetitions = 2;
    o.repetitions = 1;
  }

  const auto started = clock_type::now();
  std::printf("neuron_update: xsimd arch %s, %zu double / %zu float lanes; %s; %s%s\n",
              xsimd::default_arch::name(), xsimd::batch<double>::size, xsimd::batch<float>::size,
              compiler().c_str(), cpu_name().c_str(), o.quick ? "; --quick (sizes too small to mean anything)" : "");

  const stream_result mem = measure_stream(o);
  const double mem_gbs = std::max(mem.copy_gbs, mem.triad_gbs);
  std::printf("memory bandwidth, 1 thread, 3 x %zu MiB doubles, best of %d: copy %.1f GB/s, triad %.1f GB/s "
              "(in place, a,b,c = s*(a,b,c): %.1f GB/s); reference %.1f GB/s\n",
              o.stream_doubles * sizeof(double) >> 20, o.stream_repetitions, mem.copy_gbs, mem.triad_gbs,
              mem.update_gbs, mem_gbs);

  std::printf("dt = %.1f ms; ns/upd from the best of %d repetitions of `steps` advance() calls (median: their "
              "median); B/upd = (variables + refractory column) x 2 x sizeof(Real)\n\n",
              dt, o.repetitions);
  std::printf("%-13s %-6s %9s %5s %7s %11s %8s %6s %7s %6s %6s %7s %7s %4s %8s %14s\n", "model", "real", "N", "lanes",
              "steps", "upd/s", "ns/upd", "B/upd", "GB/s", "x mem", "x inpl", "median", "spread", "cpu", "rate Hz",
              "checksum");
  auto emit = [&](const row& r) {
    const double updates = static_cast<double>(r.n) * static_cast<double>(r.steps);
    const double per_second = updates / r.best_s;
    const double gbs = per_second * r.bytes_per_update * 1e-9;
    std::printf("%-13s %-6s %9zu %5zu %7llu %11.4g %8.3f %6.0f %7.2f %6.2f %6.2f %7.3f %6.1f%% %3.0f%% %8.2f %14.7g\n",
                r.model.c_str(), r.precision.c_str(), r.n, r.lanes, static_cast<unsigned long long>(r.steps),
                per_second, 1e9 / per_second, r.bytes_per_update, gbs, gbs / mem_gbs, gbs / mem.update_gbs,
                1e9 * r.median_s / updates, 100.0 * (r.worst_s - r.best_s) / r.best_s,
                100.0 * std::min(1.0, r.cpu_share), r.rate_hz, r.checksum);
    std::fflush(stdout);
  };
  const izhikevich_cycle cycle = izhikevich_limit_cycle();
  run_precision<double>(o, cycle, emit);
  run_precision<float>(o, cycle, emit);

  std::printf("\nx mem: achieved GB/s over the reference (best of copy, triad); x inpl: over the in-place a,b,c = s*(a,b,c)\n"
              "rate, which has the kernel's access pattern (no write-allocate traffic, so it can beat copy/triad).\n"
              "Above 1 at small N: the columns sit in cache. median: ns/upd of the median repetition; spread:\n"
              "(slowest - best) / best repetition; cpu: thread "
"CPU time / wall time of the best one (below 100%%: the core was\n"
              "shared). rate Hz: spikes per neuron per second of model time.\n"
              "stream checksum %.6g. total %.1f s\n",
              mem.checksum, seconds_since(started));
  return 0;
}
