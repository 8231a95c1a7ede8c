// The small fixed network the state and parameter fuzz targets load into, and a bit-exact snapshot of all of it.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

// Only what the network needs (not the umbrella header with every model): the targets build faster.
#include <spikeweave/core/network.hpp>
#include <spikeweave/io/parameters.hpp>
#include <spikeweave/models/lif_cond_exp.hpp>
#include <spikeweave/models/static_synapse.hpp>
#include <spikeweave/models/stdp_additive.hpp>

namespace spikeweave::fuzz {

/// Two populations, an STDP projection (traces, learning flag), a static one with per-synapse delays, Poisson
/// drive, and one monitor of each kind.
inline auto make_network(std::uint64_t seed = 5, std::size_t n_e = 12, std::size_t n_i = 4) {
  using namespace spikeweave::models;
  return network{{.dt = 0.1, .seed = seed},
                 population<lif_cond_exp, "E">{n_e, {}, {.v = uniform(-60, -50)}},
                 population<lif_cond_exp, "I">{n_i, {}, {.v = uniform(-60, -50)}},
                 projection<stdp_additive, "E", "E", "g_e", "EE">{fixed_probability{0.3}, {.w = 0.3}, 1.5,
                                                                  {.A_plus = 0.005, .A_minus = 0.006}},
                 projection<static_synapse, "E", "I", "g_e", "EI">{fixed_probability{0.5}, {.w = 0.4}, uniform(0.1, 3.0)},
                 poisson_input<"E", "g_e">{.n = 100, .rate = 20, .weight = 0.1},
                 spike_monitor<"spikes", "E">{},
                 state_monitor<"v", "I", "v", "g_e">{{.neurons = {0, 2}, .period = 0.5}},
                 rate_monitor<"rate", "E">{}};
}

using network_type = decltype(make_network());

namespace detail {

template <class T>
void append(std::string& s, const T& value) {
  s.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class Range>
void append_range(std::string& s, const Range& r) {
  append(s, static_cast<std::uint64_t>(std::size(r)));
  for (const auto& x : r) append(s, x);
}

}  // namespace detail

/// Every bit of the network's state and parameters, to compare before and after a load that failed.
template <class Net>
std::string snapshot(Net& net) {
  using detail::append;
  using detail::append_range;
  std::string s;
  append(s, net.current_step());
  append(s, net.seed());
  append(s, net.dt());
  for (const auto& [name, value] : net.constants()) {
    s += name;
    append(s, value);
  }
  net.for_each_population([&](auto& pop) {
    s += io::to_json(pop.parameters()).dump();
    reflect::for_each_field(pop.columns(), [&](std::string_view, const auto& c) { append_range(s, c.span()); });
    append_range(s, pop.refractory_counter().span());
    append_range(s, pop.spikes());
    append(s, pop.spike_count());
  });
  net.for_each_projection([&](auto& proj) {
    s += io::to_json(proj.parameters()).dump();
    append(s, proj.learning());
    append_range(s, proj.row_ptr());
    append_range(s, proj.post());
    append_range(s, proj.delays());
    reflect::for_each_field(proj.columns(), [&](std::string_view, const auto& c) { append_range(s, c); });
    reflect::for_each_field(proj.pre_traces(), [&](std::string_view, const auto& c) { append_range(s, c); });
    reflect::for_each_field(proj.post_traces(), [&](std::string_view, const auto& c) { append_range(s, c); });
    append(s, static_cast<std::uint64_t>(proj.ring().size()));
    for (const auto& slot : proj.ring()) append_range(s, slot);
  });
  net.for_each_monitor([&](auto& mon) {
    using M = std::remove_cvref_t<decltype(mon)>;
    append(s, mon.recording());
    append_range(s, mon.steps());
    if constexpr (std::string_view(M::kind) == "spike") append_range(s, mon.index_data());
    else if constexpr (std::string_view(M::kind) == "state") append_range(s, mon.value_data());
    else append_range(s, mon.rate_data());
  });
  return s;
}

}  // namespace spikeweave::fuzz
