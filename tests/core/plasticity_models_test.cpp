// The built-in plasticity models: trace decay, STDP windows, weight dependence, pairing schemes, the triplet
// rule's frequency dependence, Tsodyks-Markram short-term plasticity, and their hooks in scalar and SIMD form.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/model_laws.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// Fires `left` times: in steps next, next + period, ... (a step number is
// exact in a double); `in` is a target that collects input.
struct spike_train {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, next), (T, period), (T, left), (T, in));
  };
  template <class T>
  static auto update(variables<T>& x, const parameters&, const sw::step_info<T>& s) {
    const auto fire = (x.left > T(0.5)) && (sw::abs(x.next - T(static_cast<double>(s.step))) < T(0.5));
    x.next = sw::select(fire, x.next + x.period, x.next);
    x.left = sw::select(fire, x.left - T(1), x.left);
    return fire;
  }
  static variables<double> initial(const parameters&) { return {0, 1, 0, 0}; }
};

// Never fires; after a step, `in` holds what the projections delivered in it
// (each update clears it).
struct drain {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, in));
  };
  template <class T>
  static void update(variables<T>& x, const parameters&, const sw::step_info<T>&) {
    x.in = T(0);
  }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(spike_train::parameters);
BOOST_HANA_ADAPT_STRUCT(drain::parameters);

namespace {

constexpr double dt = 0.1;  // [ms]

// A regular train, in steps.
struct schedule {
  double first = 0, period = 1, count = 0;
};

// One pre neuron A onto one post neuron B through a synapse of model S (one
// step of delay: a spike emitted in step n arrives in step n + 1).
template <class S>
auto pair_network(schedule pre, schedule post, double w0, const typename S::parameters& p) {
  return sw::network{{.dt = dt},
                     sw::population<spike_train, "A">{1, {}, {.next = pre.first, .period = pre.period, .left = pre.count}},
                     sw::population<spike_train, "B">{1, {}, {.next = post.first, .period = post.period, .left = post.count}},
                     sw::projection<S, "A", "B", "in", "P">{sw::one_to_one{}, {.w = w0}, {}, p}};
}

// Weight change after the trains, run for `steps` steps.
template <class S>
double weight_change(schedule pre, schedule post, double w0, const typename S::parameters& p, int steps) {
  auto net = pair_network<S>(pre, post, w0, p);
  for (int k = 0; k < steps; ++k) net.step();
  REQUIRE(net.template population<"A">().spike_count() == static_cast<std::uint64_t>(pre.count));
  REQUIRE(net.template population<"B">().spike_count() == static_cast<std::uint64_t>(post.count));
  return net.template projection<"P">().columns().w[0] - w0;
}

// One pair: the pre spike arrives in step 1001, the post neuron fires `shift` steps later (earlier if < 0).
template <class S>
double pair_change(int shift, double w0, const typename S::parameters& p) {
  return weight_change<S>({1000, 1, 1}, {1001.0 + shift, 1, 1}, w0, p, 2000);
}

// The additive window at Δt [ms] between the arrival and the post spike.
template <class P>
double additive_window(double delta, const P& p) {
  return delta >= 0 ? p.A_plus * std::exp(-delta / p.tau_plus) : -p.A_minus * std::exp(delta / p.tau_minus);
}

}  // namespace

TEST_CASE("plasticity models reflect what they declare", "[plasticity][models]") {
  laws::names_are<stdp_multiplicative::parameters>(
      {"tau_plus", "tau_minus", "A_plus", "A_minus", "w_max", "mu_plus", "mu_minus", "nearest"});
  laws::names_are<stdp_multiplicative::pre_trace<double>>({"x"});
  laws::names_are<stdp_multiplicative::post_trace<double>>({"y"});
  laws::names_are<stdp_nearest::parameters>({"tau_plus", "tau_minus", "A_plus", "A_minus", "w_max"});
  laws::names_are<stdp_triplet::parameters>({"tau_plus", "tau_x", "tau_minus", "tau_y", "A2_plus", "A3_plus",
                                             "A2_minus", "A3_minus", "w_max", "nearest"});
  laws::names_are<stdp_triplet::pre_trace<double>>({"r1", "r2", "r2_prev"});
  laws::names_are<stdp_triplet::post_trace<double>>({"o1", "o2", "o2_prev"});
  laws::names_are<tsodyks_markram::parameters>({"U", "tau_rec", "tau_facil"});
  laws::names_are<tsodyks_markram::variables<double>>({"w"});
  laws::names_are<tsodyks_markram::pre_trace<double>>({"u", "d", "r"});
  STATIC_REQUIRE(sw::synapse_model<stdp_multiplicative>);
  STATIC_REQUIRE(sw::synapse_model<stdp_nearest>);
  STATIC_REQUIRE(sw::synapse_model<stdp_triplet>);
  STATIC_REQUIRE(sw::synapse_model<tsodyks_markram>);
  STATIC_REQUIRE(sw::model::on_pre_reads_only<tsodyks_markram, double>);  // w is only read: one load per event
  STATIC_REQUIRE_FALSE(sw::model::has_post_trace<tsodyks_markram>);
  // The presets are what the header's table says.
  CHECK(stdp_triplet::visual_cortex_all_to_all().A3_plus == 6.2e-3);
  CHECK(stdp_triplet::visual_cortex_all_to_all_minimal().tau_y == 114);
  CHECK(stdp_triplet::visual_cortex_nearest().nearest);
  CHECK(stdp_triplet::hippocampal_all_to_all().tau_x == 946);
  CHECK(stdp_triplet::hippocampal_nearest().tau_y == 47);
  CHECK(tsodyks_markram::facilitating().tau_facil == 530);
}

TEST_CASE("plasticity traces decay as the analytic exponential", "[plasticity][models]") {
  // A arrives once (emitted in step 100, arrival in step 101), B fires in step 101.
  SECTION("pair traces: x, y of stdp_additive; r1, r2, o1, o2 of stdp_triplet") {
    const stdp_additive::parameters pa;
    auto net = pair_network<stdp_additive>({100, 1, 1}, {101, 1, 1}, 0.5, pa);
    const stdp_triplet::parameters pt;
    auto tri = pair_network<stdp_triplet>({100, 1, 1}, {101, 1, 1}, 0.5, pt);
    double worst = 0;
    for (int k = 0; k < 3000; ++k) {
      net.step();
      tri.step();
      if (k < 101) continue;
      const double age = (k - 101) * dt;  // [ms] since the arrival and the post spike
      const auto& P = net.projection<"P">();
      const auto& Q = tri.projection<"P">();
      const std::pair<double, double> pairs[] = {
          {P.pre_traces().x[0], pa.A_plus * std::exp(-age / pa.tau_plus)},
          {P.post_traces().y[0], pa.A_minus * std::exp(-age / pa.tau_minus)},
          {Q.pre_traces().r1[0], std::exp(-age / pt.tau_plus)},
          {Q.pre_traces().r2[0], std::exp(-age / pt.tau_x)},
          {Q.post_traces().o1[0], std::exp(-age / pt.tau_minus)},
          {Q.post_traces().o2[0], std::exp(-age / pt.tau_y)}};
      for (const auto& [got, expected] : pairs) {
        INFO("step " << k << ", " << age << " ms after the spike");
        REQUIRE(got == Approx(expected).epsilon(1e-12));
        worst = std::max(worst, std::abs(got / expected - 1));
      }
    }
    // Per-step decay by exp(-dt / tau) composes to exp(-t / tau): only rounding
    // separates them (a few ulps per step, well under 1e-12 after 290 ms).
    CHECK(worst < 1e-12);
  }
  SECTION("short-term plasticity: u relaxes to 0 with tau_facil, x to 1 with tau_rec") {
    const tsodyks_markram::parameters p{.U = 0.2, .tau_rec = 300, .tau_facil = 150};
    auto net = sw::network{{.dt = dt}, sw::population<spike_train, "A">{1, {}, {.next = 100.0, .left = 1.0}},
                           sw::population<drain, "B">{1},
                           sw::projection<tsodyks_markram, "A", "B", "in", "P">{sw::one_to_one{}, {.w = 1.0}, {}, p}};
    for (int k = 0; k < 3000; ++k) {
      net.step();
      if (k < 101) continue;
      const double age = (k - 101) * dt;
      // Event-driven: pre_traces() holds them as of the arrival, current_pre_traces() as of now.
      const auto a = net.projection<"P">().current_pre_traces();
      REQUIRE(net.projection<"P">().pre_traces().u[0] == p.U);
      INFO(age << " ms after the arrival");
      REQUIRE(a.u[0] == Approx(p.U * std::exp(-age / p.tau_facil)).epsilon(1e-12));
      // x = 1 - d: the first spike releases U of the full resources.
      REQUIRE(1 - a.d[0] == Approx(1 - p.U * std::exp(-age / p.tau_rec)).epsilon(1e-12));
      REQUIRE(a.r[0] == p.U);
    }
  }
}

TEST_CASE("stdp_additive: the pair window over -50..50 ms is the exponential sampled at the arrival times",
          "[plasticity][models]") {
  const stdp_additive::parameters p;
  double worst = 0, worst_from_emission = 0;
  for (int ms = -50; ms <= 50; ++ms) {
    INFO("post " << ms << " ms after the arrival");
    const double dw = pair_change<stdp_additive>(10 * ms, 0.5, p);
    const double expected = additive_window(ms, p);
    CHECK(dw == Approx(expected).epsilon(1e-9));
    worst = std::max(worst, std::abs(dw / expected - 1));
    // Timed from the emission, one step (the delay) earlier, the window is
    // off by the factor exp(±dt / tau): a relative error of dt / tau.
    const double from_emission = additive_window(ms + dt, p);
    worst_from_emission = std::max(worst_from_emission, std::abs(dw / from_emission - 1));
  }
  // Spikes sit on the step grid and each step multiplies a trace by
  // exp(-dt / tau), so the window at multiples of dt is exact up to rounding.
  CHECK(worst < 1e-12);
  CHECK(worst_from_emission == Approx(std::expm1(dt / p.tau_plus)).epsilon(0.05));
}

TEST_CASE("stdp_multiplicative: the window scaled by (1 - w/w_max)^mu_plus and (w/w_max)^mu_minus",
          "[plasticity][models]") {
  const std::pair<double, double> exponents[] = {{1, 1}, {0, 1}, {0.5, 0.5}, {0.02, 0.02}, {0, 0}};
  for (const auto& [mu_plus, mu_minus] : exponents) {
    stdp_multiplicative::parameters p{.w_max = 2.0, .mu_plus = mu_plus, .mu_minus = mu_minus};
    for (double w0 : {0.2, 0.6, 1.0, 1.4, 1.8}) {
      for (int ms : {-40, -10, -1, 0, 1, 10, 40}) {
        INFO("mu_plus " << mu_plus << ", mu_minus " << mu_minus << ", w0 " << w0 << ", post " << ms
                        << " ms after the arrival");
        const double b = w0 / p.w_max;
        const double expected = ms >= 0 ? p.A_plus * std::exp(-ms / p.tau_plus) * std::pow(1 - b, mu_plus)
                                        : -p.A_minus * std::exp(ms / p.tau_minus) * std::pow(b, mu_minus);
        CHECK(pair_change<stdp_multiplicative>(10 * ms, w0, p) == Approx(expected).epsilon(1e-9));
      }
    }
  }
  SECTION("soft bounds: with mu = 1 nothing is potentiated at w_max, nothing depressed at 0") {
    const stdp_multiplicative::parameters p;
    CHECK(pair_change<stdp_multiplicative>(50, p.w_max, p) == 0);
    CHECK(pair_change<stdp_multiplicative>(-50, 0.0, p) == 0);
    CHECK(pair_change<stdp_multiplicative>(50, 0.0, p) == Approx(p.A_plus * std::exp(-5 / p.tau_plus)));
  }
}

TEST_CASE("nearest-spike pairing: bursts pair with the latest spike only", "[plasticity][models]") {
  // Three spikes 5 ms apart on one side, then one spike 5 ms after the last on the other.
  const schedule burst{1000, 50, 3}, after_pre_burst{1151, 1, 1}, after_post_burst{1150, 1, 1};
  const schedule burst_of_post{1001, 50, 3};
  const stdp_additive::parameters pa;
  const double sum = std::exp(-5 / pa.tau_plus) + std::exp(-10 / pa.tau_plus) + std::exp(-15 / pa.tau_plus);
  const stdp_nearest::parameters pn;
  SECTION("pre burst, then a post spike") {
    const double all = weight_change<stdp_additive>(burst, after_pre_burst, 0.5, pa, 2000);
    const double nearest = weight_change<stdp_nearest>(burst, after_pre_burst, 0.5, pn, 2000);
    CHECK(all == Approx(pa.A_plus * sum).epsilon(1e-9));
    CHECK(nearest == Approx(pn.A_plus * std::exp(-5 / pn.tau_plus)).epsilon(1e-9));
    CHECK(all > 2 * nearest);
    // The flag of stdp_multiplicative does the same (mu = 0: no weight dependence).
    stdp_multiplicative::parameters pm{.mu_plus = 0, .mu_minus = 0};
    CHECK(weight_change<stdp_multiplicative>(burst, after_pre_burst, 0.5, pm, 2000) == Approx(all).epsilon(1e-12));
    pm.nearest = true;
    CHECK(weight_change<stdp_multiplicative>(burst, after_pre_burst, 0.5, pm, 2000) ==
          Approx(nearest).epsilon(1e-12));
  }
  SECTION("post burst, then a pre spike") {
    const double all = weight_change<stdp_additive>(after_post_burst, burst_of_post, 0.5, pa, 2000);
    const double nearest = weight_change<stdp_nearest>(after_post_burst, burst_of_post, 0.5, pn, 2000);
    // The arrivals of the "after" train are one step after its emission: 5 ms after the last post spike.
    CHECK(all == Approx(-pa.A_minus * (std::exp(-5 / pa.tau_minus) + std::exp(-10 / pa.tau_minus) +
                                       std::exp(-15 / pa.tau_minus)))
                     .epsilon(1e-9));
    CHECK(nearest == Approx(-pn.A_minus * std::exp(-5 / pn.tau_minus)).epsilon(1e-9));
  }
  SECTION("one pre spike, then a post burst: every post spike's nearest pre spike is the same one") {
    const schedule one_pre{950, 1, 1}, posts{1001, 50, 3};
    const double all = weight_change<stdp_additive>(one_pre, posts, 0.5, pa, 2000);
    const double nearest = weight_change<stdp_nearest>(one_pre, posts, 0.5, pn, 2000);
    CHECK(all == Approx(pa.A_plus * sum).epsilon(1e-9));
    CHECK(nearest == Approx(all).epsilon(1e-12));
  }
}

namespace {

// Pfister & Gerstner's rule, event by event with exact exponentials: the
// reference the simulation is checked against. Times in steps.
struct triplet_reference {
  stdp_triplet::parameters p;
  double w;
  double r1 = 0, r2 = 0, o1 = 0, o2 = 0;
  std::int64_t last = 0;

  void decay_to(std::int64_t step) {
    const double t = static_cast<double>(step - last) * dt;
    r1 *= std::exp(-t / p.tau_plus);
    r2 *= std::exp(-t / p.tau_x);
    o1 *= std::exp(-t / p.tau_minus);
    o2 *= std::exp(-t / p.tau_y);
    last = step;
  }
  void pre(std::int64_t step) {
    decay_to(step);
    w = std::clamp(w - o1 * (p.A2_minus + p.A3_minus * r2), 0.0, p.w_max);
    r1 = p.nearest ? 1 : r1 + 1;
    r2 = p.nearest ? 1 : r2 + 1;
  }
  void post(std::int64_t step) {
    decay_to(step);
    w = std::clamp(w + r1 * (p.A2_plus + p.A3_plus * o2), 0.0, p.w_max);
    o1 = p.nearest ? 1 : o1 + 1;
    o2 = p.nearest ? 1 : o2 + 1;
  }
  // Arrivals (pre) and post spikes; in one step the arrival comes first.
  double run(std::vector<std::int64_t> arrivals, std::vector<std::int64_t> posts) {
    std::size_t i = 0, j = 0;
    while (i < arrivals.size() || j < posts.size()) {
      if (j == posts.size() || (i < arrivals.size() && arrivals[i] <= posts[j]))
        pre(arrivals[i++]);
      else
        post(posts[j++]);
    }
    return w;
  }
};

struct protocol_result {
  double simulated, reference;
};

// 60 pairs at `hz`, the post spike `shift_ms` after (before, if < 0) the pre
// spike's arrival; from w0 = 1 (so the change is relative).
protocol_result pairing_protocol(const stdp_triplet::parameters& p, double hz, double shift_ms) {
  const double period = 1000 / hz / dt;  // [steps]
  const int pairs = 60;
  const double pre_first = 1000, post_first = pre_first + 1 + shift_ms / dt;
  auto net = pair_network<stdp_triplet>({pre_first, period, pairs}, {post_first, period, pairs}, 1.0, p);
  std::vector<std::int64_t> arrivals, posts;
  const auto steps = static_cast<int>(pre_first + pairs * period + 2000);
  for (int k = 0; k < steps; ++k) {
    net.step();
    if (!net.population<"A">().spikes().empty()) arrivals.push_back(k + 1);
    if (!net.population<"B">().spikes().empty()) posts.push_back(k);
  }
  REQUIRE(arrivals.size() == static_cast<std::size_t>(pairs));
  REQUIRE(posts.size() == static_cast<std::size_t>(pairs));
  triplet_reference ref{p, 1.0};
  return {net.projection<"P">().columns().w[0] - 1.0, ref.run(arrivals, posts) - 1.0};
}

}  // namespace

TEST_CASE("stdp_triplet: single pairs follow the pair terms", "[plasticity][models]") {
  const auto p = stdp_triplet::hippocampal_all_to_all();
  for (int ms : {-50, -20, -5, -1, 0, 1, 5, 20, 50}) {
    INFO("post " << ms << " ms after the arrival");
    const double expected = ms >= 0 ? p.A2_plus * std::exp(-ms / p.tau_plus) : -p.A2_minus * std::exp(ms / p.tau_minus);
    CHECK(pair_change<stdp_triplet>(10 * ms, 0.5, p) == Approx(expected).epsilon(1e-9));
  }
}

TEST_CASE("stdp_triplet: the triplet term reads the slow trace from before the spike's own increment",
          "[plasticity][models]") {
  // post, pre, post: the second post spike potentiates by r1 (A2+ + A3+ o2(t-)),
  // where o2(t-) holds the first post spike only.
  const auto p = stdp_triplet::visual_cortex_all_to_all_minimal();  // A2+ = 0: potentiation is all triplet
  const schedule pre{1050, 1, 1}, post{1001, 100, 2};               // pre arrives 1051, posts 1001 and 1101
  const double o1 = std::exp(-5.0 / p.tau_minus), r1 = std::exp(-5.0 / p.tau_plus), o2 = std::exp(-10.0 / p.tau_y);
  const double expected = -o1 * p.A2_minus + r1 * p.A3_plus * o2;
  CHECK(weight_change<stdp_triplet>(pre, post, 0.5, p, 2000) == Approx(expected).epsilon(1e-9));
  // Had the increment been counted, o2 would be 1 + exp(-10 / tau_y): more than twice the potentiation.
  CHECK(expected < -o1 * p.A2_minus + r1 * p.A3_plus * (1 + o2));
}

TEST_CASE("stdp_triplet: the pairing-frequency dependence of Sjöström et al. (2001), as Pfister & Gerstner (2006)",
          "[plasticity][models]") {
  const double rates[] = {1, 5, 10, 20, 30, 40, 50};  // [Hz]
  struct scheme {
    const char* name;
    stdp_triplet::parameters p;
  };
  auto minimal = stdp_triplet::visual_cortex_all_to_all_minimal();
  auto nearest = stdp_triplet::visual_cortex_nearest();
  minimal.w_max = nearest.w_max = 100;  // no bound reached: the rule itself
  for (const auto& [name, p] : {scheme{"all-to-all minimal", minimal}, scheme{"nearest", nearest}}) {
    std::vector<double> pre_post, post_pre;
    for (double hz : rates) {
      INFO(name << ", " << hz << " Hz");
      const auto plus = pairing_protocol(p, hz, +10);
      const auto minus = pairing_protocol(p, hz, -10);
      CHECK(plus.simulated == Approx(plus.reference).epsilon(1e-9).margin(1e-12));
      CHECK(minus.simulated == Approx(minus.reference).epsilon(1e-9).margin(1e-12));
      pre_post.push_back(plus.simulated);
      post_pre.push_back(minus.simulated);
    }
    INFO(name);
    // Post before pre: depression at low frequency, potentiation at high.
    CHECK(post_pre.front() < -0.1);
    CHECK(post_pre[1] < 0);
    CHECK(post_pre.back() > 0.1);
    // Pre before post: next to nothing at 1 Hz, potentiation growing with the frequency.
    CHECK(std::abs(pre_post.front()) < 0.01);
    CHECK(std::is_sorted(pre_post.begin(), pre_post.end()));
    CHECK(pre_post.back() > 0.2);
    // At 50 Hz the two orders are one alternating train: both potentiate about equally.
    CHECK(post_pre.back() == Approx(pre_post.back()).epsilon(0.2));
  }
}

namespace {

// Amplitudes delivered by a Tsodyks-Markram synapse for `n` spikes at `hz`.
std::vector<double> tm_amplitudes(const tsodyks_markram::parameters& p, double w, double hz, int n,
                                  bool learning = true) {
  const double period = 1000 / hz / dt;
  auto net = sw::network{
      {.dt = dt},
      sw::population<spike_train, "A">{1, {}, {.next = 100.0, .period = period, .left = static_cast<double>(n)}},
      sw::population<drain, "B">{1},
      sw::projection<tsodyks_markram, "A", "B", "in", "P">{sw::one_to_one{}, {.w = w}, {}, p}};
  if (!learning) net.projection<"P">().disable_learning();
  std::vector<double> out;
  const auto steps = static_cast<int>(100 + n * period + 10);
  for (int k = 0; k < steps; ++k) {
    net.step();
    if (net.population<"B">().columns().in[0] != 0) out.push_back(net.population<"B">().columns().in[0]);
  }
  return out;
}

// The recurrence of Markram, Wang & Tsodyks (1998) for a regular train.
std::vector<double> tm_recurrence(const tsodyks_markram::parameters& p, double w, double hz, int n) {
  const double T = 1000 / hz;
  const double ef = p.tau_facil > 0 ? std::exp(-T / p.tau_facil) : 0, er = std::exp(-T / p.tau_rec);
  std::vector<double> out;
  double u = p.U, x = 1;
  for (int k = 0; k < n; ++k) {
    out.push_back(w * u * x);
    const double u_next = p.U + u * (1 - p.U) * ef;
    x = 1 - (1 - x * (1 - u)) * er;
    u = u_next;
  }
  return out;
}

}  // namespace

TEST_CASE("tsodyks_markram: steady-state depression of a regular train", "[plasticity][models]") {
  const tsodyks_markram::parameters p;  // U = 0.5, tau_rec = 800 ms, no facilitation
  const double w = 2.0;
  for (double hz : {2.0, 5.0, 10.0, 20.0, 40.0, 100.0}) {
    INFO(hz << " Hz");
    const auto a = tm_amplitudes(p, w, hz, 200);
    REQUIRE(a.size() == 200);
    const double e = std::exp(-1000 / hz / p.tau_rec);
    const double x_ss = (1 - e) / (1 - (1 - p.U) * e);
    // Each step multiplies by a rounded exp(-dt / tau): after n steps the
    // relative error is at most about n 2^-53 (5.6e-13 for 500 ms).
    const double steady_error = std::abs(a.back() / (w * p.U * x_ss) - 1);
    CHECK(steady_error < 1e-12);
    const auto r = tm_recurrence(p, w, hz, 10);
    double recurrence_error = 0;
    for (int k = 0; k < 10; ++k) recurrence_error = std::max(recurrence_error, std::abs(a[k] / r[k] - 1));
    CHECK(recurrence_error < 1e-12);
    CHECK(a[0] == w * p.U);
  }
}

TEST_CASE("tsodyks_markram: facilitation, the recurrence and its steady state", "[plasticity][models]") {
  const auto p = tsodyks_markram::facilitating();  // U = 0.03, tau_rec = 130 ms, tau_facil = 530 ms
  for (double hz : {5.0, 20.0, 50.0}) {
    INFO(hz << " Hz");
    const int n = 600;  // u converges by (1 - U) exp(-T / tau_facil) per spike: 0.93 at 50 Hz
    const auto a = tm_amplitudes(p, 1.0, hz, n);
    REQUIRE(a.size() == static_cast<std::size_t>(n));
    const auto r = tm_recurrence(p, 1.0, hz, n);
    double recurrence_error = 0;
    for (int k = 0; k < n; ++k) recurrence_error = std::max(recurrence_error, std::abs(a[k] / r[k] - 1));
    CHECK(recurrence_error < 1e-12);
    const double T = 1000 / hz, ef = std::exp(-T / p.tau_facil), er = std::exp(-T / p.tau_rec);
    const double u_ss = p.U / (1 - (1 - p.U) * ef);
    const double x_ss = (1 - er) / (1 - (1 - u_ss) * er);
    const double steady_error = std::abs(a.back() / (u_ss * x_ss) - 1);
    CHECK(steady_error < 1e-12);
  }
  // Facilitating at 20 Hz: the second response is larger than the first.
  const auto a = tm_amplitudes(p, 1.0, 20, 2);
  CHECK(a[1] > 1.5 * a[0]);
  SECTION("short-term plasticity is not learning: disable_learning does not stop it") {
    CHECK(tm_amplitudes(p, 1.0, 20, 50, false) == tm_amplitudes(p, 1.0, 20, 50, true));
  }
}

namespace {

template <class S, class T>
using vars_t = sw::model::variables_t<S, T>;
template <class S, class T>
using pre_t = sw::model::pre_trace_t<S, T>;
template <class S, class T>
using post_t = sw::model::post_trace_t<S, T>;
using batch = xsimd::batch<double>;

// Every hook of a step, in the projection's order; returns what on_pre delivers.
template <class S, class T>
T all_hooks(vars_t<S, T>& s, pre_t<S, T>& a, post_t<S, T>& b, const typename S::parameters& p) {
  if constexpr (requires { S::update_pre(a, p, dt); }) S::update_pre(a, p, dt);
  if constexpr (requires { S::update_post(b, p, dt); }) S::update_post(b, p, dt);
  if constexpr (requires { S::advance_pre(a, p, 3.7); }) S::advance_pre(a, p, 3.7);
  if constexpr (requires { S::advance_post(b, p, 3.7); }) S::advance_post(b, p, 3.7);
  if constexpr (requires { S::on_pre_spike(a, p); }) S::on_pre_spike(a, p);
  const T delivered = sw::model::on_pre<S, T>(s, a, b, p);
  if constexpr (requires { S::on_post_spike(b, p); }) S::on_post_spike(b, p);
  if constexpr (sw::model::has_on_post<S, T>) sw::model::on_post<S, T>(s, a, b, p);
  return delivered;
}

// A value in (0.05, 0.95) that differs per lane and per field.
template <class R>
void fill_lane(R& r, std::size_t lane, double salt) {
  std::size_t k = 0;
  sw::reflect::for_each_field(r, [&](std::string_view, double& v) {
    v = 0.5 + 0.45 * std::sin(1.3 * static_cast<double>(lane + 1) + 0.7 * static_cast<double>(++k) + salt);
  });
}
template <class R, class B>
void to_lane(B& b, const R& r, std::size_t lane) {
  sw::reflect::for_each_field_of(
      [&](std::string_view, batch& bv, const double& v) {
        alignas(64) double tmp[batch::size];
        bv.store_aligned(tmp);
        tmp[lane] = v;
        bv = batch::load_aligned(tmp);
      },
      b, r);
}
template <class R, class B>
void same_bits(const R& r, const B& b, std::size_t lane, std::string_view what) {
  sw::reflect::for_each_field_of(
      [&](std::string_view name, const double& v, const batch& bv) {
        INFO(what << "." << name << " in lane " << lane << ": scalar " << v << ", batch " << bv.get(lane));
        CHECK(std::bit_cast<std::uint64_t>(v) == std::bit_cast<std::uint64_t>(bv.get(lane)));
      },
      r, b);
}

// The hooks give in every SIMD lane the bits of the scalar call.
template <class S>
void hooks_scalar_equals_lanes(const typename S::parameters& p) {
  vars_t<S, batch> sb{};
  pre_t<S, batch> ab{};
  post_t<S, batch> bb{};
  std::vector<vars_t<S, double>> ss(batch::size);
  std::vector<pre_t<S, double>> as(batch::size);
  std::vector<post_t<S, double>> bs(batch::size);
  for (std::size_t l = 0; l < batch::size; ++l) {
    fill_lane(ss[l], l, 0.0);
    fill_lane(as[l], l, 1.0);
    fill_lane(bs[l], l, 2.0);
    to_lane(sb, ss[l], l);
    to_lane(ab, as[l], l);
    to_lane(bb, bs[l], l);
  }
  const batch delivered = all_hooks<S, batch>(sb, ab, bb, p);
  for (std::size_t l = 0; l < batch::size; ++l) {
    const double d = all_hooks<S, double>(ss[l], as[l], bs[l], p);
    CHECK(std::bit_cast<std::uint64_t>(d) == std::bit_cast<std::uint64_t>(delivered.get(l)));
    same_bits(ss[l], sb, l, "variables");
    same_bits(as[l], ab, l, "pre_trace");
    same_bits(bs[l], bb, l, "post_trace");
  }
}

}  // namespace

// projection.hpp calls the synapse hooks one synapse (and one neuron) at a
// time with Real scalars: nothing in the library runs them on batches yet.
// The models are written over T all the same, and this keeps them honest for
// when the projection vectorizes: each hook on a batch equals the scalar call
// in every lane, bit for bit.
TEST_CASE("plasticity hooks: the scalar call equals every SIMD lane", "[plasticity][models][laws]") {
  hooks_scalar_equals_lanes<stdp_additive>({});
  hooks_scalar_equals_lanes<stdp_nearest>({});
  hooks_scalar_equals_lanes<stdp_multiplicative>({});
  hooks_scalar_equals_lanes<stdp_multiplicative>({.mu_plus = 0.3, .mu_minus = 0.7, .nearest = true});
  hooks_scalar_equals_lanes<stdp_triplet>({});
  hooks_scalar_equals_lanes<stdp_triplet>(stdp_triplet::hippocampal_nearest());
  hooks_scalar_equals_lanes<tsodyks_markram>({});
  hooks_scalar_equals_lanes<tsodyks_markram>(tsodyks_markram::facilitating());
}
