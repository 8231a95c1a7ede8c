// Threads: the same spikes and bit-identical state on 1, 2, 3 and 4 threads.
//
// test_core links TBB but not spikeweave::tbb, so this file asks for the
// threads itself. Its networks' names are its own: no network type here is
// also compiled, serially, in another file of the executable.
#ifndef SPIKEWEAVE_HAS_TBB
#define SPIKEWEAVE_HAS_TBB 1
#endif

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>
#include <tbb/global_control.h>

#include "support/errors.hpp"

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// A synapse with every hook but traces: a continuous decay, an on_pre that
// writes (facilitation) and an on_post.
struct facilitating {
  struct parameters {
    double tau = 50;  // [ms] decay of the facilitation
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w), (T, f), (T, posts));
  };
  template <class T>
  static T on_pre(variables<T>& s, const parameters&) {
    const T out = s.w * (1 + s.f);
    s.f += 0.1;
    return out;
  }
  template <class T>
  static void on_post(variables<T>& s, const parameters&) {
    s.posts += 1;
  }
  template <class T>
  static void update(variables<T>& s, const parameters& p, double dt) {
    s.f -= s.f * dt / p.tau;
  }
};

}  // namespace
BOOST_HANA_ADAPT_STRUCT(facilitating::parameters, tau);

namespace {

// Whatever thread count TBB allows here, tests run up to 4 threads.
struct four_threads {
  tbb::global_control control{tbb::global_control::max_allowed_parallelism, 4};
};

// COBA-like: conductance-based E and I populations with STDP (pre and post
// traces, on_post), short-term plasticity (traces updated on arrival), a
// synapse that writes in on_pre with a continuous update, delays that differ
// per synapse, several projections onto one target, and Poisson input in both
// sampling regimes. Sizes such that 2, 3 and 4 chunks cut both populations.
auto coba_like(std::size_t threads, std::uint64_t seed = 3) {
  const lif_cond_exp::variables<sw::initial_value> init{
      .v = sw::uniform(-60, -50), .g_e = sw::normal(4, 1.5), .g_i = sw::normal(20, 12)};
  return sw::network{{.dt = 0.1, .seed = seed, .threads = threads},
                     sw::population<lif_cond_exp, "thE">{3200, {}, init},
                     sw::population<lif_cond_exp, "thI">{1600, {}, init},
                     sw::projection<stdp_additive, "thE", "thE", "g_e", "thEE">{
                         sw::fixed_probability{0.02}, {.w = sw::uniform(0.2, 0.6)}, 1.5, {.w_max = 1.0}},
                     sw::projection<static_synapse, "thE", "thI", "g_e", "thEI">{
                         sw::fixed_probability{0.02}, {.w = 0.6}, sw::uniform(0.1, 3.0)},
                     sw::projection<static_synapse, "thI", "thE", "g_i", "thIE">{sw::fixed_probability{0.02}, {.w = 6.7}, 0.8},
                     sw::projection<tsodyks_markram, "thI", "thE", "g_e", "thTE">{sw::fixed_probability{0.01}, {.w = 0.3}, 1.0},
                     sw::projection<facilitating, "thI", "thI", "g_i", "thII">{
                         sw::fixed_number_pre{30}, {.w = 2.0}, sw::uniform(0.2, 2.0)},
                     sw::poisson_input<"thE", "g_e">{.n = 100, .rate = 5, .weight = 0.1},
                     sw::poisson_input<"thI", "g_e">{.n = 2000, .rate = 50, .weight = 0.01}};
}

// Brunel-like: delta synapses, one delay, fixed in-degree, Poisson drive
// (as examples/brunel.cpp at N = 5000).
auto brunel_like(std::size_t threads) {
  const std::size_t c_e = 400, c_i = 100;
  const double J = 0.1, g = 5;
  const lif_delta::parameters params{.tau_m = 20, .E_l = 0, .v_th = 20, .v_reset = 10, .t_ref = 2};
  const double rate = 2 * params.v_th / (J * static_cast<double>(c_e) * params.tau_m) * 1000;  // [Hz]
  return sw::network{{.dt = 0.1, .seed = 11, .threads = threads},
                     sw::population<lif_delta, "brE">{4000, params, {.v = sw::uniform(0, 20)}},
                     sw::population<lif_delta, "brI">{1000, params, {.v = sw::uniform(0, 20)}},
                     sw::projection<static_synapse, "brE", "brE", "dv">{sw::fixed_number_pre{c_e, true}, {.w = J}, 1.5},
                     sw::projection<static_synapse, "brE", "brI", "dv">{sw::fixed_number_pre{c_e, true}, {.w = J}, 1.5},
                     sw::projection<static_synapse, "brI", "brE", "dv">{sw::fixed_number_pre{c_i, true}, {.w = -g * J}, 1.5},
                     sw::projection<static_synapse, "brI", "brI", "dv">{sw::fixed_number_pre{c_i, true}, {.w = -g * J}, 1.5},
                     sw::poisson_input<"brE", "dv">{.n = c_e, .rate = rate, .weight = J},
                     sw::poisson_input<"brI", "dv">{.n = c_e, .rate = rate, .weight = J}};
}

// Dense enough that a load indexes the synapses of each plastic projection
// (> 2^17) in pieces on its threads: STDP with one delay (rows ascend by
// post neuron) and a synapse with on_post and delays that differ.
auto dense_plastic(std::size_t threads, std::uint64_t seed = 13) {
  return sw::network{{.dt = 0.1, .seed = seed, .threads = threads},
                     sw::population<lif_cond_exp, "dpA">{400, {}, {.v = sw::uniform(-60, -50)}},
                     sw::projection<stdp_additive, "dpA", "dpA", "g_e", "dpSTDP">{
                         sw::fixed_number_pre{350}, {.w = sw::uniform(0, 0.02)}, 1.0, {.w_max = 0.05}},
                     sw::projection<facilitating, "dpA", "dpA", "g_e", "dpF">{
                         sw::fixed_number_pre{350}, {.w = sw::uniform(0, 0.01)}, sw::uniform(0.1, 2.0)},
                     sw::poisson_input<"dpA", "g_e">{.n = 100, .rate = 20, .weight = 0.3}};
}

// Rate-coded populations with rate projections. With `feedback`, a Poisson
// input adds to the very variable a rate projection transmits (r): the
// deliveries then run element by element.
template <bool Feedback>
auto rate_like(std::size_t threads) {
  const rate_neuron::parameters p{.tau = 10, .gain = 1, .threshold = 0.5, .I_ext = 1, .transfer = 1};
  auto make = [&](auto... more) {
    return sw::network{{.dt = 0.1, .seed = 5, .threads = threads},
                       sw::population<rate_neuron, "raA">{3000, p, {.r = sw::uniform(0, 2)}},
                       sw::population<rate_neuron, "raB">{2000, p, {.r = sw::uniform(0, 2)}},
                       sw::projection<rate_synapse, "raA", "raB", "input", "raAB">{sw::fixed_probability{0.01},
                                                                                  {.w = sw::normal(0.1, 0.05)}},
                       sw::projection<rate_synapse, "raB", "raA", "input", "raBA">{sw::fixed_probability{0.01},
                                                                                  {.w = sw::normal(-0.1, 0.05)}},
                       sw::poisson_input<"raB", "input">{.n = 10, .rate = 100, .weight = 0.5}, more...};
  };
  if constexpr (Feedback)
    return make(sw::poisson_input<"raA", "r">{.n = 10, .rate = 100, .weight = 0.01});
  else
    return make();
}

// Every number of the state, as bits: variables, refractory counters, synapse
// variables, traces, spikes in transit.
template <class Net>
std::vector<std::uint64_t> state_bits(Net& net) {
  std::vector<std::uint64_t> out;
  auto add = [&](auto x) { out.push_back(std::bit_cast<std::uint64_t>(static_cast<double>(x))); };
  auto add_all = [&](const auto& columns) {
    sw::reflect::for_each_field(columns, [&](auto, const auto& c) {
      for (auto x : c) add(x);
    });
  };
  net.for_each_population([&](auto& pop) {
    add_all(pop.columns());
    for (auto x : pop.refractory_counter()) add(x);
  });
  net.for_each_projection([&](auto& proj) {
    add_all(proj.columns());
    add_all(proj.pre_traces());
    add_all(proj.post_traces());
    for (auto [step, i] : proj.spikes_in_transit(net.current_step())) out.insert(out.end(), {step, i});
  });
  return out;
}

// The spikes of every population in each of `steps` steps.
template <class Net>
std::vector<std::vector<std::uint32_t>> run_and_record(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

// Where two records first differ ("" when they are equal), so that a failure
// prints a line, not millions of numbers.
template <class T>
std::string difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a == b) return "";
  for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k)
    if (!(a[k] == b[k])) return "first difference at entry " + std::to_string(k);
  return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
}

template <class Net>
std::uint64_t spike_total(Net& net) {
  std::uint64_t n = 0;
  net.for_each_population([&](auto& pop) { n += pop.spike_count(); });
  return n;
}

// Gives `to` the state of `from` (a network of the same type), through the
// calls a state file's loader makes: as if `from` were saved and loaded
// (with `on_threads`, projections index their synapses on the threads of
// `to`, as a load does).
template <class Net>
void transfer(Net& from, Net& to, bool on_threads = false) {
  const std::uint64_t now = from.current_step();
  std::vector<std::size_t> sizes;
  from.for_each_population([&](auto& pop) { sizes.push_back(pop.size()); });
  from.for_each_population([&](auto& pop) {
    to.visit_population(pop.name(), [&](auto& other) {
      if constexpr (std::is_same_v<decltype(pop), decltype(other)>)
        other.restore(pop.columns(), pop.refractory_counter(), {pop.spikes().begin(), pop.spikes().end()},
                      pop.spike_count());
    });
  });
  from.for_each_projection([&](auto& proj) {
    to.for_each_projection([&](auto& other) {
      if constexpr (std::is_same_v<decltype(proj), decltype(other)>) {
        std::size_t n_post = 0;
        to.visit_population(proj.post_name.view(), [&](auto& post) { n_post = post.size(); });
        if (on_threads)
          other.restore({proj.row_ptr().begin(), proj.row_ptr().end()}, {proj.post().begin(), proj.post().end()},
                        proj.columns(), proj.delays(), proj.spikes_in_transit(now), now, proj.pre_traces(),
                        proj.post_traces(), n_post, to.team(), proj.ages());
        else
          other.restore({proj.row_ptr().begin(), proj.row_ptr().end()}, {proj.post().begin(), proj.post().end()},
                        proj.columns(), proj.delays(), proj.spikes_in_transit(now), now, proj.pre_traces(),
                        proj.post_traces(), n_post, proj.ages());
        proj.learning() ? other.enable_learning() : other.disable_learning();
      }
    });
  });
  to.restore_clock(now, from.seed(), from.constants());
}

// Runs the network made by make(threads) for `steps` steps on 1 thread, then
// on each of `counts`: the spikes of every step and the final state must be
// those of 1 thread.
template <class Make>
void check_threads_agree(Make make, int steps, std::vector<std::size_t> counts = {2, 3, 4}, bool spiking = true) {
  const four_threads allow;
  auto serial = make(1);
  REQUIRE(serial.chunk_count() == 1);
  const auto before = state_bits(serial);
  const auto spikes = run_and_record(serial, steps);
  const auto bits = state_bits(serial);
  REQUIRE(bits != before);
  if (spiking) REQUIRE(spike_total(serial) > 100 * static_cast<std::uint64_t>(steps) / 1000);
  for (auto threads : counts) {
    INFO("threads = " << threads);
    auto net = make(threads);
    CHECK(net.threads() == threads);
    CHECK(net.chunk_count() == threads);
    CHECK(difference(run_and_record(net, steps), spikes) == "");
    CHECK(difference(state_bits(net), bits) == "");
  }
}

}  // namespace

TEST_CASE("COBA with plasticity, delays and Poisson input: the same on 1, 2, 3 and 4 threads", "[threads]") {
  check_threads_agree([](std::size_t t) { return coba_like(t); }, 1500);
}

TEST_CASE("Brunel's network with delays and Poisson drive: the same on 1, 2, 3 and 4 threads", "[threads]") {
  check_threads_agree([](std::size_t t) { return brunel_like(t); }, 1000);
}

TEST_CASE("rate-coded projections: the same on 1, 2 and 4 threads, in one pass or element by element", "[threads]") {
  check_threads_agree([](std::size_t t) { return rate_like<false>(t); }, 300, {2, 4}, false);
  check_threads_agree([](std::size_t t) { return rate_like<true>(t); }, 300, {2, 4}, false);
}

TEST_CASE("a state reached on 2 threads continues bit for bit on 1 thread, and back", "[threads]") {
  const four_threads allow;
  auto whole = coba_like(1);
  run_and_record(whole, 600);
  const auto rest = run_and_record(whole, 600);

  auto first = coba_like(2);
  run_and_record(first, 600);
  auto second = coba_like(1, 99);  // another seed: every number must come from the transfer
  transfer(first, second);
  CHECK(difference(state_bits(second), state_bits(first)) == "");
  CHECK(difference(run_and_record(second, 600), rest) == "");
  CHECK(difference(state_bits(second), state_bits(whole)) == "");

  auto third = coba_like(4, 98);
  auto from_serial = coba_like(1);
  run_and_record(from_serial, 600);
  transfer(from_serial, third);
  CHECK(difference(run_and_record(third, 600), rest) == "");
  CHECK(difference(state_bits(third), state_bits(whole)) == "");
}

TEST_CASE("a load's post -> pre index built on 2 or 3 threads continues as the serial one", "[threads]") {
  const four_threads allow;
  auto whole = dense_plastic(1);
  REQUIRE(whole.projection<"dpSTDP">().size() > std::size_t{1} << 17);
  REQUIRE(!whole.projection<"dpF">().uniform_delay());
  run_and_record(whole, 300);
  const auto rest = run_and_record(whole, 300);
  REQUIRE(spike_total(whole) > 1000);
  for (std::size_t threads : {2, 3}) {
    INFO("threads = " << threads);
    auto first = dense_plastic(1);
    run_and_record(first, 300);
    auto second = dense_plastic(threads, 77);
    transfer(first, second, true);
    CHECK(difference(run_and_record(second, 300), rest) == "");
    CHECK(difference(state_bits(second), state_bits(whole)) == "");
  }
}

TEST_CASE("the thread count can change between steps, and copies keep it", "[threads]") {
  const four_threads allow;
  auto whole = brunel_like(1);
  const auto spikes = run_and_record(whole, 400);

  auto net = brunel_like(1);
  auto changed = run_and_record(net, 100);
  net.set_threads(4);
  CHECK(net.threads() == 4);
  CHECK(net.chunk_count() == 4);
  for (auto& s : run_and_record(net, 200)) changed.push_back(std::move(s));
  net.set_threads(2);
  for (auto& s : run_and_record(net, 100)) changed.push_back(std::move(s));
  CHECK(difference(changed, spikes) == "");
  CHECK(difference(state_bits(net), state_bits(whole)) == "");

  auto copy = net.copy(11);
  CHECK(copy.threads() == 2);
  CHECK(difference(run_and_record(copy, 400), spikes) == "");

  // A callback may read the thread count, not change it in the middle of a run.
  std::string error;
  net.every(1.0, [&](auto& n) { error = config_error_of([&] { n.set_threads(1); }); });
  net.simulate(1.0);
  CHECK(error == "network: set_threads(1) during a run (from a callback)");
  CHECK(net.threads() == 2);
}

TEST_CASE("threads = 0 uses every core TBB allows; small networks run in one chunk", "[threads]") {
  auto net = sw::network{{.dt = 0.1, .threads = 0}, sw::population<izhikevich, "thSmall">{1000, {.I_ext = 10}}};
  CHECK(net.threads() == static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()));
  CHECK(net.chunk_count() == 1);  // 1000 neurons: not worth a second thread
  net.set_threads(1);
  CHECK(net.threads() == 1);
}

TEST_CASE("a projection delivers to any split of its post neurons what it delivers whole", "[threads]") {
  const four_threads allow;
  auto net = rate_like<false>(4);
  net.simulate(5);
  auto& proj = net.projection<"raAB">();
  REQUIRE(!proj.cuts().empty());  // 4 chunks cut raB: parts of rows come from the table
  const auto& r = net.population<"raA">().columns().r;
  const std::size_t n = net.population<"raB">().size();
  std::vector<double> whole(n, 0.0);
  proj.transmit(r, whole.data(), 0, n);
  std::vector<std::vector<std::size_t>> splits{proj.cuts(), {7, 1500}, {1, 999, 1998}};
  for (auto c : proj.cuts()) splits.push_back({c / 2, c, c + 1});  // a cut between others
  for (auto cuts : splits) {
    std::vector<double> pieces(n, 0.0);
    std::size_t lo = 0;
    cuts.push_back(n);
    for (auto hi : cuts) {
      proj.transmit(r, pieces.data(), lo, hi);
      lo = hi;
    }
    CHECK(difference(pieces, whole) == "");
  }
}

TEST_CASE("a rate projection onto the variable it transmits runs whole: the same on 1 and 4 threads", "[threads]") {
  const rate_neuron::parameters p{.tau = 10, .gain = 1, .threshold = 0.5, .I_ext = 1, .transfer = 2};
  check_threads_agree(
      [&](std::size_t threads) {
        return sw::network{{.dt = 0.1, .seed = 7, .threads = threads},
                           sw::population<rate_neuron, "rsA">{5000, p, {.r = sw::uniform(0, 1)}},
                           sw::projection<rate_synapse, "rsA", "rsA", "r", "rsAA">{sw::fixed_probability{0.002},
                                                                                  {.w = sw::normal(0, 0.01)}},
                           sw::poisson_input<"rsA", "input">{.n = 10, .rate = 100, .weight = 0.5}};
      },
      100, {4}, false);
}
