// The synapse hooks: on_post through the post -> pre index, per-neuron traces, continuous update.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;

namespace {

// Fires once, in the step that starts at time `at` [ms]; `in` collects input.
struct pulse {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, at), (T, in));
  };
  template <class T>
  static auto update(variables<T>& x, const parameters&, const sw::step_info<T>& s) {
    return sw::abs(x.at - s.t) < 0.5 * s.dt;
  }
  static variables<double> initial(const parameters&) { return {-1, 0}; }
};

// Pair-based additive STDP with one trace per neuron: the built-in model.
using stdp = sw::models::stdp_additive;

// A synapse that counts post spikes and decays continuously, without traces.
struct counting {
  struct parameters {
    double tau = 10;  // [ms]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, posts));
  };
  template <class T>
  static T on_pre(const variables<T>& s, const parameters&) { return s.w; }
  template <class T>
  static void on_post(variables<T>& s, const parameters&) { s.posts += 1; }
  template <class T>
  static void update(variables<T>& s, const parameters& p, double dt) { s.w -= s.w * dt / p.tau; }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(pulse::parameters);
BOOST_HANA_ADAPT_STRUCT(counting::parameters, tau);

namespace {
// Weight change of one pre/post pair: pre fires in step 200 (arrives in step
// 201, one step of delay), post fires in step 201 + shift.
double weight_change(int shift) {
  auto net = sw::network{{.dt = 0.1}, sw::population<pulse, "A">{1, {}, {.at = 20.0}},
                         sw::population<pulse, "B">{1, {}, {.at = 0.1 * (201 + shift)}},
                         sw::projection<stdp, "A", "B", "in", "P">{sw::one_to_one{}, {.w = 0.5}}};
  net.simulate(40);
  REQUIRE(net.population<"A">().spike_count() == 1);
  REQUIRE(net.population<"B">().spike_count() == 1);
  return net.projection<"P">().columns().w[0] - 0.5;
}
}  // namespace

TEST_CASE("per-neuron traces give the exponential STDP window, timed from the spike's arrival", "[plasticity]") {
  const stdp::parameters p;
  for (int shift : {1, 5, 20, 80, 150}) {
    const double dt_ms = 0.1 * shift;
    INFO("post " << dt_ms << " ms after the arrival");
    CHECK(weight_change(shift) == Approx(p.A_plus * std::exp(-dt_ms / p.tau_plus)).epsilon(1e-9));
    INFO("post " << dt_ms << " ms before the arrival");
    CHECK(weight_change(-shift) == Approx(-p.A_minus * std::exp(-dt_ms / p.tau_minus)).epsilon(1e-9));
  }
  // Same step: the arrival is handled first (Brian2's order: on_pre, then on_post).
  CHECK(weight_change(0) == Approx(p.A_plus).epsilon(1e-12));
}

TEST_CASE("on_post reaches every synapse onto the neuron that fired; update runs every step", "[plasticity]") {
  // B[1] fires at 2 ms; three of A's neurons project onto it, one onto B[0].
  auto net = sw::network{{.dt = 0.1}, sw::population<pulse, "A">{3}, sw::population<pulse, "B">{2, {}, {.at = std::vector<double>{-1, 2.0}}},
                         sw::projection<counting, "A", "B", "in", "P">{sw::from_list{{0, 1, 2, 2}, {1, 1, 1, 0}, {}, {}}, {.w = 1.0}}};
  net.simulate(5);
  const auto& P = net.projection<"P">();
  std::vector<double> posts(P.columns().posts.begin(), P.columns().posts.end());
  // Storage order: (0,1), (1,1), (2,0), (2,1).
  CHECK(posts == std::vector<double>{1, 1, 0, 1});
  CHECK(P.columns().w[0] == Approx(std::pow(1 - 0.1 / 10, 50)).epsilon(1e-12));
}

TEST_CASE("per-pre traces need one delay per projection", "[plasticity]") {
  CHECK(config_error_of([] {
          sw::network{{}, sw::population<pulse, "A">{2}, sw::population<pulse, "B">{2},
                      sw::projection<stdp, "A", "B", "in", "P">{sw::all_to_all{}, {.w = 0.5}, sw::uniform(1, 3)}};
        }) == "projection 'P' (A -> B.in): the synapse model keeps traces per pre-synaptic neuron, which needs one "
              "delay for all synapses");
}
