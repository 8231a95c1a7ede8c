// Parameter rules (a model's `check`) of a neuron and a synapse model, and a
// synapse model's default initial values (docs/models.md).
#include <cstdio>
#include <string>

#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;

// Leaky integrate-and-fire with a constant input, as in custom_neuron.cpp, and its rules.
struct checked_lif {
  struct parameters {
    double tau_m = 10;     // [ms]
    double v_rest = -65;   // [mV]
    double v_th = -50;     // [mV]
    double v_reset = -70;  // [mV]
    double RI = 20;        // [mV] input current times membrane resistance
    int max_rate = 500;    // [Hz] a rule on an integer member
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v));  // [mV]
  };
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const sw::step_info<T>& s) {
    x.v = x.v + (p.v_rest - x.v + p.RI) * (s.dt / p.tau_m);
    return x.v > p.v_th;
  }
  template <class T>
  static void reset(variables<T>& x, const parameters& p) { x.v = p.v_reset; }
  static variables<double> initial(const parameters& p) { return {p.v_rest}; }
  // Checked when a population is built and by set_parameters; every broken rule is reported.
  static void check(const parameters& p, sw::rules& r) {
    r.positive(p.tau_m);          // tau_m = -1, must be > 0
    r.less(p.v_reset, p.v_th);    // v_reset = -45, must be < v_th = -50
    r.in_range(p.RI, -100, 100);  // RI = 200, must be in [-100, 100]
    r.require(p.v_rest < p.v_th, r.name(p.v_rest) + " must be below " + r.name(p.v_th) + ": the cell would never rest");
    r.require(p.max_rate > 0, r.name(&p.max_rate) + " = " + std::to_string(p.max_rate) + ", must be > 0");
  }
};
BOOST_HANA_ADAPT_STRUCT(checked_lif::parameters, tau_m, v_rest, v_th, v_reset, RI, max_rate);

// A synapse whose weight relaxes to w_rest between spikes and that counts its spikes.
struct relaxing_synapse {
  struct parameters {
    double tau_w = 100;   // [ms]
    double w_rest = 0.5;  // [mV]
    double w_max = 2;     // [mV]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, count));  // [mV], spikes
  };
  template <class T>
  static void update(variables<T>& s, const parameters& p, double dt) { s.w += (p.w_rest - s.w) * (dt / p.tau_w); }
  template <class T>
  static T on_pre(variables<T>& s, const parameters& p) {
    s.count += 1;
    s.w = sw::clip(s.w + 0.1, 0.0, p.w_max);
    return s.w;
  }
  // What the projection's initial values leave out starts here (otherwise 0).
  static variables<double> initial(const parameters& p) { return {p.w_rest, 0}; }
  static void check(const parameters& p, sw::rules& r) {
    r.positive(p.tau_w);
    r.non_negative(p.w_rest);
    r.at_most(p.w_rest, p.w_max);  // w_rest = 3, must be <= w_max = 2
  }
};
BOOST_HANA_ADAPT_STRUCT(relaxing_synapse::parameters, tau_w, w_rest, w_max);

int main() {
  auto net = sw::network{{.dt = 0.1},
                         sw::population<checked_lif, "cells">{10},
                         sw::projection<relaxing_synapse, "cells", "cells", "v", "recurrent">{sw::all_to_all{}}};
  const auto& recurrent = net.projection<"recurrent">();
  const bool initial_ok = recurrent.columns().w[0] == 0.5 && recurrent.columns().count[0] == 0;
  net.simulate(100);
  std::printf("model_rules: %zu synapses, w[0] = %.3f mV after %.0f spikes\n", recurrent.size(),
              recurrent.columns().w[0], recurrent.columns().count[0]);

  std::string neuron_error, synapse_error;
  try {
    sw::population<checked_lif, "bad">{1, {.tau_m = -1, .v_reset = -45}};
  } catch (const sw::config_error& e) {
    neuron_error = e.what();
  }
  try {
    sw::projection<relaxing_synapse, "cells", "cells", "v", "bad">{sw::all_to_all{}, {}, {}, {.w_rest = 3}};
  } catch (const sw::config_error& e) {
    synapse_error = e.what();
  }
  std::printf("model_rules: %s\nmodel_rules: %s\n", neuron_error.c_str(), synapse_error.c_str());
  return initial_ok && recurrent.columns().count[0] > 0 &&
                 neuron_error == "population 'bad': tau_m = -1, must be > 0; v_reset = -45, must be < v_th = -50" &&
                 synapse_error == "projection 'bad' (cells -> cells.v): w_rest = 3, must be <= w_max = 2"
             ? 0
             : 1;
}
