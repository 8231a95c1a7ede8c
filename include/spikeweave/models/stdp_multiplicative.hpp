// Weight-dependent (multiplicative) pair-based STDP (van Rossum, Bi & Turrigiano 2000; Gütig et al. 2003).
//
//   tau_plus dx/dt = -x   (per pre-synaptic neuron; x += A_plus when its spike arrives)
//   tau_minus dy/dt = -y  (per post-synaptic neuron; y += A_minus when it fires)
//   a pre spike arrives:  w is delivered to the target, then
//                         w = clip(w - y (w / w_max)^mu_minus, 0, w_max)
//   the post neuron fires: w = clip(w + x (1 - w / w_max)^mu_plus, 0, w_max)
// So a single pair with the post spike Δt after the arrival changes w by
// A_plus exp(-Δt / tau_plus) (1 - w / w_max)^mu_plus, and one with the post
// spike first by -A_minus exp(-|Δt| / tau_minus) (w / w_max)^mu_minus.
//
// The exponents choose the weight dependence (Gütig, Aharonov, Rotter &
// Sompolinsky 2003, J. Neurosci. 23:3697, with w scaled by w_max):
//   mu_plus = mu_minus = 1   multiplicative (the default; Rubin, Lee &
//                            Sompolinsky 2001): both changes vanish at the bounds,
//                            weights settle inside [0, w_max]
//   mu_plus = 0, mu_minus = 1  potentiation constant, depression proportional
//                            to w (van Rossum, Bi & Turrigiano 2000, J. Neurosci.
//                            20:8812)
//   mu_plus = mu_minus = 0   additive (stdp_additive)
//   0 < mu < 1               Gütig et al.'s interpolation (e.g. mu = 0.02)
// With `nearest` a spike sets its trace (x = A_plus, y = A_minus) instead of
// adding to it: symmetric nearest-spike pairing as in stdp_nearest (Morrison,
// Diesmann & Gerstner 2008); otherwise all-to-all. Times are those of the
// spike's arrival at the synapse.
#pragma once

#include <cmath>

#include "../model/synapse.hpp"

namespace spikeweave::models {

struct stdp_multiplicative {
  struct parameters {
    double tau_plus = 20;    // [ms] potentiation window
    double tau_minus = 20;   // [ms] depression window
    double A_plus = 0.01;    // weight change of a pair at w = 0, pre before post (in w's unit)
    double A_minus = 0.012;  // weight change of a pair at w = w_max, post before pre (subtracted)
    double w_max = 1;        // upper bound of w
    double mu_plus = 1;      // exponent of (1 - w / w_max) in potentiation, in [0, 1]
    double mu_minus = 1;     // exponent of w / w_max in depression, in [0, 1]
    bool nearest = false;    // nearest-spike pairing (traces set) instead of all-to-all (traces add)
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
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) {
    a.x = p.nearest ? T(p.A_plus) : T(a.x + p.A_plus);
  }
  template <class T>
  static void on_post_spike(post_trace<T>& b, const parameters& p) {
    b.y = p.nearest ? T(p.A_minus) : T(b.y + p.A_minus);
  }
  template <class T>
  static T on_pre(variables<T>& s, const pre_trace<T>&, const post_trace<T>& b, const parameters& p) {
    const T delivered = s.w;
    s.w = clip(s.w - b.y * power(clip(s.w / p.w_max, 0.0, 1.0), p.mu_minus), 0.0, p.w_max);
    return delivered;
  }
  template <class T>
  static void on_post(variables<T>& s, const pre_trace<T>& a, const post_trace<T>&, const parameters& p) {
    s.w = clip(s.w + a.x * power(clip(1.0 - s.w / p.w_max, 0.0, 1.0), p.mu_plus), 0.0, p.w_max);
  }
  static void check(const parameters& p, rules& r) {
    r.positive(p.tau_plus);
    r.positive(p.tau_minus);
    r.non_negative(p.A_plus);
    r.non_negative(p.A_minus);
    r.positive(p.w_max);
    r.in_range(p.mu_plus, 0, 1);
    r.in_range(p.mu_minus, 0, 1);
  }

  /// b^mu for b in [0, 1]; the exponents 0 and 1 (the common cases) cost nothing.
  template <class T>
  static T power(const T& b, double mu) {
    if (mu == 0) return T(1);
    if (mu == 1) return b;
    return select(b > T(0), spikeweave::exp(value_t<T>(mu) * spikeweave::log(b)), T(0));
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::stdp_multiplicative::parameters, tau_plus, tau_minus, A_plus, A_minus,
                        w_max, mu_plus, mu_minus, nearest);
