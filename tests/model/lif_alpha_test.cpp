// lif_alpha: the alpha-shaped current, the exact propagator against a fine
// RK4 integration of the same equations, delivery through a projection, and firing.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using sw::models::lif_alpha;
using sw::models::static_synapse;

namespace {

// J (t / tau) e^(1 - t / tau): the current after a spike of weight J.
double alpha(double J, double tau, double t) { return J * t / tau * std::exp(1 - t / tau); }

// Fires once, in the step that starts at time `at` [ms].
struct pulse {
  struct parameters {
    double at = 1;  // [ms]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, unused));
  };
  template <class T>
  static auto update(variables<T>&, const parameters& p, const sw::step_info<T>& s) {
    return T(std::abs(p.at - s.t)) < T(0.5 * s.dt);
  }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(pulse::parameters, at);

TEST_CASE("lif_alpha: a spike on y_e gives an alpha current that peaks at tau_e with the weight", "[lif_alpha]") {
  const double J = 1.5, dt = 0.1;
  for (double tau_e : {2.0, 0.5, 20.0}) {
    const lif_alpha::parameters p{.tau_e = tau_e, .tau_i = 3};
    auto net = sw::network{{.dt = dt}, sw::population<lif_alpha, "n">{1, p, {.y_e = J, .y_i = -J}}};
    auto& c = net.population<"n">().columns();
    std::vector<double> I;
    double worst = 0;
    for (int k = 1; k <= static_cast<int>(5 * tau_e / dt); ++k) {
      net.step();
      const double t = k * dt;
      I.push_back(c.I_e[0]);
      worst = std::max(worst, std::abs(c.I_e[0] - alpha(J, tau_e, t)) / J);
      CHECK(c.I_i[0] == Approx(alpha(-J, 3, t)).margin(1e-12));
    }
    INFO("tau_e = " << tau_e << " ms: worst deviation from the alpha function " << worst << " J");
    CHECK(worst < 1e-13);
    const auto peak = std::max_element(I.begin(), I.end());
    CHECK(static_cast<double>(peak - I.begin() + 1) * dt == Approx(tau_e));  // after the step ending at tau_e
    CHECK(*peak == Approx(J).epsilon(1e-13));
  }
}

TEST_CASE("lif_alpha: the exact propagator agrees with RK4 at a fine step", "[lif_alpha]") {
  // The equations of the header through integrators.hpp, 1000 RK4 steps per
  // model step, for tau_e below, at, and near tau_m (the degenerate case) and far above.
  for (double tau_e : {2.0, 20.0, 20.0 * (1 + 1e-9), 19.0, 60.0}) {
    const lif_alpha::parameters p{.v_th = 1e9, .tau_e = tau_e, .tau_i = 7};
    const double dt = 0.1;
    auto net = sw::network{{.dt = dt}, sw::population<lif_alpha, "n">{1, p, {.v = -55, .I_e = 2, .y_e = 4, .I_i = -1, .y_i = -3}}};
    lif_alpha::variables<double> x{-55, 2, 4, -1, -3};
    auto rhs = [&](const lif_alpha::variables<double>& y) {
      const double e = std::numbers::e;
      return lif_alpha::variables<double>{(p.E_l - y.v + y.I_e + y.I_i) / p.tau_m, (-y.I_e + e * y.y_e) / p.tau_e,
                                          -y.y_e / p.tau_e, (-y.I_i + e * y.y_i) / p.tau_i, -y.y_i / p.tau_i};
    };
    double worst = 0;
    for (int k = 0; k < 500; ++k) {
      net.step();
      for (int j = 0; j < 1000; ++j) x = sw::integrate<sw::rk4>(x, dt / 1000, rhs);
      worst = std::max(worst, std::abs(net.population<"n">().columns().v[0] - x.v));
    }
    INFO("tau_e = " << tau_e << ": worst |v - v_rk4| = " << worst << " mV over 50 ms");
    CHECK(worst < 1e-10);
  }
}

TEST_CASE("lif_alpha: the propagator is continuous where its formula switches to the series", "[lif_alpha]") {
  // |z| = dt |tau - tau_m| / (tau_m tau) = 0.5 is where the series hands over
  // to expm1: z = +0.5 at tau = dt tau_m / (dt - tau_m / 2), z = -0.5 at tau = dt tau_m / (dt + tau_m / 2).
  const double tau_m = 20;
  for (auto [dt, tau_at] : {std::pair{15.0, 15.0 * tau_m / (15.0 - tau_m / 2)},
                            std::pair{0.1, 0.1 * tau_m / (0.1 + tau_m / 2)}}) {
    const auto below = lif_alpha::propagator(tau_m, tau_at * (1 - 1e-12), dt);
    const auto above = lif_alpha::propagator(tau_m, tau_at * (1 + 1e-12), dt);
    INFO("dt = " << dt << ", tau = " << tau_at);
    CHECK(below.P_vI == Approx(above.P_vI).epsilon(1e-11));
    CHECK(below.P_vy == Approx(above.P_vy).epsilon(1e-11));
  }
  const double dt = 5;
  // and at tau = tau_m exactly: P_vI = dt/tau_m e^(-dt/tau_m), P_vy = e dt^2 / (2 tau_m^2) e^(-dt/tau_m)
  const auto same = lif_alpha::propagator(tau_m, tau_m, dt);
  CHECK(same.P_vI == Approx(dt / tau_m * std::exp(-dt / tau_m)).epsilon(1e-15));
  CHECK(same.P_vy == Approx(std::numbers::e * dt * dt / (2 * tau_m * tau_m) * std::exp(-dt / tau_m)).epsilon(1e-15));
}

TEST_CASE("lif_alpha: a spike delivered to y_e through a projection", "[lif_alpha]") {
  const double J = 2;
  auto net = sw::network{{.dt = 0.1}, sw::population<pulse, "src">{1, {.at = 1}},
                         sw::population<lif_alpha, "cell">{1, {.tau_e = 2}},
                         sw::projection<static_synapse, "src", "cell", "y_e", "in">{sw::one_to_one{}, {.w = J}}};
  auto& c = net.population<"cell">().columns();
  int arrival = -1;
  std::vector<double> I;
  for (int k = 0; k < 200; ++k) {
    net.step();
    if (arrival < 0 && c.y_e[0] != 0) {
      arrival = k;
      CHECK(c.y_e[0] == J);  // the weight lands on the auxiliary variable, the current is still 0
      CHECK(c.I_e[0] == 0);
    }
    if (arrival >= 0) I.push_back(c.I_e[0]);
  }
  REQUIRE(arrival >= 0);
  for (std::size_t k = 0; k < I.size(); ++k) CHECK(I[k] == Approx(alpha(J, 2, 0.1 * k)).margin(1e-12));
  CHECK(c.v[0] > -60);  // the PSP
}

TEST_CASE("lif_alpha fires, resets and is refractory like lif_curr_exp", "[lif_alpha]") {
  // E_l above threshold: from v_reset = -60 the crossing of -50 takes
  // tau_m ln((E_l - v_reset)/(E_l - v_th)) = 20 ln 2 = 13.86 ms, after the 5 ms of refractoriness.
  auto net = sw::network{{.dt = 0.1}, sw::population<lif_alpha, "n">{1, {.E_l = -40}}};
  std::vector<int> spikes;
  for (int k = 0; k < 2000; ++k) {
    net.step();
    if (!net.population<"n">().spikes().empty()) spikes.push_back(k);
  }
  REQUIRE(spikes.size() >= 5);
  for (std::size_t i = 1; i < spikes.size(); ++i) CHECK(spikes[i] - spikes[i - 1] == 49 + 139);
}
