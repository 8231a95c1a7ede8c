// What event-driven synapse state saves: COBA (4000 neurons) with short-term plasticity or STDP on its
// excitatory synapses, each model once with its decay computed every step and once at events only.
//
//   static            COBA as in examples/coba.cpp (the reference)
//   TM traces         tsodyks_markram on E -> E and E -> I: u and x per pre neuron, decayed every step
//                     (update_pre, the model before event-driven traces) or at arrivals (advance_pre)
//   TM per synapse    the same with u and x per synapse (a user model): update every step, or advance
//   STDP traces       stdp_additive on E -> E: traces decayed every step (update_pre / update_post) or at
//                     events (advance_pre / advance_post); at in-degree 80 (COBA), and at 400 and 800
//                     (weights scaled down, Poisson drive to keep the rate at 15-20 Hz), where a post
//                     spike reads the pre traces of many synapses
// The per-step, per-synapse variant is slow (every synapse, every step): it runs once.
//
// usage: event_driven [duration_ms=1000] [repetitions=3] [--quick]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>

#include <spikeweave/spikeweave.hpp>

#include "../tests/support/event_driven_models.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// tsodyks_markram with per-step traces, as it was.
struct tm_traces_per_step {
  using parameters = tsodyks_markram::parameters;
  template <class T>
  using variables = tsodyks_markram::variables<T>;
  template <class T>
  using pre_trace = tsodyks_markram::pre_trace<T>;
  template <class T>
  static void update_pre(pre_trace<T>& a, const parameters& p, double dt) {
    a.u *= p.tau_facil > 0 ? std::exp(-dt / p.tau_facil) : 0.0;
    a.d *= std::exp(-dt / p.tau_rec);
  }
  template <class T>
  static void on_pre_spike(pre_trace<T>& a, const parameters& p) {
    tsodyks_markram::on_pre_spike(a, p);
  }
  template <class T>
  static T on_pre(const variables<T>& s, const pre_trace<T>& a, const sw::no_trace& b, const parameters& p) {
    return tsodyks_markram::on_pre(s, a, b, p);
  }
};

// Tsodyks-Markram with u and d = 1 - x per synapse.
struct tm_synapse {
  using parameters = tsodyks_markram::parameters;
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, u), (T, d));
  };
  template <class T>
  static T on_pre(variables<T>& s, const parameters& p) {
    s.u += p.U * (1.0 - s.u);
    const T r = s.u * (1.0 - s.d);
    s.d += r;
    return s.w * r;
  }
  template <class T>
  static void relax(variables<T>& s, const parameters& p, double t) {
    s.u *= p.tau_facil > 0 ? std::exp(-t / p.tau_facil) : 0.0;
    s.d *= std::exp(-t / p.tau_rec);
  }
};
struct tm_synapse_per_step : tm_synapse {
  template <class T>
  static void update(variables<T>& s, const parameters& p, double dt) {
    relax(s, p, dt);
  }
};
struct tm_synapse_event : tm_synapse {
  template <class T>
  static void advance(variables<T>& s, const parameters& p, double elapsed) {
    relax(s, p, elapsed);
  }
};

using stdp_event = spikeweave::testing::stdp_events;  // stdp_additive with event-driven traces

const lif_cond_exp::variables<sw::initial_value> init{
    .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};

// COBA with model S on E -> E and X on E -> I, in-degree k, weights (w on E -> E and E -> I, 6.7
// on I -> E and I -> I) times c, and the elements `extra`.
template <class S, class X, class... Extra>
auto coba(double k, double c, double w, const typename S::parameters& p, const typename X::parameters& q,
          Extra... extra) {
  return sw::network{{.dt = 0.1, .seed = 1},
                     sw::population<lif_cond_exp, "E">{3200, {}, init},
                     sw::population<lif_cond_exp, "I">{800, {}, init},
                     sw::projection<S, "E", "E", "g_e", "EE">{sw::fixed_probability{k / 4000, true}, {.w = w * c}, {}, p},
                     sw::projection<X, "E", "I", "g_e", "EI">{sw::fixed_probability{k / 4000, true}, {.w = w * c}, {}, q},
                     sw::projection<static_synapse, "I", "E", "g_i", "IE">{sw::fixed_probability{k / 4000, true},
                                                                           {.w = 6.7 * c}},
                     sw::projection<static_synapse, "I", "I", "g_i", "II">{sw::fixed_probability{k / 4000, true},
                                                                           {.w = 6.7 * c}},
                     extra...};
}

// COBA at in-degree k with weights times c, driven by Poisson input (1000 sources of 10 Hz per neuron).
template <class S>
auto driven(double k, double c, const typename S::parameters& p) {
  return coba<S, static_synapse>(k, c, 0.6, p, {}, sw::poisson_input<"E", "g_e">{.n = 1000, .rate = 10, .weight = 0.1},
                                 sw::poisson_input<"I", "g_e">{.n = 1000, .rate = 10, .weight = 0.1});
}

struct result {
  double seconds = 1e300;
  double rate = 0;
  double bytes = 0;  // per E -> E synapse
};

template <class Make>
void measure(result& r, double duration, Make make) {
  auto net = make();
  const double s = net.simulate(duration);
  if (s >= r.seconds) return;
  std::uint64_t spikes = 0;
  net.for_each_population([&](auto& pop) { spikes += pop.spike_count(); });
  const auto& ee = net.template projection<"EE">();
  r = {s, static_cast<double>(spikes) / 4000.0 / (duration * 1e-3),
       static_cast<double>(ee.synapse_bytes()) / static_cast<double>(ee.size())};
}

void print(const char* name, const result& r, const result& reference) {
  std::printf("  %-36s %8.3f s  %6.1fx static  %6.2f Hz  %5.1f B/synapse\n", name, r.seconds,
              r.seconds / reference.seconds, r.rate, r.bytes);
}

}  // namespace

int main(int argc, char** argv) {
  double duration = 1000;
  int repetitions = 3;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      duration = 100;
      repetitions = 1;
    } else if (positional++ == 0) {
      duration = std::strtod(argv[i], nullptr);
    } else {
      repetitions = std::atoi(argv[i]);
    }
  }
  // Depressing synapses (U = 0.2, tau_rec = 50 ms) strong enough for COBA to
  // stay active (about 20 Hz).
  const tsodyks_markram::parameters tm{.U = 0.2, .tau_rec = 50, .tau_facil = 0};
  const double w_tm = 5;
  const stdp_additive::parameters stdp{.A_plus = 0.001, .A_minus = 0.0012, .w_max = 1.2};
  const stdp_additive::parameters stdp_dense{.A_plus = 0.0002, .A_minus = 0.00024, .w_max = 0.2};
  using none = static_synapse;
  result reference, tm_step, tm_event, syn_step, syn_event, stdp_step, stdp_ev;
  result ref400, step400, event400, ref800, step800, event800;
  // Interleaved, so that load on the machine hits every variant alike.
  for (int r = 0; r < repetitions; ++r) {
    measure(reference, duration, [&] { return coba<none, none>(80, 1, 0.6, {}, {}); });
    measure(tm_step, duration, [&] { return coba<tm_traces_per_step, tm_traces_per_step>(80, 1, w_tm, tm, tm); });
    measure(tm_event, duration, [&] { return coba<tsodyks_markram, tsodyks_markram>(80, 1, w_tm, tm, tm); });
    if (r == 0)
      measure(syn_step, duration, [&] { return coba<tm_synapse_per_step, tm_synapse_per_step>(80, 1, w_tm, tm, tm); });
    measure(syn_event, duration, [&] { return coba<tm_synapse_event, tm_synapse_event>(80, 1, w_tm, tm, tm); });
    measure(stdp_step, duration, [&] { return coba<stdp_additive, none>(80, 1, 0.6, stdp, {}); });
    measure(stdp_ev, duration, [&] { return coba<stdp_event, none>(80, 1, 0.6, stdp, {}); });
    measure(ref400, duration, [&] { return driven<none>(400, 0.2, {}); });
    measure(step400, duration, [&] { return driven<stdp_additive>(400, 0.2, stdp_dense); });
    measure(event400, duration, [&] { return driven<stdp_event>(400, 0.2, stdp_dense); });
    measure(ref800, duration, [&] { return driven<none>(800, 0.1, {}); });
    measure(step800, duration, [&] { return driven<stdp_additive>(800, 0.1, stdp_dense); });
    measure(event800, duration, [&] { return driven<stdp_event>(800, 0.1, stdp_dense); });
  }
  std::printf("COBA 4000, %.0f ms, best of %d (simulation wall time; bytes per E -> E synapse in double)\n", duration,
              repetitions);
  print("static synapses", reference, reference);
  print("TM, traces per pre neuron, per step", tm_step, reference);
  print("TM, traces per pre neuron, at events", tm_event, reference);
  print("TM per synapse, update per step", syn_step, reference);
  print("TM per synapse, advance at events", syn_event, reference);
  print("STDP E -> E, traces per step", stdp_step, reference);
  print("STDP E -> E, traces at events", stdp_ev, reference);
  for (auto [k, ref, step, event] : {std::tuple{400, &ref400, &step400, &event400}, {800, &ref800, &step800, &event800}}) {
    std::printf("in-degree %d, Poisson drive (times relative to static synapses with the same drive)\n", k);
    print("static synapses", *ref, *ref);
    print("STDP E -> E, traces per step", *step, *ref);
    print("STDP E -> E, traces at events", *event, *ref);
  }
  return 0;
}
