// Pair-based additive STDP (Song, Miller & Abbott 2000) with one trace per neuron.
//
//   tau_plus dx/dt = -x   (per pre-synaptic neuron; x += A_plus when its spike arrives)
//   tau_minus dy/dt = -y  (per post-synaptic neuron; y += A_minus when it fires)
//   a pre spike arrives:  w is delivered to the target, then w = clip(w - y, 0, w_max)
//   the post neuron fires: w = clip(w + x, 0, w_max)
// So a pair with the post spike Δt after the arrival changes w by
// A_plus exp(-Δt / tau_plus), and one with the post spike first by
// -A_minus exp(-|Δt| / tau_minus). All-to-all pairing (traces add up).
#pragma once

#include <cmath>

#include "../model/synapse.hpp"

namespace spikeweave::models {

struct stdp_additive {
  struct parameters {
    double tau_plus = 20;    // [ms] potentiation window
    double tau_minus = 20;   // [ms] depression window
    double A_plus = 0.01;    // weight change per pair, pre before post (in w's unit)
    double A_minus = 0.012;  // weight change per pair, post before pre (subtracted)
    double w_max = 1;        // upper bound of w
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w));  // weight, in the target's unit
  };
  static constexpr variables<std::string_view> units{.w = "{target}"};
  template <class T>
  struct pre_trace {
    BOOST_HANA_DEFINE_STRUCT(pre_trace, (T, x));
  };
  static constexpr pre_trace<std::string_view> pre_trace_units{.x = "{target}"};
  template <class T>
  struct post_trace {
    BOOST_HANA_DEFINE_STRUCT(post_trace, (T, y));
  };
  static constexpr post_trace<std::string_view> post_trace_units{.y = "{target}"};

  template <class T>
  static void update_pre(pre_trace<T>& a, const parameters& p, double dt) { a.x *= std::exp(-dt / p.tau_plus); }
  template <class T>
  static void update_post(post_trace<T>& b, const parameters& p, double dt) { b.y *= std::exp(-dt / p.tau_minus); }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) { a.x += p.A_plus; }
  template <class T>
  static void on_post_spike(post_trace<T>& b, const parameters& p) { b.y += p.A_minus; }
  template <class T>
  static T on_pre(variables<T>& s, const pre_trace<T>&, const post_trace<T>& b, const parameters& p) {
    const T delivered = s.w;  // the weight before this pair's depression, as Song et al. (2000)
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

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::stdp_additive::parameters, tau_plus, tau_minus, A_plus, A_minus, w_max);
