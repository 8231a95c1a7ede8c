// Monitors return spikeweave::array / array_view, not xtensor: the core headers leave xtensor out
// (compile time, docs/performance.md); <spikeweave/core/xtensor.hpp> is the opt-in bridge.
#include <cstdint>
#include <vector>

#include <spikeweave/spikeweave.hpp>

#if defined(XTENSOR_VERSION_MAJOR)
#error "spikeweave.hpp includes xtensor: a program that does not use it pays ~1 s per translation unit for it"
#endif

#include <catch2/catch.hpp>
#include <spikeweave/core/xtensor.hpp>

namespace sw = spikeweave;

TEST_CASE("array: shape, row-major values, element access", "[monitor][array]") {
  sw::array<double, 2> a({2, 3});
  CHECK(a.shape() == std::array<std::size_t, 2>{2, 3});
  CHECK(a.size() == 6);
  CHECK(decltype(a)::dimension() == 2);
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t i = 0; i < 3; ++i) a(k, i) = 10.0 * static_cast<double>(k) + static_cast<double>(i);
  CHECK(std::vector<double>(a.begin(), a.end()) == std::vector<double>{0, 1, 2, 10, 11, 12});
  CHECK(a.data()[4] == 11);
  const std::span<const double> s = a;
  CHECK(s.size() == 6);
  sw::array<int> b({3}, 7);
  CHECK(b[2] == 7);
  CHECK(b(1) == 7);
  CHECK(std::move(b).release() == std::vector<int>{7, 7, 7});
  CHECK(sw::array<double>{}.empty());
}

TEST_CASE("monitors' results as arrays and views, and as xtensor on request", "[monitor][array]") {
  auto net = sw::network{{.dt = 0.1, .seed = 3}, sw::population<sw::models::izhikevich, "N">{10, {.I_ext = 10}},
                         sw::spike_monitor<"S", "N">{}, sw::state_monitor<"V", "N", "v", "u">{{.neurons = {2, 5}}},
                         sw::rate_monitor<"R", "N">{}};
  net.simulate(50);
  const auto& s = net.monitor<"S">();
  REQUIRE(s.size() > 0);
  const sw::array<double> t = s.times();
  const sw::array_view<std::uint32_t> i = s.indices();
  REQUIRE(t.size() == s.size());
  REQUIRE(i.shape()[0] == s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    CHECK(t(k) == static_cast<double>(s.steps()[k]) * 0.1);
    CHECK(i(k) == s.index_data()[k]);
  }
  CHECK(i.data() == s.index_data().data());  // a view, no copy

  const auto& m = net.monitor<"V">();
  const sw::array<double, 2> v = m.data("u");
  REQUIRE(v.shape() == std::array<std::size_t, 2>{500, 2});
  const auto& values = m.value_data();  // [sample][variable][neuron]
  for (std::size_t k = 0; k < 500; ++k)
    for (std::size_t n = 0; n < 2; ++n) REQUIRE(v(k, n) == values[(k * 2 + 1) * 2 + n]);

  const auto xv = sw::to_xtensor(v);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(xv)>, xt::xtensor<double, 2>>);
  CHECK(xv.shape()[0] == 500);
  CHECK(xv(499, 1) == v(499, 1));
  const auto r = net.monitor<"R">().rates();
  CHECK(xt::sum(sw::adapt(r))() == Approx(static_cast<double>(s.size()) / (10 * 0.1e-3)));
  CHECK(sw::to_xtensor(s.indices())(0) == s.index_data()[0]);
}
