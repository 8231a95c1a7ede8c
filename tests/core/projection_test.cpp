// Projections: every connectivity rule, weights and delays, delivery timing, storage, errors.
#include <algorithm>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;
using sw::models::static_synapse;

namespace {

// Fires once, in the step that starts at time `at` [ms].
struct pulse {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, at));
  };
  template <class T>
  static auto update(variables<T>& x, const parameters&, const sw::step_info<T>& s) {
    return sw::abs(x.at - s.t) < 0.5 * s.dt;
  }
  static variables<double> initial(const parameters&) { return {-1}; }
};

// Accumulates what arrives; never fires.
struct sink {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, in));
  };
  template <class T>
  static void update(variables<T>&, const parameters&, const sw::step_info<T>&) {}
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(pulse::parameters);
BOOST_HANA_ADAPT_STRUCT(sink::parameters);
namespace {

// The (pre, post) pairs of a projection, in storage order.
template <class P>
std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs(const P& proj) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  const auto pre = proj.pre();
  for (std::size_t k = 0; k < proj.size(); ++k) out.emplace_back(pre[k], proj.post()[k]);
  return out;
}

template <class P>
bool has_duplicates(const P& proj) {
  auto p = pairs(proj);
  std::sort(p.begin(), p.end());
  return std::adjacent_find(p.begin(), p.end()) != p.end();
}

template <class P>
std::size_t self_connections(const P& proj) {
  std::size_t n = 0;
  for (auto [i, j] : pairs(proj)) n += i == j;
  return n;
}

// A network A (n_a neurons) -> A and A -> B (n_b) with one rule.
auto make(sw::connectivity rule, std::size_t n_a, std::size_t n_b, std::uint64_t seed = 1) {
  return sw::network{{.dt = 0.1, .seed = seed},
                     sw::population<sink, "A">{n_a},
                     sw::population<sink, "B">{n_b},
                     sw::projection<static_synapse, "A", "A", "in", "AA">{rule, {.w = 1}},
                     sw::projection<static_synapse, "A", "B", "in", "AB">{rule, {.w = 1}}};
}

}  // namespace

TEST_CASE("all_to_all: every pair, self-connections only when allowed", "[connect]") {
  auto net = make(sw::all_to_all{}, 30, 20);
  CHECK(net.projection<"AA">().size() == 30 * 29);
  CHECK(self_connections(net.projection<"AA">()) == 0);
  CHECK(net.projection<"AB">().size() == 30 * 20);  // different populations: i -> i is not a self-connection
  auto with_self = make(sw::all_to_all{.allow_self_connections = true}, 30, 20);
  CHECK(with_self.projection<"AA">().size() == 30 * 30);
  CHECK(self_connections(with_self.projection<"AA">()) == 30);
}

TEST_CASE("one_to_one: i -> i; populations of different sizes are a config_error", "[connect]") {
  auto net = sw::network{{}, sw::population<sink, "A">{10}, sw::population<sink, "B">{10},
                         sw::projection<static_synapse, "A", "B", "in", "AB">{sw::one_to_one{}, {.w = 1}}};
  CHECK(pairs(net.projection<"AB">()).size() == 10);
  for (auto [i, j] : pairs(net.projection<"AB">())) CHECK(i == j);
  CHECK(config_error_of([] { make(sw::one_to_one{}, 10, 12); }) ==
        "projection 'AB' (A -> B.in): one_to_one needs populations of equal size, not 10 and 12");
}

TEST_CASE("fixed_probability: Bernoulli per pair, reproducible from the seed", "[connect]") {
  const std::size_t n = 2000;
  const double p = 0.05;
  auto net = make(sw::fixed_probability{.p = p}, n, n);
  const auto& aa = net.projection<"AA">();
  const auto& ab = net.projection<"AB">();
  const double pairs_aa = static_cast<double>(n * (n - 1)), pairs_ab = static_cast<double>(n * n);
  CHECK(std::abs(static_cast<double>(aa.size()) - p * pairs_aa) < 5 * std::sqrt(pairs_aa * p * (1 - p)));
  CHECK(std::abs(static_cast<double>(ab.size()) - p * pairs_ab) < 5 * std::sqrt(pairs_ab * p * (1 - p)));
  CHECK(self_connections(aa) == 0);
  CHECK_FALSE(has_duplicates(aa));
  const auto aa_pairs = pairs(aa);
  CHECK(std::is_sorted(aa_pairs.begin(), aa_pairs.end()));
  // In-degrees are Binomial(n - 1, p): their variance is n p (1 - p).
  std::vector<double> in(n);
  for (auto j : aa.post()) in[j] += 1;
  double mean = 0, var = 0;
  for (double x : in) mean += x / n;
  for (double x : in) var += (x - mean) * (x - mean) / (n - 1);
  CHECK(var == Approx(static_cast<double>(n - 1) * p * (1 - p)).epsilon(0.15));
  // Same seed, same synapses; another seed, others.
  CHECK(pairs(make(sw::fixed_probability{.p = p}, n, n).projection<"AA">()) == pairs(aa));
  CHECK(pairs(make(sw::fixed_probability{.p = p}, n, n, 2).projection<"AA">()) != pairs(aa));
  // The extremes.
  CHECK(make(sw::fixed_probability{.p = 0}, 50, 50).projection<"AB">().size() == 0);
  CHECK(make(sw::fixed_probability{.p = 1}, 50, 40).projection<"AB">().size() == 2000);
  CHECK(make(sw::fixed_probability{.p = 1, .allow_self_connections = true}, 50, 40).projection<"AA">().size() == 2500);
  CHECK(config_error_of([] { make(sw::fixed_probability{.p = 1.5}, 5, 5); }) ==
        "projection 'AA' (A -> A.in): p = 1.5, must be in [0, 1]");
}

TEST_CASE("fixed_number_pre: every post neuron has exactly that in-degree", "[connect]") {
  auto net = make(sw::fixed_number_pre{.number = 25}, 300, 200);
  auto check = [](const auto& proj, std::size_t n_post) {
    std::vector<std::size_t> in(n_post);
    for (auto j : proj.post()) ++in[j];
    for (auto d : in) REQUIRE(d == 25);
    CHECK_FALSE(has_duplicates(proj));
  };
  check(net.projection<"AA">(), 300);
  check(net.projection<"AB">(), 200);
  CHECK(self_connections(net.projection<"AA">()) == 0);
  // All candidates: everybody but oneself.
  auto full = make(sw::fixed_number_pre{.number = 9}, 10, 10);
  CHECK(full.projection<"AA">().size() == 90);
  CHECK(self_connections(full.projection<"AA">()) == 0);
  CHECK(config_error_of([] { make(sw::fixed_number_pre{.number = 10}, 10, 10); }) ==
        "projection 'AA' (A -> A.in): fixed_number_pre: number = 10, more than the 9 candidate neurons");
}

TEST_CASE("fixed_number_post: every pre neuron has exactly that out-degree", "[connect]") {
  auto net = make(sw::fixed_number_post{.number = 7}, 100, 50);
  for (std::size_t i = 0; i < 100; ++i) {
    REQUIRE(net.projection<"AA">().row_ptr()[i + 1] - net.projection<"AA">().row_ptr()[i] == 7);
    REQUIRE(net.projection<"AB">().row_ptr()[i + 1] - net.projection<"AB">().row_ptr()[i] == 7);
  }
  CHECK_FALSE(has_duplicates(net.projection<"AB">()));
  CHECK(self_connections(net.projection<"AA">()) == 0);
  CHECK(config_error_of([] { make(sw::fixed_number_post{.number = 60}, 100, 50); }) ==
        "projection 'AB' (A -> B.in): fixed_number_post: number = 60, more than the 50 candidate neurons");
}

TEST_CASE("from_list, from_dense, from_csr: given synapses, weights and delays; bad input is a config_error",
          "[connect]") {
  auto net = sw::network{
      {.dt = 0.1}, sw::population<sink, "A">{3}, sw::population<sink, "B">{4},
      sw::projection<static_synapse, "A", "B", "in", "L">{sw::from_list{{2, 0, 0}, {1, 3, 1}, {0.5, 0.25, 0.75}, {}}},
      sw::projection<static_synapse, "A", "B", "in", "D">{sw::from_dense{{{0, 1, 0, 0}, {0, 0, 0, 2}, {3, 0, 0, 0}}}},
      sw::projection<static_synapse, "A", "B", "in", "C">{sw::from_csr{{0, 2, 2, 3}, {1, 3, 0}, {}, {}}, {.w = 4}}};
  const auto& L = net.projection<"L">();
  CHECK(pairs(L) == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {0, 3}, {2, 1}});
  CHECK(std::vector<double>(L.columns().w.begin(), L.columns().w.end()) == std::vector<double>{0.75, 0.25, 0.5});
  const auto& D = net.projection<"D">();
  CHECK(pairs(D) == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {1, 3}, {2, 0}});
  CHECK(std::vector<double>(D.columns().w.begin(), D.columns().w.end()) == std::vector<double>{1, 2, 3});
  const auto& C = net.projection<"C">();
  CHECK(pairs(C) == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{0, 1}, {0, 3}, {2, 0}});
  CHECK(C.columns().w[2] == 4);

  auto build = [](sw::connectivity rule) {
    sw::network{{}, sw::population<sink, "A">{3}, sw::population<sink, "B">{4},
                sw::projection<static_synapse, "A", "B", "in", "P">{std::move(rule)}};
  };
  CHECK(config_error_of([&] { build(sw::from_list{{0, 3}, {1, 1}, {}, {}}); }) ==
        "projection 'P' (A -> B.in): from_list synapse 1: pre = 3, the pre-synaptic population has 3 neurons");
  CHECK(config_error_of([&] { build(sw::from_list{{0}, {4}, {}, {}}); }) ==
        "projection 'P' (A -> B.in): from_list synapse 0: post = 4, the post-synaptic population has 4 neurons");
  CHECK(config_error_of([&] { build(sw::from_list{{0, 1}, {1}, {}, {}}); }) ==
        "projection 'P' (A -> B.in): from_list has 2 pre and 1 post indices");
  CHECK(config_error_of([&] { build(sw::from_list{{0, 1}, {1, 1}, {1.0}, {}}); }) ==
        "projection 'P' (A -> B.in): from_list has 1 weights for 2 synapses");
  CHECK(config_error_of([&] { build(sw::from_list{{0}, {1}, {}, {-1.0}}); }) ==
        "projection 'P' (A -> B.in): delay of synapse 0 = -1 ms, must be finite and >= 0");
  CHECK(config_error_of([&] { build(sw::from_dense{{{1, 1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1}}}); }) ==
        "projection 'P' (A -> B.in): from_dense row 1 has 3 columns, the post-synaptic population has 4 neurons");
  CHECK(config_error_of([&] { build(sw::from_csr{{0, 1, 1}, {0}, {}, {}}); }) ==
        "projection 'P' (A -> B.in): from_csr has 3 row pointers, needs 4 (pre-synaptic neurons + 1)");
  CHECK(config_error_of([&] { build(sw::from_csr{{0, 1, 1, 1}, {9}, {}, {}}); }) ==
        "projection 'P' (A -> B.in): from_csr synapse 0: post = 9, the post-synaptic population has 4 neurons");
}

TEST_CASE("weights and other synapse variables: constant, per synapse, random", "[connect]") {
  const std::size_t n = 400;
  auto net = sw::network{{.seed = 3}, sw::population<sink, "A">{n},
                         sw::projection<static_synapse, "A", "A", "in", "U">{sw::all_to_all{}, {.w = sw::uniform(1, 2)}},
                         sw::projection<static_synapse, "A", "A", "in", "N">{sw::all_to_all{}, {.w = sw::normal(5, 0.5)}}};
  double sum = 0, sum2 = 0, lo = 10, hi = 0;
  for (double w : net.projection<"U">().columns().w) {
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  for (double w : net.projection<"N">().columns().w) {
    sum += w;
    sum2 += w * w;
  }
  const double m = static_cast<double>(net.projection<"N">().size());
  CHECK(lo >= 1);
  CHECK(hi < 2);
  CHECK(sum / m == Approx(5).margin(0.01));
  CHECK(std::sqrt(sum2 / m - (sum / m) * (sum / m)) == Approx(0.5).margin(0.01));
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<sink, "A">{3},
                      sw::projection<static_synapse, "A", "A", "in", "P">{sw::all_to_all{}, {.w = std::vector<double>{1, 2}}}};
        }) == "projection 'P' (A -> A.in): initial value of 'w' has 2 values for 6 synapses");
}

TEST_CASE("a spike arrives exactly d steps later, uniform and per-synapse delays", "[delay]") {
  // Neuron 0 of A fires in step 10.
  const std::vector<double> at{1.0, -1.0};
  auto net = sw::network{
      {.dt = 0.1}, sw::population<pulse, "A">{2, {}, {.at = at}}, sw::population<sink, "B">{5},
      sw::projection<static_synapse, "A", "B", "in", "U">{sw::from_list{{0}, {0}, {}, {}}, {.w = 1}, 1.5},
      // 0.1 ms -> 1 step, 0.25 -> 3 (to nearest, halves away from zero), 0.04 -> 1 (the minimum), 2.0 -> 20.
      sw::projection<static_synapse, "A", "B", "in", "H">{
          sw::from_list{{0, 0, 0, 0}, {1, 2, 3, 4}, {}, {0.1, 0.25, 0.04, 2.0}}, {.w = 1}}};
  CHECK(net.projection<"U">().uniform_delay());
  CHECK_FALSE(net.projection<"H">().uniform_delay());
  CHECK(net.projection<"H">().max_delay_steps() == 20);
  const std::vector<std::uint64_t> expected{10 + 15, 10 + 1, 10 + 3, 10 + 1, 10 + 20};
  std::vector<std::uint64_t> arrived(5, 0);
  auto& in = net.population<"B">().columns().in;
  for (std::uint64_t n = 0; n < 40; ++n) {
    net.step();
    if (n == 10) REQUIRE(net.population<"A">().spikes().size() == 1);
    for (std::size_t j = 0; j < 5; ++j)
      if (in[j] != 0 && arrived[j] == 0) arrived[j] = n;  // delivered in step n
  }
  CHECK(arrived == expected);
  for (std::size_t j = 0; j < 5; ++j) CHECK(in[j] == 1);  // exactly once
}

TEST_CASE("spikes in transit are kept in a ring buffer of max delay + 1 steps", "[delay]") {
  auto net = sw::network{{.dt = 0.1}, sw::population<pulse, "A">{1, {}, {.at = 0.5}}, sw::population<sink, "B">{1},
                         sw::projection<static_synapse, "A", "B", "in", "P">{sw::one_to_one{}, {.w = 1}, 1.0}};
  const auto& ring = net.projection<"P">().ring();
  CHECK(ring.size() == 11);
  net.simulate(0.6);  // steps 0..5: the spike of step 5 is in transit
  CHECK(ring[5 % 11] == std::vector<std::uint32_t>{0});
  net.simulate(1.0);
  CHECK(net.population<"B">().columns().in[0] == 1);
  net.reset();
  for (const auto& slot : ring) CHECK(slot.empty());
}

TEST_CASE("memory: 12 bytes per static synapse in double, 8 in float, 2 more for per-synapse delays", "[memory]") {
  auto d = make(sw::fixed_probability{.p = 0.1}, 500, 500);
  CHECK(d.projection<"AA">().synapse_bytes() == 12 * d.projection<"AA">().size());
  auto f = sw::network{sw::precision<float>, {}, sw::population<sink, "A">{500},
                       sw::projection<static_synapse, "A", "A", "in", "AA">{sw::fixed_probability{.p = 0.1}, {.w = 1}}};
  CHECK(f.projection<"AA">().synapse_bytes() == 8 * f.projection<"AA">().size());
  auto h = sw::network{{}, sw::population<sink, "A">{500},
                       sw::projection<static_synapse, "A", "A", "in", "AA">{sw::fixed_probability{.p = 0.1}, {.w = 1},
                                                                            sw::uniform(0.1, 5.0)}};
  CHECK(h.projection<"AA">().synapse_bytes() == 14 * h.projection<"AA">().size());
}

TEST_CASE("unnamed projections are proj<k>", "[network]") {
  auto net = sw::network{{}, sw::population<sink>{3},
                         sw::projection<static_synapse, "pop0", "pop0", "in">{sw::all_to_all{}},
                         sw::projection<static_synapse, "pop0", "pop0", "in">{sw::one_to_one{}}};
  CHECK(net.projection<"proj0">().size() == 6);
  CHECK(net.projection<"proj1">().size() == 3);
  CHECK(net.synapse_count() == 9);
}

TEST_CASE("per-synapse delays: every delay group arrives once, on time, with and without the delay table; "
          "reset forgets what is in transit",
          "[delay]") {
  // Pre neurons 0, 1, 2 fire in steps 3, 4 and 6; synapse k joins pre k % 3 to post k with a delay of
  // 1 + (k * 7) % 5 steps. 30 synapses: 3 pre neurons x 6 slots fit the per-row delay table (<= 1 per
  // synapse); 5 synapses do not, and the rows are read instead.
  auto run = [](std::size_t n_syn, bool reset_midway) {
    std::vector<std::uint32_t> pre, post;
    std::vector<double> delay;
    for (std::uint32_t k = 0; k < n_syn; ++k) {
      pre.push_back(k % 3);
      post.push_back(k);
      delay.push_back(0.1 * (1 + (k * 7) % 5));
    }
    const std::vector<double> at{0.3, 0.4, 0.6};
    auto net = sw::network{{.dt = 0.1}, sw::population<pulse, "A">{3, {}, {.at = at}},
                           sw::population<sink, "B">{n_syn},
                           sw::projection<static_synapse, "A", "B", "in", "P">{sw::from_list{pre, post, {}, delay}, {.w = 1}}};
    if (reset_midway) {
      net.simulate(0.75);  // steps 0..7: every spike fired, some still in transit
      net.reset();         // time 0, state initial, nothing in transit
    }
    std::vector<std::uint64_t> arrived(n_syn, 0);
    auto& in = net.population<"B">().columns().in;
    for (std::uint64_t n = 0; n < 20; ++n) {
      net.step();
      for (std::size_t j = 0; j < n_syn; ++j)
        if (in[j] != 0 && arrived[j] == 0) arrived[j] = n;
    }
    for (std::size_t j = 0; j < n_syn; ++j) CHECK(in[j] == 1);  // exactly once
    return arrived;
  };
  for (const std::size_t n_syn : {30u, 5u}) {
    INFO(n_syn << " synapses");
    std::vector<std::uint64_t> expected;
    const std::uint64_t fired[] = {3, 4, 6};
    for (std::size_t k = 0; k < n_syn; ++k) expected.push_back(fired[k % 3] + 1 + (k * 7) % 5);
    CHECK(run(n_syn, false) == expected);
    CHECK(run(n_syn, true) == expected);
  }
}
