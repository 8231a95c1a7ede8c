// The Potjans & Diesmann (2014) cortical microcircuit: rates, irregularity, speed and memory.
//
// usage: microcircuit [--scale S] [--duration MS] [--transient MS] [--threads K] [--seed N]
//                     [--float] [--dc] [--original-v0] [--json] [--plot PREFIX] [--spikes FILE]
//
// Builds the network of microcircuit.hpp (full scale by default: 77,169
// neurons, about 3 x 10^8 synapses), simulates `duration` ms (default 1000)
// and prints, per population, the mean rate and the mean coefficient of
// variation of the inter-spike intervals over the time after `transient`
// (default 500 ms), beside the reference's full-scale rates; then synapses,
// build and simulation time, real-time factor and peak memory. --json prints
// the same as one JSON object. --plot PREFIX writes PREFIX_raster.png (spikes
// of every population in a 200 ms window) and PREFIX_rates.png (box plot of
// the neurons' rates) through examples/python/microcircuit_plot.py; --spikes
// FILE writes the spikes after the transient (population, neuron, step).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <fstream>
#include <string>
#include <vector>

#include "microcircuit.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

// CPU seconds of every thread of the process so far.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // [kB] on Linux
}

struct settings {
  microcircuit::options net;
  double duration = 1000, transient = 500;  // [ms]
  bool single = false, json = false;
  std::string plot, spikes;
};

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--scale") s.net.scale = std::strtod(value(), nullptr);
    else if (a == "--duration") s.duration = std::strtod(value(), nullptr);
    else if (a == "--transient") s.transient = std::strtod(value(), nullptr);
    else if (a == "--threads") s.net.threads = std::strtoull(value(), nullptr, 10);
    else if (a == "--seed") s.net.seed = std::strtoull(value(), nullptr, 10);
    else if (a == "--float") s.single = true;
    else if (a == "--dc") s.net.dc = true;
    else if (a == "--original-v0") s.net.original_v0 = true;
    else if (a == "--json") s.json = true;
    else if (a == "--plot") s.plot = value();
    else if (a == "--spikes") s.spikes = value();
    else throw std::runtime_error("unknown option " + a + " (see the comment at the top of microcircuit.cpp)");
  }
  if (!(s.net.scale > 0 && s.net.scale <= 1)) throw std::runtime_error("--scale must be in (0, 1]");
  if (!(s.transient >= 0 && s.transient < s.duration))
    throw std::runtime_error("--transient must be >= 0 and shorter than --duration");
  return s;
}

struct statistics {
  std::size_t n = 0;
  double rate = 0, cv = 0;  // [Hz] mean over neurons; mean CV over neurons with >= 2 intervals
  std::vector<double> rates;
};

// Rates and CVs of the spikes a monitor recorded after the transient.
template <class Monitor>
statistics measure(const Monitor& m, std::size_t n, double window_ms, double dt) {
  statistics s;
  s.n = n;
  std::vector<std::vector<std::uint64_t>> trains(n);
  for (std::size_t k = 0; k < m.size(); ++k) trains[m.index_data()[k]].push_back(m.steps()[k]);
  s.rates.resize(n);
  double cv_sum = 0;
  std::size_t cv_count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s.rates[i] = static_cast<double>(trains[i].size()) / (window_ms * 1e-3);
    if (trains[i].size() < 3) continue;
    double mean = 0, square = 0;
    const double intervals = static_cast<double>(trains[i].size() - 1);
    for (std::size_t k = 1; k < trains[i].size(); ++k) {
      const double isi = static_cast<double>(trains[i][k] - trains[i][k - 1]) * dt;
      mean += isi;
      square += isi * isi;
    }
    mean /= intervals;
    const double var = square / intervals - mean * mean;
    cv_sum += std::sqrt(std::max(0.0, var)) / mean;
    ++cv_count;
  }
  double total = 0;
  for (double r : s.rates) total += r;
  s.rate = n ? total / static_cast<double>(n) : 0;
  s.cv = cv_count ? cv_sum / static_cast<double>(cv_count) : std::nan("");
  return s;
}

template <class Real>
int run(const settings& s) {
  using namespace microcircuit;
  const auto t0 = clock_type::now();
  const double cpu0 = cpu_seconds();
  auto net = build<Real>(s.net);
  const double build_s = seconds_since(t0), cpu1 = cpu_seconds();
  const auto t1 = clock_type::now();
  net.simulate(s.transient);
  net.for_each_monitor([](auto& m) { m.resume(); });
  net.simulate(s.duration - s.transient);
  const double sim_s = seconds_since(t1), cpu2 = cpu_seconds();
  const double build_cpu_s = cpu1 - cpu0, sim_cpu_s = cpu2 - cpu1;

  std::array<statistics, populations> stats;
  [&]<std::size_t... P>(std::index_sequence<P...>) {
    ((stats[P] = measure(net.template monitor<monitor_name<P>()>(), net.template population<names[P]>().size(),
                         s.duration - s.transient, s.net.dt)),
     ...);
  }(std::make_index_sequence<populations>{});
  const double rtf = sim_s / (s.duration * 1e-3);
  const std::size_t synapses = net.synapse_count();
  bool every_population_fires = true;
  for (const auto& st : stats) every_population_fires = every_population_fires && st.rate > 0;

  if (s.json) {
    std::printf("{\"populations\": {");
    for (std::size_t p = 0; p < populations; ++p)
      std::printf("%s\"%s\": {\"n\": %zu, \"rate_hz\": %.4f, \"cv_isi\": %.4f, \"reference_rate_hz\": %.3f}",
                  p ? ", " : "", std::string(names[p].view()).c_str(), stats[p].n, stats[p].rate,
                  std::isnan(stats[p].cv) ? 0.0 : stats[p].cv, full_mean_rates[p]);
    std::printf("}, \"synapses\": %zu, \"build_s\": %.3f, \"build_cpu_s\": %.3f, \"sim_s\": %.3f, \"sim_cpu_s\": %.3f, "
                "\"rtf\": %.3f, \"peak_rss_mb\": %.1f, "
                "\"threads\": %zu, \"scale\": %g, \"duration_ms\": %g, \"transient_ms\": %g, \"precision\": \"%s\", "
                "\"drive\": \"%s\", \"seed\": %llu}\n",
                synapses, build_s, build_cpu_s, sim_s, sim_cpu_s, rtf, peak_rss_mb(), net.threads(), s.net.scale, s.duration, s.transient,
                s.single ? "float" : "double", s.net.dc ? "dc" : "poisson",
                static_cast<unsigned long long>(s.net.seed));
  } else {
    std::printf("Potjans & Diesmann (2014) cortical microcircuit, scale %g, %s drive, %s precision, %zu thread%s\n",
                s.net.scale, s.net.dc ? "DC" : "Poisson", s.single ? "single" : "double", net.threads(),
                net.threads() == 1 ? "" : "s");
    std::printf("  %-5s %8s %10s %14s %8s\n", "pop", "neurons", "rate [Hz]", "reference [Hz]", "CV ISI");
    for (std::size_t p = 0; p < populations; ++p)
      std::printf("  %-5s %8zu %10.3f %14.3f %8.3f\n", std::string(names[p].view()).c_str(), stats[p].n, stats[p].rate,
                  full_mean_rates[p], stats[p].cv);
    std::printf("  (statistics over %.0f ms after a transient of %.0f ms)\n", s.duration - s.transient, s.transient);
    std::printf("  synapses         %zu\n", synapses);
    std::printf("  build time       %.2f s (%.2f s CPU)\n", build_s, build_cpu_s);
    std::printf("  simulation time  %.2f s (%.2f s CPU) for %.0f ms: real-time factor %.2f\n", sim_s, sim_cpu_s,
                s.duration, rtf);
    std::printf("  peak memory      %.0f MB (%.1f bytes per synapse)\n", peak_rss_mb(),
                synapses ? peak_rss_mb() * 1048576.0 / static_cast<double>(synapses) : 0.0);
  }

  // The spikes after the transient as text: population, neuron, step.
  auto write_spikes = [&](const std::string& file) {
    std::ofstream out(file);
    out << "# population neuron step (dt = " << s.net.dt << " ms, transient " << s.transient << " ms)\n";
    [&]<std::size_t... P>(std::index_sequence<P...>) {
      auto one = [&](std::size_t p, const auto& m) {
        for (std::size_t k = 0; k < m.size(); ++k) out << p << ' ' << m.index_data()[k] << ' ' << m.steps()[k] << '\n';
      };
      (one(P, net.template monitor<monitor_name<P>()>()), ...);
    }(std::make_index_sequence<populations>{});
    if (!out) throw std::runtime_error("cannot write " + file);
  };
  if (!s.spikes.empty()) write_spikes(s.spikes);
  if (!s.plot.empty()) {
    write_spikes(s.plot + "_spikes.txt");
    std::ofstream sizes(s.plot + "_sizes.txt");
    for (const auto& st : stats) sizes << st.n << '\n';
    sizes.close();
    const std::string script = std::string(SPIKEWEAVE_EXAMPLES_DIR) + "/python/microcircuit_plot.py";
    const std::string command = "/usr/bin/python3 " + script + " " + s.plot + " " + std::to_string(s.transient) + " " +
                                std::to_string(s.duration);
    if (std::system(command.c_str()) != 0) std::fprintf(stderr, "microcircuit: plotting failed (%s)\n", command.c_str());
  }
  return every_population_fires ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const settings s = parse(argc, argv);
    return s.single ? run<float>(s) : run<double>(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "microcircuit: %s\n", e.what());
    return 2;
  }
}
