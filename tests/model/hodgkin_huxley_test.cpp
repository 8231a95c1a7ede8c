// hodgkin_huxley (the COBAHH neuron of Brette et al. 2007): spike shape,
// rheobase and f-I curve, exact conductance decay, and the population path.
//
// Measured here (dt = 0.1 ms, exponential Euler): without input the cell
// fires at 13 Hz (14 spikes in its first second). Its steady-state I-V curve
// has a saddle-node at I_e = -31.81 pA (v = -61.5 mV), where repetitive
// firing starts: a saddle-node on the invariant circle, so the rate rises
// from 0 (a period of 2 s at -31.80 pA, 2 Hz at 0.5 pA above, 13 Hz at 0 pA,
// 30 Hz at 100 pA, 54.5 Hz at 300 pA, 119 Hz at 1 nA). Spikes peak at
// +48.7 mV and undershoot to about -87 mV.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using hh = sw::models::hodgkin_huxley;

namespace {

struct run_result {
  std::vector<double> spikes;  // [ms]
  std::vector<double> v;       // after every step
  hh::variables<double> last;
};

run_result run(const hh::parameters& p, hh::variables<double> x, double duration, double dt = 0.1) {
  const auto d = hh::derive(p, dt);
  run_result r;
  const auto steps = static_cast<std::size_t>(std::llround(duration / dt));
  r.v.reserve(steps);
  for (std::size_t k = 0; k < steps; ++k) {
    const sw::step_info<double> s{dt, static_cast<double>(k) * dt, false, {}, 0, k, 0};
    if (hh::update(x, p, d, s)) r.spikes.push_back(static_cast<double>(k) * dt);
    r.v.push_back(x.v);
  }
  r.last = x;
  return r;
}

hh::variables<double> steady_gates(double v, const hh::parameters& p) {
  const auto r = hh::rates(v, p);
  return {v, r.alpha_m / (r.alpha_m + r.beta_m), r.alpha_h / (r.alpha_h + r.beta_h),
          r.alpha_n / (r.alpha_n + r.beta_n), 0, 0};
}

// The steady-state ionic current at v [pA] (gates at their steady state), without I_e.
double steady_current(double v, const hh::parameters& p) {
  const auto d = hh::derive(p, 0.1);
  const auto s = steady_gates(v, p);
  return d.G_l * (p.E_l - v) + d.G_na * s.m * s.m * s.m * s.h * (p.E_Na - v) +
         d.G_kd * s.n * s.n * s.n * s.n * (p.E_K - v);
}

// The lowest equilibrium for p.I_e (exists below the saddle-node current).
hh::variables<double> rest(const hh::parameters& p) {
  auto f = [&](double v) { return steady_current(v, p) + p.I_e; };
  double lo = -120, hi = lo;
  while (f(hi) > 0 && hi < -40) hi += 0.25;
  REQUIRE(f(hi) <= 0);
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (f(mid) > 0 ? lo : hi) = mid;
  }
  return steady_gates(lo, p);
}

// The saddle-node of the steady-state I-V curve: the largest -I_ss(v) on the
// branch below the spike threshold, by golden-section search on [-70, -55] mV.
std::pair<double, double> saddle_node(const hh::parameters& p) {
  auto g = [&](double v) { return -steady_current(v, p); };
  double a = -70, b = -55;
  const double r = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 200; ++i) {
    const double c = b - r * (b - a), d = a + r * (b - a);
    if (g(c) > g(d))
      b = d;
    else
      a = c;
  }
  return {0.5 * (a + b), g(0.5 * (a + b))};
}

// Spikes in [from, from + window) of a run of from + window ms from v = E_l.
std::size_t late_spikes(double I_e, double from = 1000, double window = 2000) {
  const hh::parameters p{.I_e = I_e};
  const auto r = run(p, hh::initial(p), from + window);
  return static_cast<std::size_t>(std::count_if(r.spikes.begin(), r.spikes.end(), [&](double t) { return t >= from; }));
}

}  // namespace

TEST_CASE("HH without input fires regularly: the benchmark cell has no rest", "[hodgkin_huxley]") {
  const hh::parameters p;
  const auto r = run(p, hh::initial(p), 1000);
  CHECK(r.spikes.size() == 14);
  CHECK(r.spikes.front() == Approx(11.6).margin(0.05));
}

TEST_CASE("HH spike shape: overshoot above +20 mV and an afterhyperpolarisation below rest", "[hodgkin_huxley]") {
  // Held below rheobase (-60 pA: rest at -65.9 mV), kicked by an excitatory conductance of 20 nS.
  const hh::parameters p{.I_e = -60};
  auto x = rest(p);
  const double v_rest = x.v;
  CHECK(v_rest == Approx(-65.88).margin(0.01));
  x.g_e = 20;
  const auto r = run(p, x, 200);
  REQUIRE(r.spikes.size() == 1);
  const auto peak = std::max_element(r.v.begin(), r.v.end());
  const auto trough = std::min_element(peak, r.v.end());
  INFO("rest " << v_rest << " mV, spike at " << r.spikes[0] << " ms, peak " << *peak << " mV, trough " << *trough
               << " mV at " << 0.1 * static_cast<double>(trough - r.v.begin()) << " ms");
  CHECK(*peak > 20);
  CHECK(*peak < p.E_Na);
  CHECK(*trough < v_rest - 15);  // the AHP, pulled towards E_K = -90 mV
  CHECK(*trough > p.E_K);
  // Width at -20 mV: a fast spike (Traub-Miles kinetics), under 1 ms.
  const auto width = std::count_if(r.v.begin(), r.v.end(), [](double v) { return v > -20; });
  CHECK(width * 0.1 < 1.0);
  // and back to rest
  CHECK(r.v.back() == Approx(v_rest).margin(0.01));
  CHECK(r.last.g_e == Approx(20 * std::exp(-200 / p.tau_e)).epsilon(1e-9));
}

TEST_CASE("HH rheobase: silent just below the saddle-node current, firing just above", "[hodgkin_huxley]") {
  const auto [v_sn, I_sn] = saddle_node(hh::parameters{});
  INFO("saddle-node at v = " << v_sn << " mV, I_e = " << I_sn << " pA");
  CHECK(I_sn == Approx(-31.81).margin(0.005));
  CHECK(v_sn == Approx(-61.5).margin(0.2));
  // Steady state, after a second of transient: the initial state (v = E_l)
  // may give one spike on the way to rest.
  CHECK(late_spikes(I_sn - 0.5) == 0);
  CHECK(late_spikes(I_sn - 0.05) == 0);
  CHECK(late_spikes(I_sn + 0.5) >= 2);
  CHECK(late_spikes(I_sn + 0.5) <= 10);  // type I: the rate starts near 0
  CHECK(late_spikes(I_sn + 0.05, 1000, 4000) >= 1);
}

TEST_CASE("HH f-I curve is monotone", "[hodgkin_huxley]") {
  const double I_sn = saddle_node(hh::parameters{}).second;
  std::vector<double> currents{I_sn + 0.5, I_sn + 2, -25, -10, 0, 25, 50, 100, 150, 200, 300, 500, 1000};
  std::vector<std::size_t> counts;
  for (double I : currents) counts.push_back(late_spikes(I));
  for (std::size_t i = 0; i < currents.size(); ++i) {
    INFO("I_e = " << currents[i] << " pA: " << counts[i] / 2.0 << " Hz");
    CHECK(counts[i] > 0);
    if (i > 0) CHECK(counts[i] > counts[i - 1]);
  }
  CHECK(counts[4] / 2.0 == 13);  // 0 pA
  CHECK(counts[currents.size() - 1] / 2.0 == Approx(119).margin(1));  // 1 nA
}

TEST_CASE("HH conductances decay exactly and a population runs the same numbers", "[hodgkin_huxley]") {
  const hh::parameters p{.I_e = -100};
  auto x = rest(p);
  x.g_e = 3;
  x.g_i = 5;
  const hh::variables<double> start = x;
  const auto r = run(p, x, 50);
  CHECK(r.last.g_e == Approx(3 * std::exp(-50 / p.tau_e)).epsilon(1e-12));
  CHECK(r.last.g_i == Approx(5 * std::exp(-50 / p.tau_i)).epsilon(1e-12));

  // The same cell as a population of five, through the network's SIMD loop.
  auto net = sw::network{{.dt = 0.1},
                         sw::population<hh, "n">{5, p, {.v = start.v, .m = start.m, .h = start.h, .n = start.n,
                                                        .g_e = start.g_e, .g_i = start.g_i}}};
  auto& pop = net.population<"n">();
  for (int k = 0; k < 500; ++k) net.step();
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(pop.columns().v[i] == r.last.v);
    CHECK(pop.columns().m[i] == r.last.m);
    CHECK(pop.columns().g_e[i] == r.last.g_e);
  }
}
