// Test and benchmark models with event-driven state (docs/plasticity.md): short-term plasticity per
// synapse with an on_post, and stdp_additive with traces decayed in closed form at events.
#pragma once

#include <cmath>

#include <spikeweave/spikeweave.hpp>

namespace spikeweave::testing {

/// Facilitation (u) and depression (d) per synapse, decayed between events; a post spike relieves d.
struct stp_per_synapse {
  struct parameters {
    double U = 0.3;          // utilisation increment per spike
    double tau_rec = 200;    // [ms]
    double tau_facil = 100;  // [ms]
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, u), (T, d));
  };
  template <class T>
  static void advance(variables<T>& s, const parameters& p, double elapsed) {
    s.u *= std::exp(-elapsed / p.tau_facil);
    s.d *= std::exp(-elapsed / p.tau_rec);
  }
  template <class T>
  static T on_pre(variables<T>& s, const parameters& p) {
    s.u += p.U * (1.0 - s.u);
    const T r = s.u * (1.0 - s.d);
    s.d += r;
    return s.w * r;
  }
  template <class T>
  static void on_post(variables<T>& s, const parameters&) {
    s.d *= 0.9;
  }
};

/// models::stdp_additive with event-driven pre and post traces.
struct stdp_events {
  using base = models::stdp_additive;
  using parameters = base::parameters;
  template <class T>
  using variables = base::variables<T>;
  template <class T>
  using pre_trace = base::pre_trace<T>;
  template <class T>
  using post_trace = base::post_trace<T>;
  template <class T>
  static void advance_pre(pre_trace<T>& a, const parameters& p, double elapsed) {
    a.x *= std::exp(-elapsed / p.tau_plus);
  }
  template <class T>
  static void advance_post(post_trace<T>& b, const parameters& p, double elapsed) {
    b.y *= std::exp(-elapsed / p.tau_minus);
  }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) {
    base::on_pre_spike(a, p);
  }
  template <class T>
  static void on_post_spike(post_trace<T>& b, const parameters& p) {
    base::on_post_spike(b, p);
  }
  template <class T>
  static T on_pre(variables<T>& s, const pre_trace<T>& a, const post_trace<T>& b, const parameters& p) {
    return base::on_pre(s, a, b, p);
  }
  template <class T>
  static void on_post(variables<T>& s, const pre_trace<T>& a, const post_trace<T>& b, const parameters& p) {
    base::on_post(s, a, b, p);
  }
};

}  // namespace spikeweave::testing
BOOST_HANA_ADAPT_STRUCT(spikeweave::testing::stp_per_synapse::parameters, U, tau_rec, tau_facil);
