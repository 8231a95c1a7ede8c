// The math shims give scalars exactly what a batch lane computes.
#include <bit>
#include <cmath>
#include <cstdint>

#include <catch2/catch.hpp>
#include <spikeweave/model/math.hpp>

namespace sw = spikeweave;
using batch = xsimd::batch<double>;

TEST_CASE("select works on scalars, batches and mixed arguments", "[math]") {
  CHECK(sw::select(true, 1.0, 2.0) == 1.0);
  CHECK(sw::select(false, 1.0, 2) == 2.0);
  const batch x(3.0);
  const auto r = sw::select(x > 2.0, x, -1.0);
  CHECK(r.get(0) == 3.0);
  const auto s = sw::select(x < 2.0, x, -1.0);
  CHECK(s.get(batch::size - 1) == -1.0);
}

TEST_CASE("scalar exp and log are bit for bit a batch lane", "[math]") {
  for (double v : {-700.0, -20.5, -1e-3, 0.0, 0.1, 1.0, 7.25, 300.0}) {
    INFO(v);
    CHECK(std::bit_cast<std::uint64_t>(sw::exp(v)) == std::bit_cast<std::uint64_t>(sw::exp(batch(v)).get(0)));
    CHECK(sw::exp(v) == Approx(std::exp(v)).epsilon(1e-15));
    if (v > 0) {
      CHECK(std::bit_cast<std::uint64_t>(sw::log(v)) == std::bit_cast<std::uint64_t>(sw::log(batch(v)).get(0)));
      CHECK(sw::log(v) == Approx(std::log(v)).epsilon(1e-15));
    }
  }
}

TEST_CASE("min, max, abs and clip", "[math]") {
  CHECK(sw::clip(5.0, 0.0, 1.0) == 1.0);
  CHECK(sw::clip(-5.0, 0.0, 1.0) == 0.0);
  CHECK(sw::clip(0.5, 0.0, 1.0) == 0.5);
  CHECK(sw::abs(-2.0) == 2.0);
  CHECK(sw::min(2.0, 3.0) == 2.0);
  CHECK(sw::max(batch(2.0), 3.0).get(0) == 3.0);
  CHECK(sw::clip(batch(-4.0), -1.0, 1.0).get(0) == -1.0);
  CHECK(sw::any(batch(1.0) > 0.5));
  CHECK_FALSE(sw::any(false));
}
