// Counter-based random numbers: known answers, independence of keys, distributions.
#include <cmath>
#include <cstdint>
#include <set>

#include <catch2/catch.hpp>
#include <spikeweave/core/random.hpp>

namespace rnd = spikeweave::random;

TEST_CASE("Philox4x32-10 matches the published known-answer vectors", "[random]") {
  // Random123's kat_vectors for philox4x32_10.
  CHECK(rnd::philox4x32_10({0, 0, 0, 0}, 0) == rnd::block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(rnd::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffffffffffffULL) ==
        rnd::block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(rnd::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0x299f31d0a4093822ULL) ==
        rnd::block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("every part of the key changes the draw", "[random]") {
  const rnd::key k{42, 3};
  const auto base = rnd::bits(k, 10, 100, 0);
  CHECK(rnd::bits(k, 10, 100, 0) == base);  // a pure function
  CHECK(rnd::bits({43, 3}, 10, 100, 0) != base);
  CHECK(rnd::bits({42, 4}, 10, 100, 0) != base);
  CHECK(rnd::bits(k, 11, 100, 0) != base);
  CHECK(rnd::bits(k, 10, 101, 0) != base);
  CHECK(rnd::bits(k, 10, 100, 1) != base);
  CHECK(rnd::bits(k, 10 + (1ULL << 32), 100, 0) != base);
  CHECK(rnd::bits(k, 10, 100 + (1ULL << 32), 0) != base);
}

TEST_CASE("uniform numbers cover [0, 1) with the right moments", "[random]") {
  const int n = 200000;
  double sum = 0, sum2 = 0, lo = 1, hi = 0;
  float flo = 1, fhi = 0;
  for (int i = 0; i < n; ++i) {
    const auto b = rnd::bits({5, 0}, static_cast<std::uint64_t>(i), 0, 0);
    const double u = rnd::uniform01<double>(b);
    const float f = rnd::uniform01<float>(b);
    sum += u;
    sum2 += u * u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    flo = std::min(flo, f);
    fhi = std::max(fhi, f);
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  CHECK(mean == Approx(0.5).margin(5 * std::sqrt(1.0 / 12 / n)));
  CHECK(var == Approx(1.0 / 12).margin(0.002));
  CHECK(lo >= 0.0);
  CHECK(hi < 1.0);
  CHECK(flo >= 0.0f);
  CHECK(fhi < 1.0f);
}

TEST_CASE("normal numbers have mean 0 and variance 1", "[random]") {
  const int n = 200000;
  double sum = 0, sum2 = 0, sum4 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rnd::normal01(rnd::bits({9, 1}, static_cast<std::uint64_t>(i), 7, 2));
    sum += z;
    sum2 += z * z;
    sum4 += z * z * z * z;
  }
  CHECK(sum / n == Approx(0).margin(5 / std::sqrt(n)));
  CHECK(sum2 / n == Approx(1).margin(0.02));
  CHECK(sum4 / n == Approx(3).margin(0.1));  // kurtosis of a Gaussian
}

TEST_CASE("binomial samples have mean n p and variance n p (1 - p) in both regimes", "[random]") {
  for (auto [n, p] : {std::pair<std::uint64_t, double>{1000, 2e-4}, {100, 0.03}, {1000, 0.1}, {50, 0.5}}) {
    const rnd::binomial sample(n, p);
    const int draws = 100000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < draws; ++i) {
      const auto k = static_cast<double>(sample(rnd::bits({1, 2}, static_cast<std::uint64_t>(i), 0, 0)));
      REQUIRE(k <= static_cast<double>(n));
      sum += k;
      sum2 += k * k;
    }
    const double mean = sum / draws, var = sum2 / draws - mean * mean;
    const double m = static_cast<double>(n) * p, v = m * (1 - p);
    INFO("n = " << n << ", p = " << p);
    CHECK(mean == Approx(m).margin(5 * std::sqrt(v / draws)));
    CHECK(var == Approx(v).epsilon(0.05));
  }
  CHECK(rnd::binomial(10, 0)(rnd::bits({}, 0, 0, 0)) == 0);
  CHECK(rnd::binomial(10, 1)(rnd::bits({}, 0, 0, 0)) == 10);
}
