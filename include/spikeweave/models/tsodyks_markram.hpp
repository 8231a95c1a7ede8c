// Short-term depression and facilitation (Tsodyks & Markram 1997; Tsodyks, Pawelzik & Markram 1998).
//
// Each pre-synaptic neuron has a fraction x of available resources and a
// utilisation u. Between spikes
//   tau_rec dx/dt = 1 - x          (recovery)
//   tau_facil du/dt = -u           (facilitation fades; tau_facil = 0: u = 0 at once)
// and when a spike arrives, in this order (u is updated before it is used,
// as in Tsodyks, Pawelzik & Markram 1998 and Markram, Wang & Tsodyks 1998):
//   u = u + U (1 - u)              (so u = U on a first spike)
//   r = u x                        (the fraction of resources released)
//   x = x - r
// and every synapse of the neuron delivers w r to its target. Over a spike
// train with intervals Δt this is the recurrence of Markram et al. (1998,
// PNAS 95:5323)
//   u_{n+1} = U + u_n (1 - U) exp(-Δt / tau_facil)
//   x_{n+1} = 1 - (1 - x_n (1 - u_n)) exp(-Δt / tau_rec),   amplitude_n = w u_n x_n.
// With tau_facil = 0 (pure depression, Tsodyks & Markram 1997) u_n = U and a
// regular train of period T settles at x = (1 - e) / (1 - (1 - U) e),
// e = exp(-T / tau_rec).
//
// u and x are kept per pre-synaptic neuron, not per synapse: every synapse of
// a neuron in one projection sees the same spike train, at the same time
// (a model with pre traces has one delay per projection) and with the same
// U, tau_rec and tau_facil, so their u and x are equal; one value per neuron
// costs nothing per synapse and needs no post -> pre index. A projection
// whose synapses need their own U therefore needs a per-synapse model. Traces
// start at 0, so the model stores the depleted fraction d = 1 - x (0 at rest)
// instead of x. The relaxation is event-driven (advance_pre): u and d are
// multiplied by exp(-Δt / tau) when a spike arrives, Δt the time since the
// neuron's previous arrival, and cost nothing in between; pre_traces() holds
// them as of each neuron's latest arrival, current_pre_traces() as of now.
//
// Short-term plasticity is dynamics, not learning: disable_learning() does
// not stop it (the traces go on, and w is only read).
//
// Typical values: a depressing neocortical pyramid-to-pyramid synapse U = 0.5,
// tau_rec = 800 ms, tau_facil = 0 (the defaults); a facilitating
// pyramid-to-interneuron synapse U = 0.03, tau_rec = 130 ms, tau_facil = 530 ms
// (Markram, Wang & Tsodyks 1998).
#pragma once

#include <cmath>

#include "../model/synapse.hpp"

namespace spikeweave::models {

struct tsodyks_markram {
  struct parameters {
    double U = 0.5;         // utilisation increment per spike, in [0, 1]
    double tau_rec = 800;   // [ms] recovery of resources
    double tau_facil = 0;   // [ms] decay of facilitation (0: none)
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w));  // absolute efficacy: a spike delivers w u x, in the target's unit
  };
  static constexpr variables<std::string_view> units{.w = "{target}"};
  template <class T>
  struct pre_trace {
    BOOST_HANA_DEFINE_STRUCT(pre_trace, (T, u),  // utilisation (0 at rest)
                             (T, d),             // depleted fraction 1 - x (0 at rest)
                             (T, r));            // released fraction u x of the latest spike
  };
  static constexpr pre_trace<std::string_view> pre_trace_units{.u = "1", .d = "1", .r = "1"};

  /// A depressing synapse (the defaults).
  static constexpr parameters depressing() { return {}; }
  /// A facilitating synapse (Markram, Wang & Tsodyks 1998).
  static constexpr parameters facilitating() { return {.U = 0.03, .tau_rec = 130, .tau_facil = 530}; }

  /// The relaxation over `elapsed` ms since the neuron's latest arrival, in closed form (event-driven).
  template <class T>
  static void advance_pre(pre_trace<T>& a, const parameters& p, double elapsed) {
    a.u *= p.tau_facil > 0 ? std::exp(-elapsed / p.tau_facil) : 0.0;
    a.d *= std::exp(-elapsed / p.tau_rec);
  }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) {
    a.u += p.U * (1.0 - a.u);
    a.r = a.u * (1.0 - a.d);
    a.d += a.r;
  }
  template <class T>
  static T on_pre(const variables<T>& s, const pre_trace<T>& a, const no_trace&, const parameters&) {
    return s.w * a.r;
  }
  static void check(const parameters& p, rules& r) {
    r.in_range(p.U, 0, 1);
    r.positive(p.tau_rec);
    r.non_negative(p.tau_facil);
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::tsodyks_markram::parameters, U, tau_rec, tau_facil);
