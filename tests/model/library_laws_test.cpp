// The model laws for adex, hodgkin_huxley, lif_alpha and rate_neuron, and
// scalar == every lane along whole trajectories (spikes, resets and the
// steep parts of a spike included), where the laws' perturbed states do not reach.
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "support/model_laws.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// Runs the scalar model for `steps` steps from `start` (with the given
// refractory pattern: every `refractory_every`-th step refractory, 0 never) and,
// at every step, packs the states of `lanes` consecutive steps into one batch
// whose update must give, lane by lane, the scalar's bits.
template <class N>
void lanes_along_trajectory(const typename N::parameters& p, laws::vars<N, double> start, std::size_t steps,
                            double dt = 0.1) {
  using batch = xsimd::batch<double>;
  constexpr std::size_t lanes = batch::size;
  const auto d = sw::model::derive<N>(p, dt);
  std::vector<laws::vars<N, double>> states{start};
  std::size_t fired = 0;
  for (std::size_t k = 0; k < steps; ++k) {
    auto x = states.back();
    const sw::step_info<double> s{dt, k * dt, false, {}, 0, k, 0};
    if (static_cast<bool>(sw::model::update<N, double>(x, p, d, s))) {
      sw::model::reset<N, double>(x, p, d);
      ++fired;
    }
    states.push_back(x);
  }
  REQUIRE(fired > 0);  // the trajectory goes through spikes
  std::size_t mismatches = 0;
  for (std::size_t k = 0; k + lanes <= states.size(); k += lanes) {
    laws::vars<N, batch> xb;
    alignas(64) double values[lanes];
    sw::reflect::for_each_index<laws::vars<N, double>>([&](auto i) {
      for (std::size_t l = 0; l < lanes; ++l) values[l] = sw::reflect::get<i>(states[k + l]);
      sw::reflect::get<i>(xb) = batch::load_aligned(values);
    });
    const sw::step_info<batch> sb{dt, 0.0, false, {}, 0, 0, 0};
    const auto fired_b = sw::model::update<N, batch>(xb, p, d, sb);
    for (std::size_t l = 0; l < lanes; ++l) {
      auto xs = states[k + l];
      const sw::step_info<double> ss{dt, 0.0, false, {}, 0, 0, 0};
      const bool fired_s = static_cast<bool>(sw::model::update<N, double>(xs, p, d, ss));
      if (fired_s != fired_b.get(l)) ++mismatches;
      sw::reflect::for_each_field_of(
          [&](std::string_view name, const double& a, const batch& b) {
            if (std::bit_cast<std::uint64_t>(a) != std::bit_cast<std::uint64_t>(b.get(l))) {
              ++mismatches;
              INFO("step " << k + l << ", " << name << ": scalar " << a << ", lane " << l << " " << b.get(l));
              CHECK(a == b.get(l));
            }
          },
          xs, xb);
    }
  }
  CHECK(mismatches == 0);
}

// hodgkin_huxley's equilibrium for its I_e: the lowest root of the
// steady-state current, found by bisection (the cell has one below about -32 pA).
hodgkin_huxley::variables<double> hh_equilibrium(const hodgkin_huxley::parameters& p) {
  const auto d = hodgkin_huxley::derive(p, 0.1);
  auto state = [&](double v) {
    const auto r = hodgkin_huxley::rates(v, p);
    return hodgkin_huxley::variables<double>{v,
                                             r.alpha_m / (r.alpha_m + r.beta_m),
                                             r.alpha_h / (r.alpha_h + r.beta_h),
                                             r.alpha_n / (r.alpha_n + r.beta_n),
                                             0,
                                             0};
  };
  auto current = [&](double v) {
    const auto s = state(v);
    return d.G_l * (p.E_l - v) + d.G_na * s.m * s.m * s.m * s.h * (p.E_Na - v) +
           d.G_kd * s.n * s.n * s.n * s.n * (p.E_K - v) + p.I_e;
  };
  double lo = -120, hi = lo;
  while (current(hi) > 0 && hi < 0) hi += 0.5;
  REQUIRE(current(lo) > 0);
  REQUIRE(current(hi) <= 0);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (current(mid) > 0 ? lo : hi) = mid;
  }
  return state(lo);
}

}  // namespace

TEST_CASE("adex obeys the model laws", "[laws][adex]") {
  adex::parameters p;
  laws::names_are<adex::parameters>({"C", "g_L", "E_L", "V_T", "Delta_T", "a", "tau_w", "b", "v_reset", "v_peak",
                                     "t_ref", "I_e", "tau_syn_e", "tau_syn_i"});
  laws::names_are<adex::variables<double>>({"v", "w", "I_syn_e", "I_syn_i"});
  laws::scalar_equals_lanes<adex>(p, 40.0);  // some lanes start beyond v_peak or fire in the step
  laws::scalar_equals_lanes<adex, float>(p, 40.0);
  laws::lanes_agree<adex, double>(p, 5.0);
  laws::lanes_agree<adex, float>(p, 5.0);
  laws::rest_is_fixed_point<adex>(p, 1e-9);
  p.t_ref = 2;  // refractory lanes hold v
  laws::scalar_equals_lanes<adex>(p, 40.0);
  laws::rest_is_fixed_point<adex>({.I_e = 200}, 1e-9);  // below rheobase: the rest moves up
  lanes_along_trajectory<adex>({.I_e = 1000}, adex::initial({}), 3000);

  SECTION("the rest is the lower root of dv/dt = 0 on the w-nullcline") {
    const auto rest = adex::initial(p);
    CHECK(rest.v > p.E_L);  // the exponential pulls it up a little
    CHECK(rest.v < p.E_L + 0.01);
    CHECK(rest.w == Approx(p.a * (rest.v - p.E_L)));
    const auto driven = adex::initial({.I_e = 200});
    CHECK(driven.v == Approx(p.E_L + 200 / (p.g_L + p.a)).margin(0.05));
    // Above rheobase there is no rest: E_L, w = 0.
    const auto above = adex::initial({.I_e = 2000});
    CHECK(above.v == p.E_L);
    CHECK(above.w == 0);
  }
  SECTION("a huge v (a state loaded from elsewhere, or the spike step itself) stays finite") {
    adex::variables<double> x{1e6, 0, 0, 0};
    const sw::step_info<double> s{0.1, 0, false, {}, 0, 0, 0};
    CHECK(adex::update(x, p, s));
    CHECK(std::isfinite(x.v));
    CHECK(std::isfinite(x.w));
    CHECK(x.w < 10);  // w saw v = v_peak, not 1e6
    adex::parameters steep{.Delta_T = 0.01};  // (v_peak - V_T) / Delta_T = 5040: the exponent is clipped
    adex::variables<double> y{-40, 0, 0, 0};
    CHECK(adex::update(y, steep, s));
    CHECK(std::isfinite(y.v));
  }
}

TEST_CASE("hodgkin_huxley obeys the model laws", "[laws][hodgkin_huxley]") {
  hodgkin_huxley::parameters p;
  laws::names_are<hodgkin_huxley::parameters>({"area", "C_m", "g_l", "g_na", "g_kd", "E_l", "E_Na", "E_K", "V_T",
                                               "v_th", "tau_e", "tau_i", "E_e", "E_i", "I_e"});
  laws::names_are<hodgkin_huxley::variables<double>>({"v", "m", "h", "n", "g_e", "g_i"});
  laws::scalar_equals_lanes<hodgkin_huxley>(p, 0.4);
  laws::scalar_equals_lanes<hodgkin_huxley, float>(p, 0.4);
  laws::lanes_agree<hodgkin_huxley, double>(p, 0.4);
  laws::lanes_agree<hodgkin_huxley, float>(p, 0.4);
  // Through spikes (peaks near +49 mV, troughs near -88 mV) and the rate functions' removable singularities.
  lanes_along_trajectory<hodgkin_huxley>({.I_e = 200}, hodgkin_huxley::initial({}), 3000);
  {
    // v exactly at u = 13, 15 and 40 mV, where alpha_m, alpha_n and beta_m are 0/0 in the textbook form.
    for (double u : {13.0, 15.0, 40.0}) {
      auto x = hodgkin_huxley::initial(p);
      x.v = p.V_T + u;
      const auto r = hodgkin_huxley::rates(x.v, p);
      INFO("u = " << u);
      CHECK(std::isfinite(r.alpha_m));
      CHECK(std::isfinite(r.beta_m));
      CHECK(std::isfinite(r.alpha_n));
      const auto near = hodgkin_huxley::rates(x.v + 1e-9, p);
      CHECK(r.alpha_m == Approx(near.alpha_m).epsilon(1e-8));
      CHECK(r.beta_m == Approx(near.beta_m).epsilon(1e-8));
      CHECK(r.alpha_n == Approx(near.alpha_n).epsilon(1e-8));
    }
    CHECK(hodgkin_huxley::rates(p.V_T + 13, p).alpha_m == Approx(0.32 * 4));
    CHECK(hodgkin_huxley::rates(p.V_T + 40, p).beta_m == Approx(0.28 * 5));
    CHECK(hodgkin_huxley::rates(p.V_T + 15, p).alpha_n == Approx(0.032 * 5));
  }
  SECTION("below rheobase the equilibrium is a fixed point and does not fire") {
    // The laws' rest_is_fixed_point, with the equilibrium for the model's
    // initial state (the cell has no rest without input, see the header).
    const hodgkin_huxley::parameters q{.I_e = -100};
    const auto rest = hh_equilibrium(q);
    CHECK(rest.v == Approx(-69.99).margin(0.01));
    const auto d = hodgkin_huxley::derive(q, 0.1);
    auto x = rest;
    for (int k = 0; k < 10000; ++k) {
      const sw::step_info<double> s{0.1, 0.1 * k, false, {}, 0, static_cast<std::uint64_t>(k), 0};
      REQUIRE_FALSE(hodgkin_huxley::update(x, q, d, s));
    }
    sw::reflect::for_each_field_of(
        [](std::string_view name, const double& a, const double& b) {
          INFO(name);
          CHECK(a == Approx(b).margin(1e-9));
        },
        x, rest);
  }
  SECTION("the initial state is v = E_l with the gates at their steady state") {
    const auto x = hodgkin_huxley::initial(p);
    CHECK(x.v == p.E_l);
    CHECK(x.m == Approx(0.0268).margin(1e-3));
    CHECK(x.h == Approx(0.991).margin(1e-3));
    CHECK(x.n == Approx(0.0604).margin(1e-3));
    const auto d = hodgkin_huxley::derive(p, 0.1);
    CHECK(d.C == Approx(200));    // pF: 1 uF/cm^2 on 20000 um^2
    CHECK(d.G_l == Approx(10));   // nS
    CHECK(d.G_na == Approx(20000));
    CHECK(d.G_kd == Approx(6000));
  }
}

TEST_CASE("lif_alpha obeys the model laws", "[laws][lif_alpha]") {
  lif_alpha::parameters p;
  laws::names_are<lif_alpha::parameters>({"tau_m", "E_l", "v_th", "v_reset", "t_ref", "tau_e", "tau_i"});
  laws::names_are<lif_alpha::variables<double>>({"v", "I_e", "y_e", "I_i", "y_i"});
  laws::scalar_equals_lanes<lif_alpha>(p, 12.0);
  laws::scalar_equals_lanes<lif_alpha, float>(p, 12.0);
  laws::lanes_agree<lif_alpha, double>(p, 5.0);
  laws::lanes_agree<lif_alpha, float>(p, 5.0);
  laws::rest_is_fixed_point<lif_alpha>(p, 0.0);
  laws::rest_is_fixed_point<lif_alpha>({.E_l = -55, .tau_e = 20, .tau_i = 20.0000001}, 0.0);
  lanes_along_trajectory<lif_alpha>({.E_l = -40}, lif_alpha::initial({}), 2000);
}

TEST_CASE("rate_neuron obeys the model laws", "[laws][rate_neuron]") {
  laws::names_are<rate_neuron::parameters>({"tau", "gain", "threshold", "I_ext", "transfer"});
  laws::names_are<rate_neuron::variables<double>>({"r", "input"});
  for (int transfer : {0, 1, 2}) {
    const rate_neuron::parameters p{.gain = 2, .threshold = 0.5, .I_ext = 1.5, .transfer = transfer};
    INFO("transfer " << transfer);
    laws::scalar_equals_lanes<rate_neuron>(p, 3.0);  // inputs of both signs: every branch of phi
    laws::scalar_equals_lanes<rate_neuron, float>(p, 3.0);
    laws::lanes_agree<rate_neuron, double>(p, 3.0);
    laws::lanes_agree<rate_neuron, float>(p, 3.0);
    laws::rest_is_fixed_point<rate_neuron>(p, 0.0);
  }
  SECTION("it never fires") {
    rate_neuron::variables<double> x{0, 1e9};
    const sw::step_info<double> s{0.1, 0, false, {}, 0, 0, 0};
    CHECK_FALSE(rate_neuron::update(x, {}, rate_neuron::derive({}, 0.1), s));
  }
}

TEST_CASE("the new models' parameter rules name the parameter and the rule", "[laws]") {
  auto violations = [](auto p) {
    using N = typename decltype(p)::first_type;
    sw::rules r(p.second);
    N::check(p.second, r);
    return r.violations();
  };
  CHECK(violations(std::pair<adex, adex::parameters>{{}, {.v_reset = 5}}) ==
        std::vector<std::string>{"v_reset = 5, must be < v_peak = 0"});
  CHECK(violations(std::pair<hodgkin_huxley, hodgkin_huxley::parameters>{{}, {.tau_e = 0}}) ==
        std::vector<std::string>{"tau_e = 0, must be > 0"});
  CHECK(violations(std::pair<lif_alpha, lif_alpha::parameters>{{}, {.tau_i = -1}}) ==
        std::vector<std::string>{"tau_i = -1, must be > 0"});
  CHECK(violations(std::pair<rate_neuron, rate_neuron::parameters>{{}, {.transfer = 3}}) ==
        std::vector<std::string>{"transfer = 3, must be 0 (identity), 1 (positive part) or 2 (tanh)"});
}
