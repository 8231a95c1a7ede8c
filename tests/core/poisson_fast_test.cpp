// The vectorised Poisson drive: bit for bit what the scalar algorithm gave, for any split, after any jump.
//
// The reference below is a copy of the scalar algorithm that poisson_input and
// binomial::invert used before the SIMD version (one Philox4x32-10 block per
// neuron for 4 steps, the inversion loop per neuron-step). Its results are
// what every test, the Brian2 cross-checks and the saved reference data were
// made with; the SIMD version must keep them.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/core/input.hpp>
#include <spikeweave/core/population.hpp>
#include <spikeweave/core/random.hpp>
#include <spikeweave/models/lif_curr_exp.hpp>

namespace sw = spikeweave;
namespace rnd = spikeweave::random;

namespace {

// binomial::invert as it was.
struct old_inversion {
  std::uint64_t n;
  double p, odds, p0;
  old_inversion(std::uint64_t n_, double p_)
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
  [[nodiscard]] std::uint64_t invert_word(std::uint32_t x) const {
    return invert((static_cast<double>(x) + 0.5) * 0x1.0p-32);
  }
};

// poisson_input::deliver as it was, for one step of all neurons.
template <class Real>
void old_deliver(Real* col, std::size_t size, std::uint64_t n, double rate, double weight, rnd::key rng, double dt,
                 std::uint64_t step) {
  const double p = rate * dt * 1e-3;
  const rnd::binomial normal(n, p);
  const old_inversion sample(n, p);
  for (std::size_t i = 0; i < size; ++i) {
    std::uint64_t k = 0;
    if (normal.needs_block())
      k = normal(rnd::bits(rng, i, step, 0));
    else
      k = sample.invert_word(rnd::bits(rng, i, step / 4, 1)[step % 4]);
    if (k != 0) col[i] += static_cast<Real>(static_cast<double>(k) * weight);
  }
}

struct drive {
  std::uint64_t n;
  double rate;  // [Hz]
  double weight;
};

// (n, p) pairs of the inversion regime, edge cases included.
std::vector<std::pair<std::uint64_t, double>> inversion_cases() {
  std::vector<std::pair<std::uint64_t, double>> out;
  for (std::uint64_t n : {1ul, 2ul, 3ul, 7ul, 50ul, 1000ul, 1500ul, 2000ul, 2900ul, 100000ul})
    for (double np : {1e-12, 1e-6, 1e-3, 0.05, 0.1, 0.5, 1.0, 1.2, 1.6, 2.3, 3.7, 4.9, 4.999999, 5.0}) {
      const double p = np / static_cast<double>(n);
      if (p < 1.0) out.emplace_back(n, p);
    }
  // n (1 - p) <= 5: inversion too, with the mass near n (p0 may underflow to 0).
  for (auto [n, p] : {std::pair{1ul, 0.5}, {2ul, 0.9}, {10ul, 0.9}, {20ul, 0.8}, {40ul, 0.95}, {64ul, 0.99},
                      {100ul, 0.97}, {1000ul, 0.999}, {3ul, 1.0}, {5ul, 0.0}, {0ul, 0.3}, {10ul, 1e-300}})
    out.emplace_back(n, p);
  return out;
}

std::uint64_t count_below(const std::vector<std::uint32_t>& t, std::uint32_t x) {
  return static_cast<std::uint64_t>(std::upper_bound(t.begin(), t.end(), x) - t.begin());
}

template <class Pop>
std::vector<typename Pop::real_type> target_values(Pop& pop) {
  const auto& c = pop.columns().I_e;
  return {c.data(), c.data() + pop.size()};
}

template <class Real>
bool same_bits(const std::vector<Real>& a, const std::vector<Real>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Real)) == 0;
}

// Pieces [lo, hi) that cover [0, size): random lengths (some shorter than a
// group, none aligned on purpose), shuffled.
std::vector<std::pair<std::size_t, std::size_t>> random_pieces(std::size_t size, std::mt19937_64& gen) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t lo = 0; lo < size;) {
    const std::size_t len = std::uniform_int_distribution<std::size_t>(1, 100)(gen);
    const std::size_t hi = std::min(size, lo + len);
    out.emplace_back(lo, hi);
    lo = hi;
  }
  std::shuffle(out.begin(), out.end(), gen);
  return out;
}

}  // namespace

TEST_CASE("inversion thresholds count exactly what the inversion loop returns", "[poisson]") {
  std::mt19937_64 gen(17);
  std::size_t tables = 0;
  for (auto [n, p] : inversion_cases()) {
    INFO("n = " << n << ", p = " << p);
    const rnd::binomial sample(n, p);
    const old_inversion old(n, p);
    REQUIRE_FALSE(sample.needs_block());
    const auto t = sample.word_thresholds(64);
    const std::uint64_t top = old.invert_word(0xFFFFFFFFu);
    if (!t) {
      CHECK(top > 64);  // only then is there no table
      continue;
    }
    ++tables;
    REQUIRE(t->size() == top);
    CHECK(std::is_sorted(t->begin(), t->end()));
    // At, just below and around every threshold, at the ends and at random words.
    std::vector<std::uint32_t> xs = {0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF};
    for (std::uint32_t tj : *t)
      for (std::int64_t d = -2; d <= 2; ++d) {
        const std::int64_t x = static_cast<std::int64_t>(tj) + d;
        if (x >= 0 && x <= 0xFFFFFFFF) xs.push_back(static_cast<std::uint32_t>(x));
      }
    for (int r = 0; r < 2000; ++r) xs.push_back(static_cast<std::uint32_t>(gen()));
    std::size_t wrong = 0;
    for (std::uint32_t x : xs) {
      const std::uint64_t k = old.invert_word(x);
      wrong += (count_below(*t, x) != k) + (sample.invert_word(x) != k);
    }
    CHECK(wrong == 0);
  }
  CHECK(tables > 100);
}

TEST_CASE("thresholds need no more compares than the table holds", "[poisson]") {
  // n p = 2.3 (the microcircuit's largest drive): every word's count is below 64.
  const auto t = rnd::binomial(2900, 2.3 / 2900).word_thresholds(64);
  REQUIRE(t);
  CHECK(t->size() < 32);
  CHECK(t->front() > 0);
  // Counts above the limit: no table (the loop runs per neuron instead).
  CHECK_FALSE(rnd::binomial(100, 0.97).word_thresholds(64));
  CHECK_FALSE(rnd::binomial(2000, 10.0 / 2000).word_thresholds(64));  // the normal regime
  // Nothing to count: an empty table.
  CHECK(rnd::binomial(2000, 1e-15).word_thresholds(64)->empty());
}

TEMPLATE_TEST_CASE("poisson_input gives the scalar algorithm's numbers bit for bit, in any split",
                   "[poisson]", float, double) {
  using real = TestType;
  using pop_type = sw::population<sw::models::lif_curr_exp, "pfast", real>;
  const double dt = 0.1;
  std::mt19937_64 gen(3);
  // Sizes around whole groups (of up to 16 neurons), drives in both regimes
  // and over the table's limit, two keys.
  for (std::size_t size : {1ul, 15ul, 16ul, 17ul, 64ul, 333ul, 1000ul})
    for (drive d : {drive{2000, 8.0, 87.8}, drive{1500, 8.0, -0.5}, drive{2900, 8.0, 1e-3}, drive{1000, 1.0, 0.04},
                    drive{100, 9700.0, 0.1},  // p = 0.97: counts up to 100, above the table's 64
                    drive{10, 9000.0, 2.0},   // p = 0.9, n (1 - p) = 1: inversion from the top
                    drive{2000, 40.0, 0.3},   // n p = 8: the normal approximation
                    drive{3, 1e-9, 1.0}})
      for (rnd::key rng : {rnd::key{1, 2}, rnd::key{0xFEEDFACECAFEBEEFull, 0x80001}}) {
        INFO("size " << size << ", n " << d.n << ", rate " << d.rate << ", seed " << rng.seed);
        pop_type pop(size);
        sw::poisson_input<"pfast", "I_e"> in{.n = d.n, .rate = d.rate, .weight = d.weight};
        std::vector<real> expected(size);
        for (std::size_t i = 0; i < size; ++i) expected[i] = pop.columns().I_e[i];
        // Steps across quads, from a step that does not start one.
        for (std::uint64_t step = 3; step < 14; ++step) {
          old_deliver(expected.data(), size, d.n, d.rate, d.weight, rng, dt, step);
          in.prepare(pop, rng, dt, step);
          if (step % 3 == 0) {
            in.deliver(pop, rng, dt, step, 0, size);
          } else {
            for (auto [lo, hi] : random_pieces(size, gen)) in.deliver(pop, rng, dt, step, lo, hi);
          }
          REQUIRE(same_bits(target_values(pop), expected));
        }
      }
}

TEMPLATE_TEST_CASE("poisson_input resumes exactly: new keys, jumps, a changing split or rate, no prepare",
                   "[poisson]", float, double) {
  using real = TestType;
  using pop_type = sw::population<sw::models::lif_curr_exp, "presume", real>;
  const std::size_t size = 1000;
  const double dt = 0.1;
  pop_type pop(size);
  sw::poisson_input<"presume", "I_e"> in{.n = 2000, .rate = 8.0, .weight = 1.5};
  std::vector<real> expected(size);
  for (std::size_t i = 0; i < size; ++i) expected[i] = pop.columns().I_e[i];
  const auto both = [&](rnd::key rng, std::uint64_t step, auto split) {
    old_deliver(expected.data(), size, in.n, in.rate, in.weight, rng, dt, step);
    split(rng, step);
    return same_bits(target_values(pop), expected);
  };
  const auto whole = [&](rnd::key rng, std::uint64_t step) { in.deliver(pop, rng, dt, step); };
  // Pieces [0, 37), [37, 300), ...: the groups they cut are left to the scalar path.
  const auto cut = [&](rnd::key rng, std::uint64_t step) {
    in.prepare(pop, rng, dt, step);
    for (auto [lo, hi] : {std::pair{640ul, 999ul}, {0ul, 37ul}, {300ul, 301ul}, {37ul, 300ul}, {999ul, 1000ul},
                          {301ul, 640ul}})
      in.deliver(pop, rng, dt, step, lo, hi);
  };
  const rnd::key a{7, 1}, b{8, 1}, c{7, 2};
  CHECK(both(a, 0, whole));
  CHECK(both(a, 1, whole));
  CHECK(both(b, 2, whole));   // reseeded within a quad
  CHECK(both(c, 3, whole));   // another stream
  CHECK(both(a, 3, whole));   // back to the first key
  CHECK(both(a, 41, whole));  // a jump forward (a load)
  CHECK(both(a, 2, whole));   // and back
  CHECK(both(a, 40, cut));    // a quad begun on a split that leaves groups unfilled...
  CHECK(both(a, 41, whole));  // ...whose groups are filled when first needed
  CHECK(both(a, 42, cut));
  in.rate = 12.0;  // a new table in the middle of a quad: the words stay valid
  CHECK(both(a, 43, whole));
  in.n = 100;
  in.rate = 9700.0;  // counts above the table's limit, from cached words
  CHECK(both(a, 44, whole));
  CHECK(both(a, 45, cut));
  in.n = 2000;
  in.rate = 8.0;
  // deliver for pieces without prepare for this (n, p): correct, without the cache.
  in.rate = 9.0;
  CHECK(both(a, 46, [&](rnd::key rng, std::uint64_t step) { in.deliver(pop, rng, dt, step, 0, size); }));
  // A copy carries its cache; it is valid (a pure function of key, neuron and quad).
  auto copy = in;
  CHECK(both(a, 47, [&](rnd::key rng, std::uint64_t step) { copy.deliver(pop, rng, dt, step); }));
}
