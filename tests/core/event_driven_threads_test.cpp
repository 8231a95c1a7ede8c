// Event-driven synapse variables and traces on 1 and 2 threads: the same spikes, bits and ages.
//
// Asks for TBB itself, as threads_test.cpp does; its network types are its own.
#ifndef SPIKEWEAVE_HAS_TBB
#define SPIKEWEAVE_HAS_TBB 1
#endif

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>
#include <tbb/global_control.h>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// Facilitation and depression per synapse, event-driven, with an on_post.
struct edt_stp {
  struct parameters {
    double U = 0.2;
    double tau_rec = 150;    // [ms]
    double tau_facil = 300;  // [ms]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, u), (T, d));
  };
  template <class T>
  static void advance(variables<T>& s, const parameters& p, double elapsed) {
    s.u *= std::exp(-elapsed / p.tau_facil);
    s.d *= std::exp(-elapsed / p.tau_rec);
  }
  template <class T>
  static T on_pre(variables<T>& s, const parameters& p) {
    s.u += p.U * (1.0 - s.u);
    const T r = s.u * (1.0 - s.d);
    s.d += r;
    return s.w * r;
  }
  template <class T>
  static void on_post(variables<T>& s, const parameters&) {
    s.d *= 0.95;
  }
};

// Additive STDP with event-driven pre and post traces.
struct edt_stdp {
  using parameters = stdp_additive::parameters;
  template <class T>
  using variables = stdp_additive::variables<T>;
  template <class T>
  using pre_trace = stdp_additive::pre_trace<T>;
  template <class T>
  using post_trace = stdp_additive::post_trace<T>;
  template <class T>
  static void advance_pre(pre_trace<T>& a, const parameters& p, double elapsed) {
    a.x *= std::exp(-elapsed / p.tau_plus);
  }
  template <class T>
  static void advance_post(post_trace<T>& b, const parameters& p, double elapsed) {
    b.y *= std::exp(-elapsed / p.tau_minus);
  }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) {
    a.x += p.A_plus;
  }
  template <class T>
  static void on_post_spike(post_trace<T>& b, const parameters& p) {
    b.y += p.A_minus;
  }
  template <class T>
  static T on_pre(variables<T>& s, const pre_trace<T>& a, const post_trace<T>& b, const parameters& p) {
    return stdp_additive::on_pre(s, a, b, p);
  }
  template <class T>
  static void on_post(variables<T>& s, const pre_trace<T>& a, const post_trace<T>& b, const parameters& p) {
    stdp_additive::on_post(s, a, b, p);
  }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(edt_stp::parameters, U, tau_rec, tau_facil);

namespace {

auto edt_network(std::size_t threads) {
  const lif_cond_exp::variables<sw::initial_value> init{
      .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};
  return sw::network{{.dt = 0.1, .seed = 21, .threads = threads},
                     sw::population<lif_cond_exp, "edtE">{3200, {}, init},
                     sw::population<lif_cond_exp, "edtI">{800, {}, init},
                     sw::projection<edt_stp, "edtE", "edtE", "g_e", "edtEE">{
                         sw::fixed_probability{0.02}, {.w = sw::uniform(1.0, 2.0)}, sw::uniform(0.1, 2.0)},
                     sw::projection<edt_stdp, "edtE", "edtI", "g_e", "edtEI">{
                         sw::fixed_probability{0.02}, {.w = sw::uniform(0.3, 0.6)}, 0.5, {.w_max = 1.0}},
                     sw::projection<tsodyks_markram, "edtI", "edtE", "g_i", "edtIE">{
                         sw::fixed_probability{0.02}, {.w = 12.0}, 0.8, tsodyks_markram::facilitating()},
                     sw::projection<static_synapse, "edtI", "edtI", "g_i", "edtII">{sw::fixed_probability{0.02}, {.w = 6.7}},
                     sw::poisson_input<"edtE", "g_e">{.n = 100, .rate = 5, .weight = 0.1}};
}

template <class Net>
std::vector<std::uint64_t> bits_and_ages(Net& net) {
  std::vector<std::uint64_t> out;
  auto add_all = [&](const auto& columns) {
    sw::reflect::for_each_field(columns, [&](auto, const auto& c) {
      for (double x : c) out.push_back(std::bit_cast<std::uint64_t>(x));
    });
  };
  net.for_each_population([&](auto& pop) { add_all(pop.columns()); });
  net.for_each_projection([&](auto& proj) {
    add_all(proj.columns());
    add_all(proj.pre_traces());
    add_all(proj.post_traces());
    const auto ages = proj.ages();
    out.insert(out.end(), ages.synapses.begin(), ages.synapses.end());
    out.insert(out.end(), ages.pre.begin(), ages.pre.end());
    out.insert(out.end(), ages.post.begin(), ages.post.end());
  });
  return out;
}

template <class Net>
std::vector<std::vector<std::uint32_t>> spikes_of(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

}  // namespace

TEST_CASE("event-driven variables and traces: the same bits and ages on 1 and 2 threads", "[event_driven][threads]") {
  const tbb::global_control allow{tbb::global_control::max_allowed_parallelism, 2};
  auto one = edt_network(1);
  auto two = edt_network(2);
  REQUIRE(two.chunk_count() == 2);
  CHECK(spikes_of(one, 800) == spikes_of(two, 800));
  one.disable_learning({"edtEE"});
  two.disable_learning({"edtEE"});
  CHECK(spikes_of(one, 400) == spikes_of(two, 400));
  std::uint64_t total = 0;
  one.for_each_population([&](auto& pop) { total += pop.spike_count(); });
  CHECK(total > 2000);
  CHECK(bits_and_ages(one) == bits_and_ages(two));
  const auto ages = one.projection<"edtEE">().ages();
  CHECK(ages.learning_steps == 800);
  CHECK(std::count_if(ages.synapses.begin(), ages.synapses.end(), [](auto a) { return a > 0; }) > 0);
}
