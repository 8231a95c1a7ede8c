// iaf_psc_exp (NEST's model, the microcircuit's neuron): model laws, exact solutions, the PSP of a PSC.
#include <cmath>

#include "support/model_laws.hpp"

namespace sw = spikeweave;
using sw::models::iaf_psc_exp;

namespace {

// One step of the scalar model, not refractory.
bool step(iaf_psc_exp::variables<double>& x, const iaf_psc_exp::parameters& p, const iaf_psc_exp::derived& d,
          double dt, std::uint64_t n) {
  const sw::step_info<double> s{dt, dt * static_cast<double>(n), false, {1, 1}, 0, n, 0};
  return iaf_psc_exp::update(x, p, d, s);
}

}  // namespace

TEST_CASE("iaf_psc_exp obeys the model laws", "[laws][iaf_psc_exp]") {
  iaf_psc_exp::parameters p;
  laws::names_are<iaf_psc_exp::parameters>(
      {"C_m", "tau_m", "tau_syn_ex", "tau_syn_in", "t_ref", "E_L", "V_th", "V_reset", "I_e"});
  laws::names_are<iaf_psc_exp::variables<double>>({"V_m", "I_syn_ex", "I_syn_in"});
  laws::scalar_equals_lanes<iaf_psc_exp>(p, 200.0);
  laws::scalar_equals_lanes<iaf_psc_exp, float>(p, 200.0);
  laws::lanes_agree<iaf_psc_exp, double>(p, 5.0);
  laws::lanes_agree<iaf_psc_exp, float>(p, 5.0);
  laws::rest_is_fixed_point<iaf_psc_exp>(p, 0.0);
  p.tau_syn_ex = p.tau_m;  // the degenerate propagator
  laws::scalar_equals_lanes<iaf_psc_exp>(p, 200.0);
}

TEST_CASE("iaf_psc_exp: a constant current charges the membrane exactly", "[iaf_psc_exp]") {
  iaf_psc_exp::parameters p{.I_e = 300};  // below threshold: R I_e = 12 mV < 15 mV
  const double dt = 0.1, R = p.tau_m / p.C_m;
  const auto d = iaf_psc_exp::derive(p, dt);
  auto x = iaf_psc_exp::initial(p);
  for (std::uint64_t n = 0; n < 500; ++n) {
    REQUIRE_FALSE(step(x, p, d, dt, n));
    const double t = dt * static_cast<double>(n + 1);
    REQUIRE(x.V_m == Approx(p.E_L + R * p.I_e * (1 - std::exp(-t / p.tau_m))).epsilon(1e-12));
  }
}

TEST_CASE("iaf_psc_exp: a synaptic current gives the alpha-like PSP of the closed form", "[iaf_psc_exp]") {
  // The microcircuit's neuron: a PSC of 87.81 pA with tau_syn 0.5 ms peaks at 0.15 mV.
  iaf_psc_exp::parameters p{.C_m = 250, .tau_m = 10, .tau_syn_ex = 0.5, .tau_syn_in = 0.5, .t_ref = 2,
                            .E_L = -65, .V_th = -50, .V_reset = -65, .I_e = 0};
  const double dt = 0.01, w = 87.8;
  const auto d = iaf_psc_exp::derive(p, dt);
  auto x = iaf_psc_exp::initial(p);
  x.I_syn_ex = w;
  double peak = 0;
  const double ts = p.tau_syn_ex, tm = p.tau_m;
  for (std::uint64_t n = 0; n < 5000; ++n) {
    REQUIRE_FALSE(step(x, p, d, dt, n));
    const double t = dt * static_cast<double>(n + 1);
    const double exact = w / p.C_m * ts * tm / (tm - ts) * (std::exp(-t / tm) - std::exp(-t / ts));
    REQUIRE(x.V_m - p.E_L == Approx(exact).margin(1e-12));
    REQUIRE(x.I_syn_ex == Approx(w * std::exp(-t / ts)).epsilon(1e-12));
    peak = std::max(peak, x.V_m - p.E_L);
  }
  CHECK(peak == Approx(0.15).epsilon(2e-3));
}
