// Pair-based additive STDP with symmetric nearest-spike pairing (Morrison, Diesmann & Gerstner 2008).
//
//   tau_plus dx/dt = -x   (per pre-synaptic neuron; x = A_plus when its spike arrives)
//   tau_minus dy/dt = -y  (per post-synaptic neuron; y = A_minus when it fires)
//   a pre spike arrives:  w is delivered to the target, then w = clip(w - y, 0, w_max)
//   the post neuron fires: w = clip(w + x, 0, w_max)
// The only difference from stdp_additive is that a spike *sets* its trace
// instead of adding to it, so a trace remembers the latest spike only: each
// post spike is paired with the latest pre spike before it (potentiation
// A_plus exp(-Δt / tau_plus)), each pre spike with the latest post spike
// before it (depression -A_minus exp(-|Δt| / tau_minus)). This is the
// "symmetric nearest-spike" scheme of Morrison, Diesmann & Gerstner (2008,
// Biol. Cybern. 98:459-478); for single pairs it gives the window of stdp_additive,
// for bursts less (a burst of pre spikes then one post spike potentiates
// once, by the last pre spike's term, where all-to-all sums every pair).
// Times are those of the spike's arrival at the synapse (the delay is the
// projection's, one for all synapses).
#pragma once

#include <cmath>

#include "../model/synapse.hpp"

namespace spikeweave::models {

struct stdp_nearest {
  struct parameters {
    double tau_plus = 20;    // [ms] potentiation window
    double tau_minus = 20;   // [ms] depression window
    double A_plus = 0.01;    // weight change of a pair, pre before post (in w's unit)
    double A_minus = 0.012;  // weight change of a pair, post before pre (subtracted)
    double w_max = 1;        // upper bound of w
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w));  // weight, in the target's unit
  };
  static constexpr variables<std::string_view> units{.w = "{target}"};
  template <class T>
  struct pre_trace {
    BOOST_HANA_DEFINE_STRUCT(pre_trace, (T, x));  // A_plus exp(-(t - latest arrival) / tau_plus)
  };
  static constexpr pre_trace<std::string_view> pre_trace_units{.x = "{target}"};
  template <class T>
  struct post_trace {
    BOOST_HANA_DEFINE_STRUCT(post_trace, (T, y));  // A_minus exp(-(t - latest post spike) / tau_minus)
  };
  static constexpr post_trace<std::string_view> post_trace_units{.y = "{target}"};

  template <class T>
  static void update_pre(pre_trace<T>& a, const parameters& p, double dt) { a.x *= std::exp(-dt / p.tau_plus); }
  template <class T>
  static void update_post(post_trace<T>& b, const parameters& p, double dt) { b.y *= std::exp(-dt / p.tau_minus); }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) { a.x = T(p.A_plus); }
  template <class T>
  static void on_post_spike(post_trace<T>& b, const parameters& p) { b.y = T(p.A_minus); }
  template <class T>
  static T on_pre(variables<T>& s, const pre_trace<T>&, const post_trace<T>& b, const parameters& p) {
    const T delivered = s.w;
    s.w = clip(s.w - b.y, 0.0, p.w_max);
    return delivered;
  }
  template <class T>
  static void on_post(variables<T>& s, const pre_trace<T>& a, const post_trace<T>&, const parameters& p) {
    s.w = clip(s.w + a.x, 0.0, p.w_max);
  }
  static void check(const parameters& p, rules& r) {
    r.positive(p.tau_plus);
    r.positive(p.tau_minus);
    r.non_negative(p.A_plus);
    r.non_negative(p.A_minus);
    r.positive(p.w_max);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::stdp_nearest::parameters, tau_plus, tau_minus, A_plus, A_minus, w_max);
