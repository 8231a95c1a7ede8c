// Every built-in neuron model, and the user example model, obeys the model laws.
#include "support/model_laws.hpp"

namespace sw = spikeweave;
using namespace sw::models;

TEST_CASE("lif_curr_exp obeys the model laws", "[laws]") {
  lif_curr_exp::parameters p;
  laws::names_are<lif_curr_exp::parameters>({"tau_m", "E_l", "v_th", "v_reset", "t_ref", "tau_e", "tau_i"});
  laws::names_are<lif_curr_exp::variables<double>>({"v", "I_e", "I_i"});
  laws::scalar_equals_lanes<lif_curr_exp>(p, 12.0);
  laws::scalar_equals_lanes<lif_curr_exp, float>(p, 12.0);
  laws::lanes_agree<lif_curr_exp, double>(p, 5.0);
  laws::lanes_agree<lif_curr_exp, float>(p, 5.0);
  laws::rest_is_fixed_point<lif_curr_exp>(p, 0.0);
  p.tau_e = p.tau_m;  // the degenerate propagator
  laws::scalar_equals_lanes<lif_curr_exp>(p, 12.0);
}

TEST_CASE("lif_cond_exp obeys the model laws", "[laws]") {
  lif_cond_exp::parameters p;
  laws::names_are<lif_cond_exp::parameters>(
      {"tau_m", "E_l", "v_th", "v_reset", "t_ref", "tau_e", "tau_i", "E_e", "E_i"});
  laws::names_are<lif_cond_exp::variables<double>>({"v", "g_e", "g_i"});
  laws::scalar_equals_lanes<lif_cond_exp>(p, 12.0);
  laws::scalar_equals_lanes<lif_cond_exp, float>(p, 12.0);
  laws::lanes_agree<lif_cond_exp, double>(p, 5.0);
  laws::lanes_agree<lif_cond_exp, float>(p, 5.0);
  laws::rest_is_fixed_point<lif_cond_exp>(p, 0.0);
}

TEST_CASE("izhikevich obeys the model laws", "[laws]") {
  izhikevich::parameters p;
  laws::names_are<izhikevich::parameters>({"a", "b", "c", "d", "v_peak", "I_ext"});
  laws::names_are<izhikevich::variables<double>>({"v", "u", "I"});
  laws::scalar_equals_lanes<izhikevich>(p, 40.0);  // some lanes cross v_peak
  laws::scalar_equals_lanes<izhikevich, float>(p, 40.0);
  laws::lanes_agree<izhikevich, double>(p, 5.0);
  laws::lanes_agree<izhikevich, float>(p, 5.0);
  laws::rest_is_fixed_point<izhikevich>(p, 1e-9);
  SECTION("the resting state is the lower root of dv/dt = 0 on u = b v") {
    const auto rest = izhikevich::initial(p);
    CHECK(rest.v == Approx(-70.0));
    CHECK(rest.u == Approx(-14.0));
  }
}

TEST_CASE("poisson_source obeys the model laws", "[laws]") {
  poisson_source::parameters p{.rate = 2000};
  laws::names_are<poisson_source::parameters>({"rate"});
  laws::names_are<poisson_source::variables<double>>({"rate"});
  // Each lane draws with its own neuron index, as the scalar call does.
  laws::scalar_equals_lanes<poisson_source>(p, 1000.0);
  laws::scalar_equals_lanes<poisson_source, float>(p, 1000.0);
  laws::rest_is_fixed_point<poisson_source>({.rate = 0}, 0.0);
}

TEST_CASE("lif_delta obeys the model laws", "[laws]") {
  lif_delta::parameters p;
  laws::names_are<lif_delta::parameters>({"tau_m", "E_l", "v_th", "v_reset", "t_ref"});
  laws::names_are<lif_delta::variables<double>>({"v", "dv"});
  laws::scalar_equals_lanes<lif_delta>(p, 15.0);
  laws::scalar_equals_lanes<lif_delta, float>(p, 15.0);
  laws::lanes_agree<lif_delta, double>(p, 5.0);
  laws::lanes_agree<lif_delta, float>(p, 5.0);
  laws::rest_is_fixed_point<lif_delta>(p, 0.0);
}

TEST_CASE("static_synapse adds its weight and reflects its members", "[laws]") {
  using sw::models::static_synapse;
  STATIC_REQUIRE(sw::synapse_model<static_synapse>);
  STATIC_REQUIRE(sw::model::on_pre_reads_only<static_synapse, double>);
  laws::names_are<static_synapse::variables<double>>({"w"});
  CHECK(static_synapse::on_pre(static_synapse::variables<double>{0.6}, {}) == 0.6);
}
