// Event-driven synapse variables and traces (advance, advance_pre, advance_post): the same as the per-step
// models they replace, up to rounding, through learning off and on, reset() and per-synapse delays; the
// ages kept in 32 bits; what they cost in memory.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "../support/event_driven_models.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// Fires at random (rate [Hz]); `in` holds, after a step, what the projections delivered in it.
struct random_sink {
  struct parameters {
    double rate = 20;  // [Hz]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, in));
  };
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    x.in = T(0);
    return s.uniform() < T(p.rate * s.dt * 1e-3);
  }
};

// Short-term plasticity per synapse (each its own u and depletion d), with an
// on_post that reads and changes them: the per-step model and its
// event-driven twin share everything but the relaxation.
struct stp_common {
  struct parameters {
    double U = 0.3;          // utilisation increment per spike
    double tau_rec = 200;    // [ms]
    double tau_facil = 100;  // [ms]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, u), (T, d), (T, posts));
  };
  template <class T>
  static T on_pre(variables<T>& s, const parameters& p) {
    s.u += p.U * (1.0 - s.u);
    const T r = s.u * (1.0 - s.d);
    s.d += r;
    return s.w * r;
  }
  template <class T>
  static void on_post(variables<T>& s, const parameters&) {
    s.d *= 0.9;  // a post spike gives back some resources
    s.posts += s.u;
  }
  template <class T>
  static void relax(variables<T>& s, const parameters& p, double t) {
    s.u *= std::exp(-t / p.tau_facil);
    s.d *= std::exp(-t / p.tau_rec);
  }
};
struct stp_per_step : stp_common {
  template <class T>
  static void update(variables<T>& s, const parameters& p, double dt) {
    relax(s, p, dt);
  }
};
struct stp_event : stp_common {
  template <class T>
  static void advance(variables<T>& s, const parameters& p, double elapsed) {
    relax(s, p, elapsed);
  }
};

// tsodyks_markram as it was, with its traces decayed every step.
struct tm_per_step {
  using parameters = tsodyks_markram::parameters;
  template <class T>
  using variables = tsodyks_markram::variables<T>;
  template <class T>
  using pre_trace = tsodyks_markram::pre_trace<T>;
  template <class T>
  static void update_pre(pre_trace<T>& a, const parameters& p, double dt) {
    tsodyks_markram::advance_pre(a, p, dt);
  }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) {
    tsodyks_markram::on_pre_spike(a, p);
  }
  template <class T>
  static T on_pre(const variables<T>& s, const pre_trace<T>& a, const sw::no_trace& b, const parameters& p) {
    return tsodyks_markram::on_pre(s, a, b, p);
  }
};
// ... and one that says both (check_synapse_model rejects it).
struct tm_both : tsodyks_markram {
  template <class T>
  static void update_pre(pre_trace<T>& a, const parameters& p, double dt) {
    advance_pre(a, p, dt);
  }
};

using stdp_event = spikeweave::testing::stdp_events;

// Adds the time that passes to t: after its variables are brought up to date, t is the time since the start.
struct stopwatch {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, t));
  };
  template <class T>
  static void advance(variables<T>& s, const parameters&, double elapsed) {
    s.t += elapsed;
  }
  template <class T>
  static T on_pre(const variables<T>& s, const parameters&) {
    return s.w;
  }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(random_sink::parameters, rate);
BOOST_HANA_ADAPT_STRUCT(stp_common::parameters, U, tau_rec, tau_facil);
BOOST_HANA_ADAPT_STRUCT(stopwatch::parameters);

namespace {

constexpr double dt = 0.1;  // [ms]

// Random pre spikes onto randomly firing sinks (no feedback: both variants see the same spikes).
template <class S>
auto stp_network(sw::initial_value delay) {
  return sw::network{{.dt = dt, .seed = 7},
                     sw::population<poisson_source, "A">{40, {.rate = 40}},
                     sw::population<random_sink, "B">{30, {.rate = 25}},
                     sw::projection<S, "A", "B", "in", "P">{sw::fixed_probability{0.5}, {.w = sw::uniform(0.5, 1.5)},
                                                            delay}};
}

template <class S, class P>
auto trace_network(const P& params, std::uint64_t seed = 9) {
  return sw::network{{.dt = dt, .seed = seed},
                     sw::population<poisson_source, "A">{40, {.rate = 40}},
                     sw::population<random_sink, "B">{30, {.rate = 25}},
                     sw::projection<S, "A", "B", "in", "P">{sw::fixed_probability{0.5}, {.w = sw::uniform(0.2, 0.8)},
                                                            0.3, params}};
}

double relative(double a, double b) { return a == b ? 0 : std::abs(a - b) / std::max(std::abs(a), std::abs(b)); }

// Runs both networks `steps` steps; returns the largest relative difference of what B received.
template <class Old, class New>
double run_both(Old& old, New& now, int steps, int& events) {
  double worst = 0;
  for (int k = 0; k < steps; ++k) {
    old.step();
    now.step();
    REQUIRE(std::equal(old.template population<"B">().spikes().begin(), old.template population<"B">().spikes().end(),
                       now.template population<"B">().spikes().begin(), now.template population<"B">().spikes().end()));
    const auto& a = old.template population<"B">().columns().in;
    const auto& b = now.template population<"B">().columns().in;
    for (std::size_t j = 0; j < 30; ++j) {
      worst = std::max(worst, relative(a[j], b[j]));
      events += a[j] != 0;
    }
  }
  return worst;
}

template <class Columns>
double worst_of(const Columns& a, const Columns& b) {
  double worst = 0;
  sw::reflect::for_each_field_of(
      [&](std::string_view, const auto& x, const auto& y) {
        REQUIRE(x.size() == y.size());
        for (std::size_t k = 0; k < x.size(); ++k) worst = std::max(worst, relative(x[k], y[k]));
      },
      a, b);
  return worst;
}

}  // namespace

TEST_CASE("event-driven hooks are recognized, and one model may not decay a trace both ways", "[event_driven]") {
  STATIC_REQUIRE(sw::model::has_advance<stp_event, double>);
  STATIC_REQUIRE_FALSE(sw::model::has_advance<stp_per_step, double>);
  STATIC_REQUIRE(sw::model::has_advance_pre<tsodyks_markram, double>);
  STATIC_REQUIRE_FALSE(sw::model::has_update_pre<tsodyks_markram, double>);
  STATIC_REQUIRE(sw::model::has_advance_post<stdp_event, double>);
  STATIC_REQUIRE(sw::synapse_model<stp_event>);
  STATIC_REQUIRE(sw::synapse_model<stdp_event>);
  using P = sw::projection<stp_event, "A", "B", "in">;
  STATIC_REQUIRE(P::event_driven);
  STATIC_REQUIRE_FALSE(P::has_pre_work);  // nothing to do in steps without events
  using T = sw::projection<tsodyks_markram, "A", "B", "in">;
  STATIC_REQUIRE(T::event_driven_pre);
  STATIC_REQUIRE_FALSE(T::event_driven);
  STATIC_REQUIRE_FALSE(T::has_pre_work);
  STATIC_REQUIRE(sw::model::has_update_pre<tm_both, double> && sw::model::has_advance_pre<tm_both, double>);
}

TEST_CASE("event-driven synapse variables equal the per-step update up to rounding", "[event_driven]") {
  // Per-synapse delays of 0.1-2 ms; learning off for 100 ms, a reset() that keeps the synapses.
  auto old = stp_network<stp_per_step>(sw::uniform(0.1, 2.0));
  auto now = stp_network<stp_event>(sw::uniform(0.1, 2.0));
  auto& P = now.projection<"P">();
  REQUIRE(!P.uniform_delay());
  int events = 0;
  double worst = run_both(old, now, 3000, events);
  // Between events the stored variables lag; brought to now they are the per-step ones.
  CHECK(worst_of(old.projection<"P">().columns(), P.current_columns()) < 1e-12);
  CHECK(worst_of(old.projection<"P">().columns(), P.columns()) > 1e-3);
  old.disable_learning();
  now.disable_learning();
  worst = std::max(worst, run_both(old, now, 1000, events));
  CHECK(worst_of(old.projection<"P">().columns(), P.current_columns()) < 1e-12);
  old.enable_learning();
  now.enable_learning();
  worst = std::max(worst, run_both(old, now, 1000, events));
  old.reset();
  now.reset();
  worst = std::max(worst, run_both(old, now, 3000, events));
  INFO(events << " deliveries");
  CHECK(events > 10000);
  // Each step of the per-step model rounds exp(-dt / tau) and the product: a
  // few ulps per step, against one rounding per event here.
  CHECK(worst < 1e-11);
  CHECK(worst_of(old.projection<"P">().columns(), P.current_columns()) < 1e-11);
  std::vector<double> posts(P.columns().posts.begin(), P.columns().posts.end());
  CHECK(*std::max_element(posts.begin(), posts.end()) > 0);  // on_post ran
}

TEST_CASE("tsodyks_markram's event-driven traces equal the per-step decay up to rounding", "[event_driven]") {
  for (const auto& p : {tsodyks_markram::depressing(), tsodyks_markram::facilitating()}) {
    auto old = trace_network<tm_per_step>(p);
    auto now = trace_network<tsodyks_markram>(p);
    int events = 0;
    double worst = run_both(old, now, 4000, events);
    now.disable_learning();  // short-term plasticity is not learning: it goes on
    old.disable_learning();
    worst = std::max(worst, run_both(old, now, 1000, events));
    now.reset();
    old.reset();
    worst = std::max(worst, run_both(old, now, 2000, events));
    CHECK(events > 10000);
    CHECK(worst < 1e-11);
    CHECK(worst_of(old.projection<"P">().pre_traces(), now.projection<"P">().current_pre_traces()) < 1e-11);
  }
}

TEST_CASE("event-driven pre and post traces (STDP) equal the per-step decay up to rounding", "[event_driven]") {
  const stdp_additive::parameters p{.A_plus = 0.05, .A_minus = 0.06};
  auto old = trace_network<stdp_additive>(p);
  auto now = trace_network<stdp_event>(p);
  int events = 0;
  double worst = run_both(old, now, 5000, events);
  CHECK(events > 10000);
  CHECK(worst < 1e-11);
  const auto& P = old.projection<"P">();
  const auto& Q = now.projection<"P">();
  CHECK(worst_of(P.columns(), Q.columns()) < 1e-11);
  CHECK(worst_of(P.pre_traces(), Q.current_pre_traces()) < 1e-11);
  CHECK(worst_of(P.post_traces(), Q.current_post_traces()) < 1e-11);
  auto fresh = trace_network<stdp_additive>(p);
  CHECK(worst_of(fresh.projection<"P">().columns(), P.columns()) > 0.01);  // the weights moved
}

TEST_CASE("an event-driven synapse's clock counts the steps with learning on", "[event_driven]") {
  // dt = 1/8 ms: every time is exact, so t must be exactly the learning time.
  auto net = sw::network{{.dt = 0.125, .seed = 3},
                         sw::population<poisson_source, "A">{20, {.rate = 50}},
                         sw::population<random_sink, "B">{10, {.rate = 0}},
                         sw::projection<stopwatch, "A", "B", "in", "S">{sw::fixed_probability{0.5}, {.w = 1.0}, 0.5}};
  auto& S = net.projection<"S">();
  net.simulate(100);
  net.disable_learning();
  net.simulate(50);
  net.reset();  // the network's clock restarts, the synapses' goes on
  net.enable_learning();
  net.simulate(75);
  const double learned = 175;  // [ms]
  const auto ages = S.ages();
  CHECK(ages.learning_steps == 1400);
  const auto current = S.current_columns();
  std::size_t lagging = 0;
  for (std::size_t k = 0; k < S.size(); ++k) {
    REQUIRE(current.t[k] == learned);
    REQUIRE(S.columns().t[k] == learned - ages.synapses[k] * 0.125);
    lagging += ages.synapses[k] > 0;
  }
  CHECK(lagging > 0);
  // 4 bytes per synapse for the clock: post index, w, t and the step.
  CHECK(S.synapse_bytes() == S.size() * (4 + 2 * 8 + 4));
}

TEST_CASE("event-driven ages stay exact in 32 bits across the refresh every 2^31 learning steps", "[event_driven]") {
  auto net = sw::network{{.dt = 0.125},
                         sw::population<poisson_source, "A">{3, {.rate = 0}},
                         sw::population<random_sink, "B">{1, {.rate = 0}},
                         sw::projection<stopwatch, "A", "B", "in", "S">{sw::all_to_all{}, {.w = 1.0}}};
  auto& S = net.projection<"S">();
  REQUIRE(S.size() == 3);
  const std::uint64_t period = std::uint64_t{1} << 31;
  // Three steps before a refresh: ages past 2^31 (refreshed then), small, and
  // one that would pass 2^32 before it (brought up to date at once).
  std::remove_reference_t<decltype(S)>::event_ages ages{.synapses = {static_cast<std::uint32_t>(period + 10), 5, 0xFFFFFFFEu},
                               .learning_steps = period - 3};
  auto cols = S.columns();
  cols.t.assign(3, 0.0);
  S.restore(std::vector<std::uint64_t>(S.row_ptr().begin(), S.row_ptr().end()),
            std::vector<std::uint32_t>(S.post().begin(), S.post().end()), cols, S.delays(), {}, net.current_step(),
            S.pre_traces(), S.post_traces(), 1, ages);
  CHECK(S.columns().t[2] == 0xFFFFFFFEu * 0.125);
  CHECK(S.ages().synapses == std::vector<std::uint32_t>{static_cast<std::uint32_t>(period + 10), 5, 0});
  for (int k = 0; k < 5; ++k) net.step();
  CHECK(S.ages().learning_steps == period + 2);
  CHECK(S.columns().t[0] == (period + 13) * 0.125);  // refreshed with the age it had
  CHECK(S.columns().t[1] == 0);                      // young: left alone
  CHECK(S.ages().synapses == std::vector<std::uint32_t>{2, 10, 5});
  const auto current = S.current_columns();
  CHECK(current.t[0] == (period + 15) * 0.125);
  CHECK(current.t[1] == 10 * 0.125);
  CHECK(current.t[2] == (0xFFFFFFFEu + 5.0) * 0.125);
}
