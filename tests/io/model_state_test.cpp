// Save/load of every built-in neuron model's state (adex, hodgkin_huxley, lif_alpha, izhikevich, lif_curr_exp,
// lif_delta, rate_neuron with rate_synapse, spike_generator driving a projection): exact continuation through
// .npz, .bin and .h5, and files of another model refused whole, with nothing changed.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/io/npz.hpp>
#include <spikeweave/io/state.hpp>
#include <spikeweave/spikeweave.hpp>

namespace sw = spikeweave;
using namespace sw::models;

namespace {

// Per model: the targets of the input projection "P" (and of the background
// Poisson input) and of the recurrent projection "R", the weights, and
// non-default parameters and initial values for the network that is saved.
// The fresh network that loads the file uses the defaults, so loading must
// bring the parameters too.
template <class Model>
struct traits;
template <class Model>
using init_of = typename sw::population<Model>::initial_values;

template <>
struct traits<adex> {
  static constexpr sw::fixed_string exc = "I_syn_e", inh = "I_syn_i";
  using recurrent = static_synapse;
  static adex::parameters params(bool fresh) {
    return fresh ? adex::parameters{} : adex::parameters{.b = 40, .t_ref = 2, .I_e = 400};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<adex>{} : init_of<adex>{.v = sw::uniform(-70, -55)};
  }
  static constexpr double w_in = 150, w_rec = -60, w_bg = 60;
};

template <>
struct traits<hodgkin_huxley> {
  static constexpr sw::fixed_string exc = "g_e", inh = "g_i";
  using recurrent = static_synapse;
  static hodgkin_huxley::parameters params(bool fresh) {
    return fresh ? hodgkin_huxley::parameters{} : hodgkin_huxley::parameters{.I_e = 40};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<hodgkin_huxley>{} : init_of<hodgkin_huxley>{.v = sw::uniform(-70, -55)};
  }
  static constexpr double w_in = 6, w_rec = 20, w_bg = 3;  // nS; conductances are positive
};

template <>
struct traits<lif_alpha> {
  static constexpr sw::fixed_string exc = "y_e", inh = "y_i";
  using recurrent = static_synapse;
  static lif_alpha::parameters params(bool fresh) {
    return fresh ? lif_alpha::parameters{} : lif_alpha::parameters{.t_ref = 2, .tau_e = 1.5, .tau_i = 3};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<lif_alpha>{} : init_of<lif_alpha>{.v = sw::uniform(-60, -50)};
  }
  static constexpr double w_in = 3, w_rec = -2, w_bg = 3;
};

template <>
struct traits<izhikevich> {
  static constexpr sw::fixed_string exc = "I", inh = "I";
  using recurrent = static_synapse;
  static izhikevich::parameters params(bool fresh) {
    return fresh ? izhikevich::parameters{} : izhikevich::parameters{.d = 6, .I_ext = 5};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<izhikevich>{} : init_of<izhikevich>{.v = sw::uniform(-70, -60)};
  }
  static constexpr double w_in = 30, w_rec = -20, w_bg = 15;
};

template <>
struct traits<lif_curr_exp> {
  static constexpr sw::fixed_string exc = "I_e", inh = "I_i";
  using recurrent = static_synapse;
  static lif_curr_exp::parameters params(bool fresh) {
    return fresh ? lif_curr_exp::parameters{} : lif_curr_exp::parameters{.t_ref = 2, .tau_e = 3};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<lif_curr_exp>{} : init_of<lif_curr_exp>{.v = sw::uniform(-60, -50)};
  }
  static constexpr double w_in = 4, w_rec = -2, w_bg = 4;
};

template <>
struct traits<lif_delta> {
  static constexpr sw::fixed_string exc = "dv", inh = "dv";
  using recurrent = static_synapse;
  static lif_delta::parameters params(bool fresh) {
    return fresh ? lif_delta::parameters{} : lif_delta::parameters{.tau_m = 15, .t_ref = 1.5};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<lif_delta>{} : init_of<lif_delta>{.v = sw::uniform(0, 20)};
  }
  static constexpr double w_in = 1, w_rec = -1, w_bg = 0.8;
};

// A rate-coded network: spikes of the sources reach `input` through a static
// projection with delays, the rates through a rate_synapse projection.
template <>
struct traits<rate_neuron> {
  static constexpr sw::fixed_string exc = "input", inh = "input";
  using recurrent = rate_synapse;
  static rate_neuron::parameters params(bool fresh) {
    return fresh ? rate_neuron::parameters{}
                 : rate_neuron::parameters{.tau = 5, .gain = 0.8, .threshold = 0.1, .I_ext = 0.3, .transfer = 2};
  }
  static auto init(bool fresh) {
    return fresh ? init_of<rate_neuron>{} : init_of<rate_neuron>{.r = sw::uniform(-0.5, 0.5)};
  }
  static constexpr double w_in = 0.5, w_rec = -0.4, w_bg = 0.2;
};

constexpr std::size_t n_in = 100, n_out = 200;
constexpr int T = 1000;  // steps of 0.1 ms in each half

// The spike times of the generator: 3000 spikes of 100 neurons over 2T steps,
// the same in every network (they are its description, not its state).
sw::spike_times schedule() {
  std::mt19937_64 g(42);
  std::uniform_int_distribution<std::uint32_t> neuron(0, n_in - 1);
  std::uniform_real_distribution<double> t(0, 2 * T * 0.1);
  sw::spike_times s;
  for (int k = 0; k < 3000; ++k) {
    s.indices.push_back(neuron(g));
    s.times.push_back(t(g));
  }
  return s;
}

// Sources "In" (Poisson or a spike generator) onto neurons "N" of `Model`
// through "P" (per-synapse delays of 0.2 to 2 ms), recurrent "R" (1.5 ms),
// and a background Poisson input. `fresh`: another connectivity, other
// weights, default parameters and initial values.
template <class Model, class Source = poisson_source>
auto make(std::uint64_t seed, bool fresh = false) {
  using tr = traits<Model>;
  auto source = [&] {
    if constexpr (std::is_same_v<Source, spike_generator>)
      return sw::population<spike_generator, "In">{n_in, schedule()};
    else
      return sw::population<poisson_source, "In">{n_in, {.rate = fresh ? 10.0 : 40.0}};
  };
  return sw::network{
      {.dt = 0.1, .seed = seed},
      source(),
      sw::population<Model, "N">{n_out, tr::params(fresh), tr::init(fresh)},
      sw::projection<static_synapse, "In", "N", tr::exc, "P">{
          sw::fixed_probability{fresh ? 0.05 : 0.1},
          {.w = fresh ? sw::initial_value(tr::w_in / 2) : sw::uniform(0.5 * tr::w_in, 1.5 * tr::w_in)},
          sw::uniform(0.2, 2.0)},
      sw::projection<typename tr::recurrent, "N", "N", tr::inh, "R">{
          sw::fixed_probability{fresh ? 0.02 : 0.05}, {.w = fresh ? 0.0 : tr::w_rec}, 1.5},
      sw::poisson_input<"N", tr::exc>{.n = 100, .rate = 10, .weight = tr::w_bg}};
}

// Each step's spikes of every population.
template <class Net>
std::vector<std::vector<std::uint32_t>> run(Net& net, int steps) {
  std::vector<std::vector<std::uint32_t>> out;
  for (int k = 0; k < steps; ++k) {
    net.step();
    net.for_each_population([&](auto& pop) { out.emplace_back(pop.spikes().begin(), pop.spikes().end()); });
  }
  return out;
}

// Every number of the state, as bits (so that == is bit for bit: -0.0 is not 0.0), in a fixed order: the clock,
// and per population and projection its parameters, variables, counters, spikes, connectivity, delays, traces
// and spikes in transit.
template <class Net>
std::vector<std::uint64_t> everything(Net& net) {
  std::vector<std::uint64_t> out{net.current_step(), net.seed(), std::bit_cast<std::uint64_t>(net.current_time())};
  auto number = [&](auto x) {
    if constexpr (std::is_floating_point_v<decltype(x)>)
      out.push_back(std::bit_cast<std::uint64_t>(static_cast<double>(x)));
    else
      out.push_back(static_cast<std::uint64_t>(x));
  };
  auto numbers = [&](const auto& range) {
    out.push_back(static_cast<std::uint64_t>(std::distance(range.begin(), range.end())));
    for (auto x : range) number(x);
  };
  auto fields = [&](auto, const auto& c) { numbers(c); };
  auto params = [&](auto, const auto& p) { number(p); };
  net.for_each_population([&](auto& pop) {
    sw::reflect::for_each_field(pop.parameters(), params);
    sw::reflect::for_each_field(pop.columns(), fields);
    numbers(pop.refractory_counter());
    numbers(pop.spikes());
    number(pop.spike_count());
  });
  net.for_each_projection([&](auto& proj) {
    sw::reflect::for_each_field(proj.parameters(), params);
    numbers(proj.row_ptr());
    numbers(proj.post());
    numbers(proj.delays());
    sw::reflect::for_each_field(proj.columns(), fields);
    sw::reflect::for_each_field(proj.pre_traces(), fields);
    sw::reflect::for_each_field(proj.post_traces(), fields);
    number(proj.learning());
    for (const auto& [step, i] : proj.spikes_in_transit(net.current_step())) {
      number(step);
      number(i);
    }
  });
  return out;
}

std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

// a == b; otherwise says where they first differ (rather than printing thousands of numbers).
template <class V>
bool same(const V& a, const V& b) {
  const auto [i, j] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (i == a.end() && j == b.end()) return true;
  UNSCOPED_INFO("first difference at element " << (i - a.begin()) << " of " << a.size() << " and " << b.size());
  return false;
}

std::size_t count_spikes(const std::vector<std::vector<std::uint32_t>>& steps, std::size_t population,
                         std::size_t populations) {
  std::size_t n = 0;
  for (std::size_t k = population; k < steps.size(); k += populations) n += steps[k].size();
  return n;
}

// Runs 2T steps uninterrupted; then, through each format, T steps, a save,
// a fresh network (another seed, connectivity, parameters, initial values,
// and a state of its own after some steps) that loads the file and runs T
// steps: the same spikes in every step and the same state, bit for bit.
template <class Model, class Source = poisson_source>
void exact_continuation(const std::string& tag) {
  auto reference = make<Model, Source>(7);
  run(reference, T);
  const auto second_half = run(reference, T);
  const auto final_state = everything(reference);

  // The test can fail: the sources and (for spiking models) the neurons fire in the second half.
  REQUIRE(count_spikes(second_half, 0, 2) > 0);
  if constexpr (!std::is_same_v<Model, rate_neuron>) {
    REQUIRE(count_spikes(second_half, 1, 2) > 0);
  } else {
    const auto& r = reference.template population<"N">().columns().r;
    REQUIRE(std::any_of(r.begin(), r.end(), [](double x) { return x != 0; }));
  }

  for (const char* ext : {".npz", ".bin", ".h5"}) {
    INFO(tag << ext);
    auto first = make<Model, Source>(7);
    run(first, T);
    const auto path = temp("sw_model_state_" + tag + ext);
    first.save(path);
    if (std::string(ext) == ".npz") {  // spikes are in transit at the save, in both projections
      sw::io::npz_reader in(path);
      CHECK(in.template read<std::uint64_t>("projections/P/transit_step").size() > 0);
      if constexpr (!std::is_same_v<Model, rate_neuron>)
        CHECK(in.template read<std::uint64_t>("projections/R/transit_step").size() > 0);
    }

    auto resumed = make<Model, Source>(99, true);
    run(resumed, 37);  // spikes of its own in transit, which the load must drop
    REQUIRE(everything(resumed) != everything(first));
    resumed.load(path);
    CHECK(resumed.current_step() == static_cast<std::uint64_t>(T));
    CHECK(resumed.seed() == 7);
    CHECK(same(everything(resumed), everything(first)));
    CHECK(same(run(resumed, T), second_half));
    CHECK(same(everything(resumed), final_state));
    std::filesystem::remove(path);
  }
}

// A file saved by network A is refused by network B, whose population `who`
// has the same name and size but another model; B is unchanged bit for bit
// and goes on exactly as its twin that never saw the file.
template <class A, class B>
void refused(A& source, B& target, B& twin, const std::string& tag, const std::string& who) {
  run(source, 200);
  run(target, 150);
  run(twin, 150);
  const auto before = everything(target);
  REQUIRE(same(before, everything(twin)));
  for (const char* ext : {".npz", ".bin", ".h5"}) {
    INFO(tag << ext);
    const auto path = temp("sw_model_state_refused_" + tag + ext);
    source.save(path);
    try {
      target.load(path);
      FAIL("no mismatch_error");
    } catch (const sw::mismatch_error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find(path + ": does not fit the network, nothing was loaded:") == 0);
      CHECK(what.find("population '" + who + "': the file's model") != std::string::npos);
    }
    CHECK(same(everything(target), before));
    std::filesystem::remove(path);
  }
  CHECK(same(run(target, 300), run(twin, 300)));
  CHECK(same(everything(target), everything(twin)));
}

template <class A, class B>
void refused_neurons(const std::string& tag) {
  auto source = make<A>(3);
  auto target = make<B>(4);
  auto twin = make<B>(4);
  refused(source, target, twin, tag, "N");
}

}  // namespace

TEST_CASE("adex: save at T, load into a fresh network, run T: bit for bit the uninterrupted run", "[state][models]") {
  exact_continuation<adex>("adex");
}
TEST_CASE("hodgkin_huxley: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][models]") {
  exact_continuation<hodgkin_huxley>("hodgkin_huxley");
}
TEST_CASE("lif_alpha: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][models]") {
  exact_continuation<lif_alpha>("lif_alpha");
}
TEST_CASE("izhikevich: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][models]") {
  exact_continuation<izhikevich>("izhikevich");
}
TEST_CASE("lif_curr_exp: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][models]") {
  exact_continuation<lif_curr_exp>("lif_curr_exp");
}
TEST_CASE("lif_delta: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][models]") {
  exact_continuation<lif_delta>("lif_delta");
}
TEST_CASE("rate_neuron with rate_synapse: save at T, load into a fresh network, run T: bit for bit the uninterrupted run",
          "[state][models][rate]") {
  exact_continuation<rate_neuron>("rate_neuron");
}
TEST_CASE("spike_generator driving a projection: save at T, load into a fresh network, run T: bit for bit the "
          "uninterrupted run",
          "[state][models][generator]") {
  exact_continuation<lif_delta, spike_generator>("spike_generator");
}

TEST_CASE("adex: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<adex, hodgkin_huxley>("adex");
}
TEST_CASE("hodgkin_huxley: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<hodgkin_huxley, lif_alpha>("hodgkin_huxley");
}
TEST_CASE("lif_alpha: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<lif_alpha, izhikevich>("lif_alpha");
}
TEST_CASE("izhikevich: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<izhikevich, lif_curr_exp>("izhikevich");
}
TEST_CASE("lif_curr_exp: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<lif_curr_exp, lif_delta>("lif_curr_exp");
}
TEST_CASE("lif_delta: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<lif_delta, rate_neuron>("lif_delta");
}
TEST_CASE("rate_neuron: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  refused_neurons<rate_neuron, adex>("rate_neuron");
}
TEST_CASE("spike_generator: a file of another model is refused, the network unchanged", "[state][models][mismatch]") {
  // The same network but for the sources "In": a generator in one, Poisson sources in the other, both ways.
  {
    auto source = make<lif_delta, spike_generator>(3);
    auto target = make<lif_delta>(4);
    auto twin = make<lif_delta>(4);
    refused(source, target, twin, "spike_generator", "In");
  }
  {
    auto source = make<lif_delta>(3);
    auto target = make<lif_delta, spike_generator>(4);
    auto twin = make<lif_delta, spike_generator>(4);
    refused(source, target, twin, "to_spike_generator", "In");
  }
}

// static_synapse and rate_synapse both have no parameters and one variable w:
// the fingerprint tells them apart by the rate-coded synapse's source, and a
// load compares the projection's target too (here `dv` against `input`).
TEST_CASE("a static_synapse projection's file is refused by a rate_synapse projection of the same name",
          "[state][models][mismatch]") {
  CHECK(sw::io::model_fingerprint<static_synapse, static_synapse::variables<double>>() !=
        sw::io::model_fingerprint<rate_synapse, rate_synapse::variables<double>>());
  auto spiking = make<lif_delta>(3);
  run(spiking, 200);
  const auto path = temp("sw_model_state_static_into_rate.npz");
  spiking.save<"R">(path);
  auto rate = make<rate_neuron>(4);
  run(rate, 150);
  const auto before = everything(rate);
  CHECK_THROWS_AS(rate.load<"R">(path), sw::mismatch_error);
  CHECK(same(everything(rate), before));
  std::filesystem::remove(path);
}
