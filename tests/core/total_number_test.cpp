// fixed_total_number and bounded (clipped, redrawn) random values: counts,
// statistics, the same synapses on any number of threads, errors.
#ifndef SPIKEWEAVE_HAS_TBB
#define SPIKEWEAVE_HAS_TBB 1
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;
using sw::fixed_total_number;
using sw::models::lif_curr_exp;
using sw::models::static_synapse;

namespace {

sw::synapse_list total(std::uint64_t n, std::size_t n_pre, std::size_t n_post, bool same, bool self = true,
                       bool multapses = true, std::uint64_t seed = 7) {
  return sw::connect(fixed_total_number{.n = n, .allow_self_connections = self, .allow_multapses = multapses}, n_pre,
                     n_post, same, {seed, 3}, "test");
}

std::vector<std::uint32_t> pre_of(const sw::synapse_list& l) {
  std::vector<std::uint32_t> pre;
  for (std::size_t i = 0; i + 1 < l.row_ptr.size(); ++i)
    for (auto k = l.row_ptr[i]; k < l.row_ptr[i + 1]; ++k) pre.push_back(static_cast<std::uint32_t>(i));
  return pre;
}

template <std::size_t Threads>
auto total_network(std::uint64_t n, sw::initial_value delay) {
  return sw::network{{.dt = 0.1, .seed = 11, .threads = Threads},
                     sw::population<lif_curr_exp, "A">{300},
                     sw::population<lif_curr_exp, "B">{1000},
                     sw::projection<static_synapse, "A", "B", "I_e", "AB">{
                         fixed_total_number{.n = n}, {.w = sw::normal(1.0, 0.5).redraw(0, 1e9)}, delay},
                     sw::projection<static_synapse, "B", "B", "I_i", "BB">{
                         fixed_total_number{.n = n / 2, .allow_self_connections = false, .allow_multapses = false},
                         {.w = sw::normal(-1.0, 0.5).clip(-1e9, 0)}, sw::normal(1.5, 0.75).redraw(0.05, 1e9)}};
}

}  // namespace

TEST_CASE("fixed_total_number: exactly n synapses, in range, uniform in- and out-degrees", "[total_number]") {
  const std::uint64_t n = 200000;
  const std::size_t n_pre = 700, n_post = 1000;  // 1000 = 15 blocks of 64 and one of 40
  const auto l = total(n, n_pre, n_post, false);
  REQUIRE(l.size() == n);
  REQUIRE(l.row_ptr.back() == n);
  std::vector<double> in(n_post, 0), out(n_pre, 0);
  const auto pre = pre_of(l);
  for (std::size_t k = 0; k < n; ++k) {
    REQUIRE(l.post[k] < n_post);
    in[l.post[k]] += 1;
    out[pre[k]] += 1;
  }
  // In-degrees: multinomial, mean n / n_post, variance about the mean.
  auto moments = [](const std::vector<double>& x) {
    const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
    double var = 0;
    for (double v : x) var += (v - mean) * (v - mean);
    return std::pair{mean, var / static_cast<double>(x.size() - 1)};
  };
  const auto [in_mean, in_var] = moments(in);
  const auto [out_mean, out_var] = moments(out);
  CHECK(in_mean == Approx(200.0));
  CHECK(in_var == Approx(200.0 * (1 - 1.0 / n_post)).epsilon(0.15));
  CHECK(out_mean == Approx(static_cast<double>(n) / n_pre));
  CHECK(out_var == Approx(static_cast<double>(n) / n_pre).epsilon(0.15));
  // The last, short block gets its share (40 of 1000 post neurons).
  const double last_block = std::accumulate(in.begin() + 960, in.end(), 0.0);
  CHECK(std::abs(last_block - 8000.0) < 5 * std::sqrt(8000.0));
  // Another seed, other synapses.
  CHECK(total(n, n_pre, n_post, false, true, true, 8).post != l.post);
}

TEST_CASE("fixed_total_number: multapses and self-connections as asked", "[total_number]") {
  SECTION("with multapses some pairs repeat (n is half the pairs)") {
    const auto l = total(5000, 100, 100, true);
    const auto pre = pre_of(l);
    std::map<std::pair<std::uint32_t, std::uint32_t>, int> pairs;
    std::size_t self = 0;
    for (std::size_t k = 0; k < l.size(); ++k) {
      ++pairs[{pre[k], l.post[k]}];
      self += pre[k] == l.post[k];
    }
    CHECK(pairs.size() < l.size());
    CHECK(self > 0);
  }
  SECTION("without multapses and self-connections: distinct pairs, none i -> i, up to every pair") {
    for (std::uint64_t n : {5000u, 9900u}) {
      const auto l = total(n, 100, 100, true, false, false);
      REQUIRE(l.size() == n);
      const auto pre = pre_of(l);
      std::map<std::pair<std::uint32_t, std::uint32_t>, int> pairs;
      for (std::size_t k = 0; k < l.size(); ++k) {
        REQUIRE(pre[k] != l.post[k]);
        ++pairs[{pre[k], l.post[k]}];
      }
      CHECK(pairs.size() == n);
    }
  }
  SECTION("impossible counts are refused, naming the rule") {
    CHECK_THROWS_AS(total(9901, 100, 100, true, false, false), sw::config_error);
    CHECK_THROWS_WITH(total(9901, 100, 100, true, false, false),
                      Catch::Contains("n = 9901 without multapses, more than the 9900 pairs"));
    CHECK_THROWS_WITH(total(1, 1, 1, true, false, true), Catch::Contains("no pair of neurons may be joined"));
    CHECK(total(0, 0, 0, false).size() == 0);
  }
}

TEST_CASE("fixed_total_number: a thread or rank can draw just its own blocks", "[total_number]") {
  const fixed_total_number rule{.n = 123457};
  const std::size_t blocks = (5000 + 63) / 64;
  const auto whole = sw::detail::split_total_number(rule, 800, 5000, false, {5, 1}, 0, blocks);
  REQUIRE(whole.start.front() == 0);
  REQUIRE(whole.start.back() == rule.n);
  for (std::size_t first : {0u, 1u, 17u, 40u})
    for (std::size_t last : {first + 1, first + 23, blocks}) {
      if (last > blocks) continue;
      const auto part = sw::detail::split_total_number(rule, 800, 5000, false, {5, 1}, first, last);
      REQUIRE(std::equal(part.start.begin(), part.start.end(), whole.start.begin() + static_cast<std::ptrdiff_t>(first)));
    }
}

TEST_CASE("fixed_total_number in a network: the same synapses on 1, 2 and 3 threads", "[total_number][threads]") {
  const auto delays = sw::normal(1.5, 0.75).redraw(0.05, 1e9);
  auto one = total_network<1>(60000, delays);
  auto two = total_network<2>(60000, delays);
  auto three = total_network<3>(60000, delays);
  auto same = [](const auto& a, const auto& b) {
    REQUIRE(a.size() == b.size());
    CHECK(std::equal(a.row_ptr().begin(), a.row_ptr().end(), b.row_ptr().begin()));
    CHECK(std::equal(a.post().begin(), a.post().end(), b.post().begin()));
    CHECK(a.columns().w == b.columns().w);
    CHECK(a.delays() == b.delays());
  };
  same(one.projection<"AB">(), two.projection<"AB">());
  same(one.projection<"AB">(), three.projection<"AB">());
  same(one.projection<"BB">(), two.projection<"BB">());
  same(one.projection<"BB">(), three.projection<"BB">());

  const auto& ab = one.projection<"AB">();
  const auto& bb = one.projection<"BB">();
  CHECK(ab.size() == 60000);
  CHECK(bb.size() == 30000);
  // The pairs are those connect() draws (the rule alone; the network keys
  // element 2's synapses by stream 2 | 0x40000), in (post, number) order
  // when the delay is one.
  auto fixed = total_network<2>(60000, 1.5);
  const auto& f = fixed.projection<"AB">();
  const auto list = sw::connect(fixed_total_number{.n = 60000}, 300, 1000, false, {11, 2 | 0x40000u}, "AB");
  CHECK(std::equal(list.row_ptr.begin(), list.row_ptr.end(), f.row_ptr().begin()));
  CHECK(std::equal(list.post.begin(), list.post.end(), f.post().begin(), f.post().end()));
  // Rows are in (delay, post) order.
  const auto d = bb.delays();
  for (std::size_t i = 0; i + 1 < bb.row_ptr().size(); ++i)
    for (auto k = bb.row_ptr()[i] + 1; k < bb.row_ptr()[i + 1]; ++k)
      REQUIRE((d[k - 1] < d[k] || (d[k - 1] == d[k] && bb.post()[k - 1] <= bb.post()[k])));
  // Redrawn weights keep their sign; clipped ones sit on the bound.
  const auto& w_ab = ab.columns().w;
  const auto& w_bb = bb.columns().w;
  CHECK(*std::min_element(w_ab.begin(), w_ab.end()) >= 0);
  CHECK(*std::max_element(w_bb.begin(), w_bb.end()) <= 0);
  const auto at_zero = std::count(w_bb.begin(), w_bb.end(), 0.0);
  CHECK(static_cast<double>(at_zero) / 30000.0 == Approx(0.02275).margin(0.004));  // P(z > 2)
  // Delays redrawn at >= 0.05 ms, rounded to steps: at least one step; the
  // mean of the truncated normal, 1.5 + 0.75 phi(a)/(1 - Phi(a)) with a = -1.93.
  double mean = 0;
  for (auto s : d) {
    REQUIRE(s >= 1);
    mean += s * 0.1;
  }
  mean /= static_cast<double>(d.size());
  CHECK(mean == Approx(1.5 + 0.75 * 0.0620 / 0.9732).margin(0.02));
  // A constant delay needs no per-synapse delays.
  CHECK(fixed.projection<"AB">().uniform_delay());
  CHECK(fixed.projection<"AB">().delay_steps(0) == 15);
}

TEST_CASE("fixed_total_number: the network runs the same spikes on 1 and 2 threads", "[total_number][threads]") {
  auto build = [](std::size_t threads) {
    return sw::network{{.dt = 0.1, .seed = 3, .threads = threads},
                       sw::population<lif_curr_exp, "E">{800, {}, {.v = sw::normal(-55, 5).clip(-70, -50.5)}},
                       sw::projection<static_synapse, "E", "E", "I_e", "EE">{
                           fixed_total_number{.n = 64000}, {.w = sw::normal(0.6, 0.06).redraw(0, 1e9)},
                           sw::normal(1.5, 0.75).redraw(0.05, 1e9)},
                       sw::poisson_input<"E", "I_e">{.n = 100, .rate = 20, .weight = 1.0}};
  };
  auto a = build(1);
  auto b = build(2);
  std::size_t spikes = 0;
  for (int s = 0; s < 2000; ++s) {
    a.step();
    b.step();
    const auto sa = a.population<"E">().spikes();
    const auto sb = b.population<"E">().spikes();
    REQUIRE(std::equal(sa.begin(), sa.end(), sb.begin(), sb.end()));
    spikes += sa.size();
  }
  CHECK(spikes > 100);
  const auto& va = a.population<"E">().columns().v;
  const auto& vb = b.population<"E">().columns().v;
  CHECK(std::equal(va.data(), va.data() + va.size(), vb.data()));
}

TEST_CASE("bounded random values: clip and redraw, and their errors", "[total_number][initial]") {
  const auto v = sw::normal(0, 1).redraw(-0.5, 0.5);
  for (std::size_t i = 0; i < 1000; ++i) {
    const double x = v.value(i, 0, {1, 2}, 0);
    REQUIRE(x >= -0.5);
    REQUIRE(x <= 0.5);
  }
  const auto c = sw::uniform(0, 10).clip(2, 3);
  std::size_t low = 0, high = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const double x = c.value(i, 0, {1, 2}, 0);
    low += x == 2;
    high += x == 3;
  }
  CHECK(low == Approx(200).margin(50));
  CHECK(high == Approx(700).margin(60));
  CHECK(sw::normal(0, 1).problem().empty());
  CHECK_THAT(sw::normal(0, 1).redraw(40, 50).problem(), Catch::Contains("no probability"));
  CHECK_THAT(sw::normal(0, 1).clip(1, 0).problem(), Catch::Contains("lo <= hi"));
  CHECK_THROWS_WITH((sw::population<lif_curr_exp, "P">{10, {}, {.v = sw::normal(-60, 1).redraw(0, 1)}}),
                    Catch::Contains("population 'P': initial value of 'v' normal(-60, 1) redrawn in [0, 1]"));
  CHECK_THROWS_WITH((total_network<1>(1000, sw::normal(1, 1).redraw(-5, -4))),
                    Catch::Contains("projection 'AB' (A -> B.I_e): delay normal(1, 1) redrawn in [-5, -4]"));
  CHECK_THROWS_WITH((total_network<1>(1000, std::vector<double>(1000, 1.0))),
                    Catch::Contains("per-synapse delay values need a rule whose synapse order is given"));
}
