// The Potjans & Diesmann (2014) cortical microcircuit as a spikeweave network (shared by
// examples/microcircuit.cpp, its benchmark and its tests).
//
// 77,169 current-based LIF neurons (iaf_psc_exp) in layers 2/3, 4, 5 and 6,
// an excitatory and an inhibitory population each; about 3 x 10^8 synapses.
// The parameters are the published ones, as NEST's reference implementation
// (pynest/examples/Potjans_2014) sets them:
// - connectivity: the 8 x 8 table of connection probabilities p turned into
//   a fixed total number of synapses per pair of populations,
//   K = log(1 - p) / log(1 - 1 / (N_pre N_post)), multapses and autapses
//   allowed (fixed_total_number);
// - weights: a PSP of 0.15 mV turned into a PSC amplitude (87.8 pA), normal
//   with 10% relative sd, -4 times that from inhibitory sources, doubled from
//   L4E to L2/3E; a weight of the wrong sign is drawn again (NEST's redraw);
// - delays: normal 1.5 +- 0.75 ms from excitatory, 0.75 +- 0.375 ms from
//   inhibitory sources, drawn again below dt / 2, rounded to steps of 0.1 ms;
// - drive: K_ext independent Poisson trains of 8 Hz per neuron, or the DC
//   current of the same mean (`dc`);
// - initial membrane potentials normal per population ("optimized", the
//   reference's default) or N(-58, 10) mV ("original").
// `scale` scales neuron counts and in-degrees together; weights then grow as
// 1/sqrt(scale) and a DC current makes up for the missing mean input, as in
// the reference.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include <spikeweave/spikeweave.hpp>

namespace microcircuit {

namespace sw = spikeweave;
using sw::models::iaf_psc_exp;
using sw::models::static_synapse;

inline constexpr std::size_t populations = 8;
inline constexpr std::array<sw::fixed_string, populations> names{"L23E", "L23I", "L4E", "L4I",
                                                                 "L5E",  "L5I",  "L6E", "L6I"};
inline constexpr std::array<double, populations> full_size{20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948};
// Connection probabilities, [target][source].
inline constexpr double conn_probs[populations][populations] = {
    {0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0., 0.0076, 0.},
    {0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0., 0.0042, 0.},
    {0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.},
    {0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0., 0.1057, 0.},
    {0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.},
    {0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.},
    {0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252},
    {0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443}};
inline constexpr std::array<double, populations> K_ext{1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100};
// Mean rates of the full-scale model [Hz]: the reference values, and what
// the DC compensation of a scaled-down network assumes.
inline constexpr std::array<double, populations> full_mean_rates{0.971, 2.868, 4.746, 5.396,
                                                                 8.142, 9.078, 0.991, 7.523};
inline constexpr std::array<double, populations> V0_mean{-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43};
inline constexpr std::array<double, populations> V0_sd{5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48};

struct options {
  double scale = 1;           // neurons and in-degrees
  std::uint64_t seed = 55;
  std::size_t threads = 1;
  bool dc = false;            // DC drive instead of Poisson trains
  bool original_v0 = false;   // N(-58, 10) mV instead of the per-population initial values
  double dt = 0.1;            // [ms]
};

/// Every number the network is built from.
struct plan {
  std::array<std::size_t, populations> size{};
  std::array<std::array<std::uint64_t, populations>, populations> synapses{};  // [target][source]
  std::array<std::array<double, populations>, populations> weight{};           // [pA] mean, [target][source]
  std::array<std::size_t, populations> k_ext{};
  double w_ext = 0;                                                             // [pA]
  std::array<double, populations> dc{};                                         // [pA] I_e per population
  iaf_psc_exp::parameters neuron{.C_m = 250, .tau_m = 10, .tau_syn_ex = 0.5, .tau_syn_in = 0.5, .t_ref = 2,
                                 .E_L = -65, .V_th = -50, .V_reset = -65, .I_e = 0};
  double bg_rate = 8;                      // [Hz]
  double delay_e = 1.5, delay_i = 0.75;    // [ms] means; sd = half the mean
  double weight_rel_sd = 0.1;

  explicit plan(const options& o) {
    const double tau_m = neuron.tau_m, C_m = neuron.C_m, tau_s = neuron.tau_syn_ex;
    // The PSC amplitude [pA] whose PSP peaks at 1 mV.
    const double sub = 1.0 / (tau_s - tau_m);
    const double pre = tau_m * tau_s / C_m * sub;
    const double frac = std::pow(tau_m / tau_s, sub);
    const double psc_over_psp = 1.0 / (pre * (std::pow(frac, tau_m) - std::pow(frac, tau_s)));
    const double psp_e = 0.15, g = -4;
    w_ext = psc_over_psp * psp_e;
    double full_synapses[populations][populations];
    for (std::size_t t = 0; t < populations; ++t) {
      size[t] = static_cast<std::size_t>(std::llround(full_size[t] * o.scale));
      k_ext[t] = static_cast<std::size_t>(std::llround(K_ext[t] * o.scale));
      for (std::size_t s = 0; s < populations; ++s) {
        const double pairs = full_size[t] * full_size[s];
        full_synapses[t][s] = std::log(1.0 - conn_probs[t][s]) / std::log((pairs - 1.0) / pairs);
        synapses[t][s] = static_cast<std::uint64_t>(std::llround(full_synapses[t][s] * o.scale * o.scale));
        weight[t][s] = psc_over_psp * psp_e * (s % 2 == 0 ? 1.0 : g);
      }
    }
    weight[0][2] *= 2;  // L4E -> L2/3E
    // DC drive of the Poisson trains' mean, when asked.
    for (std::size_t t = 0; t < populations; ++t)
      dc[t] = o.dc ? bg_rate * K_ext[t] * w_ext * tau_s * 1e-3 : 0.0;
    // Scaled in-degrees: weights grow as 1 / sqrt(scale), and a DC current
    // makes up for the mean input that is then missing.
    if (o.scale != 1) {
      const double root = std::sqrt(o.scale);
      for (std::size_t t = 0; t < populations; ++t) {
        double recurrent = 0;
        for (std::size_t s = 0; s < populations; ++s)
          recurrent += weight[t][s] * full_synapses[t][s] / full_size[t] * full_mean_rates[s];
        dc[t] += 1e-3 * tau_s * (1 - root) * recurrent;
        if (!o.dc) dc[t] += 1e-3 * tau_s * (1 - root) * w_ext * K_ext[t] * bg_rate;
      }
      for (auto& row : weight)
        for (auto& w : row) w /= root;
      w_ext /= root;
    }
  }
};

template <std::size_t T, std::size_t S>
consteval sw::fixed_string projection_name() {  // e.g. "L4E->L23E"
  sw::fixed_string out = names[S];
  for (char c : std::string_view("->")) out.chars[out.length++] = c;
  for (char c : names[T].view()) out.chars[out.length++] = c;
  return out;
}
template <std::size_t P>
consteval sw::fixed_string monitor_name() {  // e.g. "spikes L23E"
  sw::fixed_string out{"spikes "};
  for (char c : names[P].view()) out.chars[out.length++] = c;
  return out;
}
// Excitatory sources (even indices) add to I_syn_ex, inhibitory ones to I_syn_in.
template <std::size_t S>
inline constexpr sw::fixed_string target = S % 2 == 0 ? sw::fixed_string{"I_syn_ex"} : sw::fixed_string{"I_syn_in"};

/// The microcircuit in precision Real: 8 populations, 64 projections, 8
/// Poisson inputs and (not recording until resumed) a spike monitor per population.
template <class Real>
auto build(const options& o) {
  const plan p(o);
  const double inf = std::numeric_limits<double>::infinity();
  return [&]<std::size_t... P, std::size_t... K>(std::index_sequence<P...>, std::index_sequence<K...>) {
    auto neuron = [&](std::size_t i) {
      auto params = p.neuron;
      params.I_e = p.dc[i];
      return params;
    };
    auto v0 = [&](std::size_t i) {
      return iaf_psc_exp::variables<sw::initial_value>{
          .V_m = o.original_v0 ? sw::normal(-58, 10) : sw::normal(V0_mean[i], V0_sd[i])};
    };
    auto weights = [&](std::size_t t, std::size_t s) {
      const double w = p.weight[t][s];
      const auto spread = sw::normal(w, std::abs(w) * p.weight_rel_sd);
      return static_synapse::variables<sw::initial_value>{.w = w >= 0 ? spread.redraw(0, inf) : spread.redraw(-inf, 0)};
    };
    auto delays = [&](std::size_t s) {
      const double mean = s % 2 == 0 ? p.delay_e : p.delay_i;
      return sw::normal(mean, 0.5 * mean).redraw(0.5 * o.dt, inf);
    };
    return sw::network{
        sw::precision<Real>,
        {.dt = o.dt, .seed = o.seed, .threads = o.threads},
        sw::population<iaf_psc_exp, names[P]>{p.size[P], neuron(P), v0(P)}...,
        sw::projection<static_synapse, names[K % populations], names[K / populations], target<K % populations>,
                       projection_name<K / populations, K % populations>()>{
            sw::fixed_total_number{.n = p.synapses[K / populations][K % populations]},
            weights(K / populations, K % populations), delays(K % populations)}...,
        sw::poisson_input<names[P], "I_syn_ex">{
            .n = p.k_ext[P], .rate = o.dc ? 0.0 : p.bg_rate, .weight = p.w_ext}...,
        sw::spike_monitor<monitor_name<P>(), names[P]>{{.start = false}}...};
  }(std::make_index_sequence<populations>{}, std::make_index_sequence<populations * populations>{});
}

}  // namespace microcircuit
