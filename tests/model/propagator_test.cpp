// Exact-integration propagators stay accurate near their degenerate cases.
#include <cmath>

#include <catch2/catch.hpp>
#include <spikeweave/models/lif_curr_exp.hpp>

using spikeweave::models::lif_curr_exp;

TEST_CASE("lif_curr_exp's current-to-voltage propagator is continuous at tau_e = tau_m", "[lif]") {
  const double dt = 0.1;
  const double at = lif_curr_exp::derive({.tau_m = 20, .tau_e = 20}, dt).P_me;
  CHECK(at == Approx(dt / 20 * std::exp(-dt / 20)).epsilon(1e-15));
  for (double rel : {1e-15, 1e-14, 1e-12, 1e-9, 1e-6}) {
    for (double sign : {-1.0, 1.0}) {
      const double tau_e = 20 * (1 + sign * rel);
      const double P_me = lif_curr_exp::derive({.tau_m = 20, .tau_e = tau_e}, dt).P_me;
      INFO("tau_e = 20 (1 + " << sign * rel << "): P_me = " << P_me);
      // dP/dtau_e is about 1.2e-5 per ms here, so the change is tiny and smooth.
      CHECK(std::abs(P_me - at) <= 2e-5 * 20 * rel + 1e-17);
    }
  }
  // Far from the degenerate case the expm1 form agrees with the textbook one.
  const double textbook = 5.0 / (5.0 - 20.0) * (std::exp(-dt / 5) - std::exp(-dt / 20));
  CHECK(lif_curr_exp::derive({}, dt).P_me == Approx(textbook).epsilon(1e-14));
}
