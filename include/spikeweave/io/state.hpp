// Full-state save and load (.npz): everything needed to continue a simulation bit for bit.
//
// Saved: time step, seed and constants; per population its parameters, every
// variable, the refractory counters, the spikes of the last step and the spike
// count; per projection its parameters, connectivity (pre, post), every
// synapse variable, the delay of every synapse (steps), the spikes in transit
// and the plasticity traces (with, for event-driven variables and traces, how
// many steps each lags: event_age, pre_trace_age, post_trace_age). Random
// numbers are counter-based, so the step and the seed are the whole generator state.
//
// Loading first reads and checks the whole file against the network (format,
// dt, precision, names, sizes, model fingerprints, variables, dtypes, index
// ranges); every difference is listed in one mismatch_error and nothing
// changes. Only then is the network changed. The connectivity in the file
// replaces the network's, as ANNarchy and NEST's restore do.
//
// The formats are reached through io/array_file.hpp and the metadata through
// io/detail/metadata.hpp: this header includes neither zlib, Boost.Serialization,
// HDF5 nor nlohmann::json, which spikeweave::io's library compiles once.
#pragma once

#if !defined(SPIKEWEAVE_WITH_IO) && !defined(SPIKEWEAVE_IO_TARGET_MISSING)
#define SPIKEWEAVE_IO_TARGET_MISSING  // one error, not one per io/ header
#error "spikeweave/io/state.hpp needs the CMake target spikeweave::io (its library reads and writes the files; it links zlib, Boost.Serialization, Boost.Iostreams and, where found, HDF5): target_link_libraries(<your target> PRIVATE spikeweave::io); without CMake, define SPIKEWEAVE_WITH_IO, compile one .cpp that includes <spikeweave/io/implementation.hpp> and link those libraries (docs/building.md)"
#endif

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../model/neuron.hpp"
#include "../model/reflect.hpp"
#include "../model/synapse.hpp"
#include "../version.hpp"
#include "array_file.hpp"
#include "detail/metadata.hpp"
#include "detail/state_checks.hpp"

namespace spikeweave {

namespace io {

/// A fingerprint of a model: names and types of its parameters and variables,
/// and for a rate-coded synapse that it is one and what it reads (so that a
/// spiking static_synapse and a rate_synapse, both one `w`, differ).
template <class Model, class Variables>
std::string model_fingerprint() {
  std::string code = reflect::type_code<typename Model::parameters>() + reflect::type_code<Variables>();
  if constexpr (requires { Model::source.view(); })
    if constexpr (model::rate_coded<Model, double>) code += "|rate_coded:" + std::string(Model::source.view());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(reflect::detail::fnv1a(0xcbf29ce484222325ULL, code)));
  return hex;
}

struct state_io {
  static constexpr int format_version = 1;

  /// Saves to `path` in the format its extension names.
  template <class Net>
  static void save(Net& net, const std::string& path, const state_options& o) {
    // One save_to for every format: the formats are compiled once, in spikeweave::io's library (array_file.hpp).
    const array_format format = array_format_of(path);
    if (format == array_format::unknown)
      throw io_error(path + ": state files are " + formats + ", or a .mat export; '" +
                     std::filesystem::path(path).extension().string() + "' is not one of them");
    const auto out = open_array_writer(path, format, {.compress = o.compress});
    save_to(*out, net, o);
  }

  /// True when every value of `v` is the same (compared without branches: a pass over 10^7 values in milliseconds).
  template <class T>
  static bool all_equal(const std::vector<T>& v) {
    std::uint32_t differ = 0;
    for (const T& x : v) differ |= static_cast<std::uint32_t>(x != v.front());
    return differ == 0;
  }

  /// `in`, reading large entries on the threads of `net`.
  template <class Net, class Reader>
  static Reader&& on_threads_of(Net& net, Reader&& in) {
    in.set_parallel([&team = net.team()](std::size_t n, const std::function<void(std::size_t)>& f) {
      team.for_each(n, f);
    });
    return std::forward<Reader>(in);
  }

  /// Loads from `path` in the format its extension names.
  template <class Net>
  static state_report load(Net& net, const std::string& path, const state_options& o) {
    return load_from(*open_reader(net, path), path, net, o);
  }

  /// Reads and checks `path` against the network as load() does, without
  /// changing anything: what would be loaded, what is missing and what is
  /// unexpected. Differences a load cannot bridge (sizes, dtypes, dt,
  /// precision) still throw mismatch_error.
  template <class Net>
  static state_report check(Net& net, const std::string& path, state_options o) {
    o.strict = false;
    o.verbose = false;
    return load_from(*open_reader(net, path), path, net, o, false);
  }

  /// Writes the state through `out` (array_file_writer, npz_writer or anything with its add / add_string / close).
  template <class Writer, class Net>
  static void save_to(Writer& out, Net& net, const state_options& o) {
    using real = typename Net::real_type;
    if constexpr (requires { out.path(); })
      check_only(net, o, out.path(), nullptr);
    else
      check_only(net, o, "state", nullptr);
    const detail::metadata_document document;
    const detail::metadata_ref meta = document.root();
    meta.set("format", "spikeweave-state");
    meta.set("version", format_version);
    meta.set("library", version);
    meta.set("precision", npy_dtype<real>());
    meta.set("dt", net.dt());
    meta.set("seed", net.seed());
    meta.set("step", net.current_step());
    meta.set("time", net.current_time());
    const detail::metadata_ref clock_units = meta.object("units");
    clock_units.set("dt", "ms");
    clock_units.set("time", "ms");
    for (const char* section : {"constants", "populations", "projections", "monitors"}) meta.object(section);
    // Units of each population's variables, to resolve "{target}" in the units of synapse variables.
    std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> variable_units;
    net.for_each_population([&](auto& pop) {
      using N = typename std::remove_cvref_t<decltype(pop)>::model_type;
      auto& units = variable_units[std::string(pop.name())];
      reflect::for_each_field(pop.columns(), [&](std::string_view v, const auto&) { units[std::string(v)] = model::unit<N>(v); });
    });
    for (const auto& [name, value] : net.constants()) meta["constants"].set(name, value);
    if (o.populations)
      net.for_each_population([&](auto& pop) {
        if (!o.selects(pop.name())) return;
        using P = std::remove_cvref_t<decltype(pop)>;
        const std::string at = "populations/" + std::string(pop.name()) + "/";
        const detail::metadata_ref m = meta["populations"].object(pop.name());
        m.set("size", pop.size());
        m.set("model", model_fingerprint<typename P::model_type, typename P::template variables_type<double>>());
        m.set("model_name", model::name_of<typename P::model_type>());
        const detail::metadata_ref units = m.object("units");  // in the order of the variables
        reflect::for_each_field(pop.columns(), [&](std::string_view v, const auto&) {
          units.set(v, model::unit<typename P::model_type>(v));
        });
        units.set("refractory", "steps");
        detail::put_fields(m.object("parameters"), pop.parameters());
        reflect::for_each_field(pop.columns(), [&](std::string_view v, const auto& c) { out.add(at + std::string(v), c.span()); });
        out.add(at + "refractory", pop.refractory_counter().span());
        out.add(at + "spikes", std::vector<std::uint32_t>(pop.spikes().begin(), pop.spikes().end()));
        out.add(at + "spike_count", std::vector<std::uint64_t>{pop.spike_count()});
        describe(out, "populations/" + std::string(pop.name()), m);
      });
    if (o.projections)
      net.for_each_projection([&](auto& proj) {
        if (!o.selects(proj.name())) return;
        using J = std::remove_cvref_t<decltype(proj)>;
        using S = typename J::model_type;
        const std::string at = "projections/" + std::string(proj.name()) + "/";
        // "{target}" in a unit stands for the unit of the target variable (w of a static synapse is added to it).
        const auto post_units = variable_units.find(J::post_name.view());
        const std::string target_unit = post_units == variable_units.end() ? std::string()
                                        : post_units->second.contains(J::target_name.view())
                                            ? post_units->second.find(J::target_name.view())->second
                                            : std::string();
        auto resolve = [&](std::string_view unit) {
          std::string u(unit);
          for (auto k = u.find("{target}"); k != std::string::npos; k = u.find("{target}", k + target_unit.size()))
            u.replace(k, 8, target_unit);
          return u;
        };
        const detail::metadata_ref m = meta["projections"].object(proj.name());
        m.set("pre", J::pre_name.view());
        m.set("post", J::post_name.view());
        m.set("target", J::target_name.view());
        m.set("synapses", proj.size());
        m.set("learning", proj.learning());
        m.set("model", model_fingerprint<typename J::model_type, typename J::template variables_type<double>>());
        m.set("model_name", model::name_of<S>());
        const detail::metadata_ref units = m.object("units");
        reflect::for_each_field(proj.columns(), [&](std::string_view v, const auto&) { units.set(v, resolve(model::unit<S>(v))); });
        units.set("delay", "steps");
        units.set("transit_step", "steps");
        reflect::for_each_field(proj.pre_traces(), [&](std::string_view v, const auto&) {
          units.set("pre_trace/" + std::string(v), resolve(model::pre_trace_unit<S>(v)));
        });
        reflect::for_each_field(proj.post_traces(), [&](std::string_view v, const auto&) {
          units.set("post_trace/" + std::string(v), resolve(model::post_trace_unit<S>(v)));
        });
        detail::put_fields(m.object("parameters"), proj.parameters());
        out.add(at + "pre", proj.pre());
        out.add(at + "post", proj.post());
        reflect::for_each_field(proj.columns(), [&](std::string_view v, const auto& c) { out.add(at + std::string(v), c); });
        out.add(at + "delay", proj.delays());
        std::vector<std::uint64_t> steps;
        std::vector<std::uint32_t> pres;
        for (const auto& [s, i] : proj.spikes_in_transit(net.current_step())) {
          steps.push_back(s);
          pres.push_back(i);
        }
        out.add(at + "transit_step", steps);
        out.add(at + "transit_pre", pres);
        reflect::for_each_field(proj.pre_traces(), [&](std::string_view v, const auto& c) { out.add(at + "pre_trace/" + std::string(v), c); });
        reflect::for_each_field(proj.post_traces(), [&](std::string_view v, const auto& c) { out.add(at + "post_trace/" + std::string(v), c); });
        if constexpr (J::event_driven || J::event_driven_pre || J::event_driven_post) {  // how far event-driven state lags
          const auto ages = proj.ages();
          auto add = [&](const char* entry, const auto& values) { out.add(at + entry, values), m["units"].set(entry, "steps"); };
          if constexpr (J::event_driven) add("event_age", ages.synapses), m.set("learning_steps", ages.learning_steps);
          if constexpr (J::event_driven_pre) add("pre_trace_age", ages.pre);
          if constexpr (J::event_driven_post) add("post_trace_age", ages.post);
        }
        describe(out, "projections/" + std::string(proj.name()), m);
      });
    if (o.monitors)
      net.for_each_monitor([&](auto& mon) {
        if (!o.selects(mon.name())) return;
        using M = std::remove_cvref_t<decltype(mon)>;
        const std::string at = "monitors/" + std::string(mon.name()) + "/";
        const detail::metadata_ref m = meta["monitors"].object(mon.name());
        m.set("kind", M::kind);
        m.set("population", M::population_name.view());
        m.set("recording", mon.recording());
        m.object("units").set("steps", "steps");
        out.add(at + "steps", mon.steps());
        if constexpr (std::string_view(M::kind) == "spike") {
          out.add(at + "indices", mon.index_data());
        } else if constexpr (std::string_view(M::kind) == "state") {
          m.set("variables", mon.variables());
          out.add(at + "neurons", mon.neurons());
          const auto known = variable_units.find(M::population_name.view());
          for (const auto& v : mon.variables())
            m["units"].set(v, known == variable_units.end() || !known->second.contains(v) ? std::string() : known->second.find(v)->second);
          for (const auto& v : mon.variables()) {
            const auto data = mon.data(v);
            out.add(at + v, std::span<const double>(data.data(), data.size()),
                    {static_cast<std::uint64_t>(data.shape()[0]), static_cast<std::uint64_t>(data.shape()[1])});
          }
        } else {
          out.add(at + "rates", mon.rate_data());
          m["units"].set("rates", "Hz");
        }
        describe(out, "monitors/" + std::string(mon.name()), m);
      });
    const std::string text = meta.dump();
    out.add_string("metadata", text);
    if constexpr (requires { out.add_attribute("/", "metadata", text); }) {
      if constexpr (requires { out.takes_attributes(); }) {
        if (out.takes_attributes()) out.add_attribute("/", "metadata", text);
      } else {
        out.add_attribute("/", "metadata", text);
      }
    }
    out.close();
  }

  /// Reads a state through `in` (array_file_reader, npz_reader or anything with its contains /
  /// info / read / read_string / names), checks it whole, then (if `apply`)
  /// changes the network. Returns what was loaded, missing and unexpected.
  template <class Reader, class Net>
  static state_report load_from(const Reader& in, const std::string& path, Net& net, const state_options& o,
                                bool apply = true) try {
    using real = typename Net::real_type;
    if (!in.contains("metadata")) throw format_error(path + ": no 'metadata' entry: not a spikeweave state file");
    // At most max_metadata_bytes (read_string) and max_json_depth deep (parse_json): format_error otherwise.
    const detail::metadata_document document = detail::metadata_document::parse(in.read_string("metadata"), path + ": metadata");
    const detail::metadata_ref meta = document.root();
    if (!meta.is_object() || meta.value_string("format", "") != "spikeweave-state")
      throw format_error(path + ": metadata says format '" + (meta.is_object() ? meta.value_string("format", "") : "") +
                         "', not 'spikeweave-state'");
    if (meta.value_int("version", 0) != format_version)
      throw format_error(path + ": state format version " + std::to_string(meta.value_int("version", 0)) +
                         ", this library reads version " + std::to_string(format_version));
    for (const char* section : {"populations", "projections", "monitors", "constants"})
      if (!meta[section].is_object()) meta[section].make_object();  // "monitors" is absent when none were saved
    check_only(net, o, path, &meta);

    reading<Reader> r(in, o);
    std::vector<std::function<void()>> commits;
    if (meta.value_double("dt", 0.0) != net.dt())
      r.differs("dt = " + spikeweave::detail::number(meta.value_double("dt", 0.0)) + " ms in the file, " +
                spikeweave::detail::number(net.dt()) + " ms in the network");
    if (meta.value_string("precision", "") != npy_dtype<real>())
      r.differs("precision '" + meta.value_string("precision", "") + "' in the file, '" + npy_dtype<real>() + "' in the network");
    const std::uint64_t now = meta.value_u64("step", 0);
    // The clock: random numbers are keyed by the step, which they allow up to 2^48; time is step * dt.
    if (now >= max_step)
      r.differs("step = " + std::to_string(now) + ", must be below 2^48 = " + std::to_string(max_step) +
                " (the counter-based random numbers' limit)");
    if (const auto t = meta.find("time"); t && t->is_number()) {
      const double time = t->get_double(), dt = meta.value_double("dt", 0.0), expected = static_cast<double>(now) * dt;
      if (!(std::abs(time - expected) <= 1e-9 * std::max(1.0, std::abs(expected))))
        r.differs("time = " + spikeweave::detail::number(time) + " ms, must be step * dt = " + std::to_string(now) + " * " +
                  spikeweave::detail::number(dt) + " = " + spikeweave::detail::number(expected) + " ms");
    }

    std::map<std::string, std::size_t> sizes;
    net.for_each_population([&](auto& pop) { sizes[std::string(pop.name())] = pop.size(); });

    if (o.populations) {
      r.foreign(meta["populations"], "population", [&](const std::string& n) { return sizes.contains(n); });
      net.for_each_population([&](auto& pop) {
        if (!o.selects(pop.name())) return;
        using P = std::remove_cvref_t<decltype(pop)>;
        const std::string name(pop.name()), at = "populations/" + name + "/";
        const auto m = meta["populations"].find(name);
        if (!m) return r.absent("population '" + name + "'");
        const auto n = m->value_u64("size", 0);
        if (n != pop.size())
          return r.reject("population '" + name + "' has " + std::to_string(n) + " neurons in the file, " +
                              std::to_string(pop.size()) + " in the network",
                          at);
        using N = typename P::model_type;
        const std::string who = "population '" + name + "'";
        r.same_model(*m, model_fingerprint<N, typename P::template variables_type<double>>(), who);
        auto params = pop.parameters();
        // Broken parameters: that rule is the error, not every entry of the population left unread.
        if (!r.parameters(params, (*m)["parameters"], at + "parameters",
                          [](const auto& q) { P::validate(q); }))
          return r.skip(at);
        auto columns = pop.columns();
        bool ok = true;
        reflect::for_each_field(columns, [&](std::string_view v, auto& c) {
          std::vector<real> values;
          const auto got = r.fetch(at + std::string(v), n, values);
          if (got == fetched::ok) {
            if (!model::may_be_non_finite<N>(v)) ok = r.finite(who, v, values, net.team()) && ok;
            std::copy(values.begin(), values.end(), c.begin());
          }
          ok = ok && got != fetched::bad;
        });
        auto refractory = pop.refractory_counter();
        std::vector<real> counters(refractory.begin(), refractory.begin() + refractory.size());  // empty: no refractoriness
        std::vector<std::uint32_t> spikes(pop.spikes().begin(), pop.spikes().end());
        std::vector<std::uint64_t> count{pop.spike_count()};
        const auto got_counters = r.fetch(at + "refractory", counters.size(), counters);
        ok = got_counters != fetched::bad && ok;
        if (got_counters == fetched::ok && !counters.empty()) {
          // Whole steps left, at most what the file's t_ref allows or 2^24 (a t_ref lowered while neurons
          // were refractory leaves longer counts; single precision counts down exactly up to 2^24).
          double most = 16777216;
          if constexpr (model::has_refractory<N>) most = std::max(most, std::floor(N::refractory(params) / net.dt() + 1e-3));
          ok = r.counters(who, counters, most) && ok;
        }
        ok = r.fetch(at + "spikes", any, spikes) != fetched::bad && ok;
        ok = r.fetch(at + "spike_count", 1, count) != fetched::bad && ok;
        for (std::size_t k = 0; k < spikes.size(); ++k)  // in range and ascending, as the population keeps them
          if (spikes[k] >= n || (k > 0 && spikes[k] <= spikes[k - 1]))
            ok = false, r.differs("'" + at + "spikes' holds neuron " + std::to_string(spikes[k]) + " of " + std::to_string(n) +
                                  (spikes[k] < n ? ", out of order" : ""));
        if (!ok) return;
        std::copy(counters.begin(), counters.end(), refractory.begin());
        refractory.fill_padding();
        commits.push_back([&pop, params, columns = std::move(columns), refractory = std::move(refractory),
                           spikes = std::move(spikes), c = count[0]]() mutable {
          pop.set_parameters(params);
          pop.restore(columns, refractory, std::move(spikes), c);
        });
      });
    }

    if (o.projections) {
      r.foreign(meta["projections"], "projection", [&](const std::string& n) {
        bool known = false;
        net.for_each_projection([&](auto& proj) { known = known || proj.name() == n; });
        return known;
      });
      net.for_each_projection([&](auto& proj) {
        if (!o.selects(proj.name())) return;
        using J = std::remove_cvref_t<decltype(proj)>;
        const std::string name(proj.name()), at = "projections/" + name + "/";
        const auto m = meta["projections"].find(name);
        if (!m) return r.absent("projection '" + name + "'");
        if (m->value_string("pre", "") != J::pre_name.view() || m->value_string("post", "") != J::post_name.view())
          return r.reject("projection '" + name + "' connects " + m->value_string("pre", "") + " -> " + m->value_string("post", "") +
                           " in the file, " + std::string(J::pre_name.view()) + " -> " +
                           std::string(J::post_name.view()) + " in the network",
                          at);
        if (m->value_string("target", "") != J::target_name.view())
          return r.reject("projection '" + name + "' acts on '" + m->value_string("target", "") + "' in the file, on '" +
                              std::string(J::target_name.view()) + "' in the network",
                          at);
        using S = typename J::model_type;
        const std::string who = "projection '" + name + "'";
        r.same_model(*m, model_fingerprint<S, typename J::template variables_type<double>>(), who);
        auto params = proj.parameters();
        if (!r.parameters(params, (*m)["parameters"], at + "parameters",
                          [&proj](const auto& q) { proj.validate(q); }))
          return r.skip(at);
        const std::uint64_t n = m->value_u64("synapses", 0);
        const std::size_t n_pre = sizes[std::string(J::pre_name.view())], n_post = sizes[std::string(J::post_name.view())];
        std::vector<std::uint32_t> pre, post, transit_pre;
        std::vector<std::uint16_t> delay;
        std::vector<std::uint64_t> transit_step;
        bool ok = r.fetch(at + "pre", n, pre, true) == fetched::ok;  // no connectivity: nothing to continue
        ok = r.fetch(at + "post", n, post, true) == fetched::ok && ok;
        ok = r.fetch(at + "delay", n, delay, true) == fetched::ok && ok;
        ok = r.fetch(at + "transit_step", any, transit_step) != fetched::bad && ok;
        ok = r.fetch(at + "transit_pre", transit_step.size(), transit_pre) != fetched::bad && ok;
        if (transit_pre.size() != transit_step.size()) transit_step.clear(), transit_pre.clear();
        typename J::columns_type columns;
        reflect::for_each_field_of([&](std::string_view v, auto& c, const auto& current) {
          const auto got = r.fetch(at + std::string(v), n, c);
          ok = ok && got != fetched::bad;
          if (got == fetched::ok && !model::may_be_non_finite<S>(v)) ok = r.finite(who, v, c, net.team()) && ok;
          if (got != fetched::absent) return;
          // Missing synapse variables keep their values only where the synapses stay the same.
          if (ok && pre == proj.pre() && std::equal(post.begin(), post.end(), proj.post().begin(), proj.post().end()))
            c.assign(current.begin(), current.end());
          else if (ok)
            ok = false, r.differs("'" + at + std::string(v) + "' is missing and the file's synapses are not the network's: " +
                                  "no value to keep");
        }, columns, proj.columns());
        typename J::pre_trace_columns pre_traces = proj.pre_traces();
        typename J::post_trace_columns post_traces = proj.post_traces();
        auto trace = [&](const std::string& v, std::size_t count, auto& c) {
          const auto got = r.fetch(at + v, count, c);
          ok = got != fetched::bad && ok;
          if (got == fetched::ok && !model::may_be_non_finite<S>(v)) ok = r.finite(who, v, c, net.team()) && ok;
        };
        reflect::for_each_field(pre_traces, [&](std::string_view v, auto& c) { trace("pre_trace/" + std::string(v), n_pre, c); });
        reflect::for_each_field(post_traces, [&](std::string_view v, auto& c) { trace("post_trace/" + std::string(v), n_post, c); });
        // Ages of event-driven state; absent (a file from before it was event-driven): up to date.
        typename J::event_ages ages;
        auto age = [&](const char* entry, std::uint64_t count, auto& values) {
          values.assign(count, 0);
          if (in.contains(at + entry)) ok = r.fetch(at + entry, count, values) != fetched::bad && ok;
        };
        if constexpr (J::event_driven) age("event_age", n, ages.synapses), ages.learning_steps = m->value_u64("learning_steps", ages.learning_steps);
        if constexpr (J::event_driven_pre) age("pre_trace_age", n_pre, ages.pre);
        if constexpr (J::event_driven_post) age("post_trace_age", n_post, ages.post);
        if (!ok) return;
        // Indices in range, rows in order, delays at least one step: checked
        // without branches first, then (only if not) synapse by synapse for the message.
        std::uint32_t post_max = 0, descends = 0, zero_delay = 0;
        std::uint16_t longest = n == 0 ? 1 : 0;  // the longest delay (a projection without synapses keeps one step)
        for (std::size_t k = 0; k < n; ++k) post_max = std::max(post_max, post[k]);
        for (std::size_t k = 1; k < n; ++k) descends |= static_cast<std::uint32_t>(pre[k] < pre[k - 1]);
        for (std::size_t k = 0; k < n; ++k) zero_delay |= static_cast<std::uint32_t>(delay[k] == 0);
        for (std::size_t k = 0; k < n; ++k) longest = std::max(longest, delay[k]);
        const bool valid = n == 0 || (descends == 0 && zero_delay == 0 && pre[n - 1] < n_pre && post_max < n_post);
        for (std::size_t k = 0; k < n && !valid; ++k) {
          if (pre[k] >= n_pre || post[k] >= n_post || (k > 0 && pre[k] < pre[k - 1]) || delay[k] == 0)
            return r.differs("projection '" + name + "': synapse " + std::to_string(k) + " (pre " + std::to_string(pre[k]) +
                             ", post " + std::to_string(post[k]) + ", delay " + std::to_string(delay[k]) +
                             ") is out of range or out of order");
        }
        // A model with per-pre-neuron traces needs one delay for all synapses, as build() requires.
        if constexpr (model::has_pre_trace<typename J::model_type>)
          if (!all_equal(delay))
            return r.differs("projection '" + name + "': the synapse model keeps traces per pre-synaptic neuron, which "
                             "needs one delay for all synapses; the file has several");
        // Spikes in transit were emitted in the last `longest` steps (older ones have reached every synapse; the
        // projection would drop them), by neurons of the pre population, ordered by step then neuron, each once.
        const std::uint64_t oldest = now > longest ? now - longest : 0;
        for (std::size_t k = 0; k < transit_step.size(); ++k) {
          const std::uint64_t s = transit_step[k];
          const std::uint32_t i = transit_pre[k];
          const bool in_time = s >= oldest && s < now;
          const bool ordered = k == 0 || s > transit_step[k - 1] || (s == transit_step[k - 1] && i > transit_pre[k - 1]);
          if (!in_time || i >= n_pre || !ordered)
            return r.differs(who + ": spike in transit " + std::to_string(k) + " (neuron " + std::to_string(i) +
                             ", step " + std::to_string(s) + ") " +
                             (!in_time ? "must be emitted in steps [" + std::to_string(oldest) + ", " + std::to_string(now) +
                                             "): the file's step is " + std::to_string(now) + " and its longest delay " +
                                             std::to_string(longest) + " steps"
                              : i >= n_pre ? "must be a neuron of the " + std::to_string(n_pre) + " of '" +
                                                 std::string(J::pre_name.view()) + "'"
                                           : "is out of order: spikes in transit go by step, then neuron, each once"));
        }
        const auto learning = m->find("learning");
        const bool learns = learning && learning->is_boolean() ? learning->get_bool() : proj.learning();
        // pre ascends: row i starts at the first synapse whose pre is i or more.
        std::vector<std::uint64_t> row_ptr(n_pre + 1, n);
        row_ptr[0] = 0;
        for (std::size_t i = 1; i < n_pre; ++i)
          row_ptr[i] = static_cast<std::uint64_t>(
              std::lower_bound(pre.begin() + static_cast<std::ptrdiff_t>(row_ptr[i - 1]), pre.end(),
                               static_cast<std::uint32_t>(i)) -
              pre.begin());
        std::vector<std::pair<std::uint64_t, std::uint32_t>> transit;
        for (std::size_t k = 0; k < transit_step.size(); ++k) transit.emplace_back(transit_step[k], transit_pre[k]);
        commits.push_back([&proj, &net, params, row_ptr = std::move(row_ptr), post = std::move(post), columns = std::move(columns),
                           delay = std::move(delay), transit = std::move(transit), now, pre_traces = std::move(pre_traces),
                           post_traces = std::move(post_traces), n_post, learns, ages = std::move(ages)]() mutable {
          proj.set_parameters(params);
          proj.restore(std::move(row_ptr), std::move(post), std::move(columns), delay, transit, now,
                       std::move(pre_traces), std::move(post_traces), n_post, net.team(), std::move(ages));
          learns ? proj.enable_learning() : proj.disable_learning();
        });
      });
    }

    if (o.monitors) {
      r.foreign(meta["monitors"], "monitor", [&](const std::string& n) {
        bool known = false;
        net.for_each_monitor([&](auto& mon) { known = known || mon.name() == n; });
        return known;
      });
      net.for_each_monitor([&](auto& mon) {
        if (!o.selects(mon.name())) return;
        using M = std::remove_cvref_t<decltype(mon)>;
        const std::string name(mon.name()), at = "monitors/" + name + "/";
        const auto m = meta["monitors"].find(name);
        if (!m) return r.absent("monitor '" + name + "'");
        if (m->value_string("kind", "") != M::kind || m->value_string("population", "") != M::population_name.view())
          return r.reject("monitor '" + name + "' is a " + m->value_string("kind", "") + " monitor of '" +
                           m->value_string("population", "") + "' in the file, a " + M::kind + " monitor of '" +
                           std::string(M::population_name.view()) + "' in the network",
                          at);
        const bool recording = m->value_bool("recording", mon.recording());
        std::vector<std::uint64_t> steps;
        if (r.fetch(at + "steps", any, steps, true) != fetched::ok) return;
        for (auto s : steps)
          if (s > now) return r.differs("'" + at + "steps' holds step " + std::to_string(s) + ", after the file's step " +
                                        std::to_string(now));
        if constexpr (std::string_view(M::kind) == "spike") {
          std::vector<std::uint32_t> indices;
          if (r.fetch(at + "indices", steps.size(), indices, true) != fetched::ok) return;
          const std::size_t size = sizes[std::string(M::population_name.view())];
          for (auto i : indices)
            if (i >= size) return r.differs("'" + at + "indices' holds neuron " + std::to_string(i) + " of " + std::to_string(size));
          commits.push_back([&mon, steps = std::move(steps), indices = std::move(indices), recording]() mutable {
            mon.restore(std::move(steps), std::move(indices));
            recording ? mon.resume() : mon.pause();
          });
        } else if constexpr (std::string_view(M::kind) == "state") {
          std::vector<std::uint32_t> neurons;
          if (r.fetch(at + "neurons", any, neurons, true) != fetched::ok) return;
          if (neurons != mon.neurons() || !m->value_is("variables", mon.variables()))
            return r.differs("monitor '" + name + "' records other neurons or variables in the file than in the network");
          const std::size_t nn = neurons.size(), nv = mon.variables().size();
          std::vector<double> values(steps.size() * nv * nn);
          for (std::size_t v = 0; v < nv; ++v) {
            std::vector<double> data;
            if (r.fetch(at + mon.variables()[v], steps.size() * nn, data, true) != fetched::ok) return;
            for (std::size_t k = 0; k < steps.size(); ++k)
              std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(k * nn), nn,
                          values.begin() + static_cast<std::ptrdiff_t>((k * nv + v) * nn));
          }
          commits.push_back([&mon, steps = std::move(steps), values = std::move(values), recording]() mutable {
            mon.restore(std::move(steps), std::move(values));
            recording ? mon.resume() : mon.pause();
          });
        } else {
          std::vector<double> rates;
          if (r.fetch(at + "rates", steps.size(), rates, true) != fetched::ok) return;
          commits.push_back([&mon, steps = std::move(steps), rates = std::move(rates), recording]() mutable {
            mon.restore(std::move(steps), std::move(rates));
            recording ? mon.resume() : mon.pause();
          });
        }
      });
    }

    r.unexpected_entries(in.names());
    r.throw_problems(path);
    // Read before anything changes: a value of the wrong type throws here, not halfway through the commits.
    const std::uint64_t seed = meta.value_u64("seed", net.seed());
    std::vector<std::pair<std::string, double>> constants;
    for (const auto& key : meta["constants"].keys())
      if (const auto value = meta["constants"][key]; value.is_number()) constants.emplace_back(key, value.get_double());
    if (!apply) return std::move(r.report);
    for (auto& commit : commits) commit();
    net.restore_clock(now, seed, constants);
    if (o.verbose) r.print(path);
    return std::move(r.report);
  } catch (const detail::metadata_error& e) {  // a metadata value of the wrong type (json::value), before any change
    throw format_error(path + ": metadata: " + e.what());
  }

 private:
  static constexpr const char* formats = ".npz, .h5, .bin, .txt or .xml (each of the last three optionally .gz)";
  static constexpr std::uint64_t any = ~std::uint64_t{0};  // an entry of any length
  static constexpr std::uint64_t max_step = std::uint64_t{1} << 48;  // random::bits: steps below 2^48
  using fetched = detail::fetched;

  // A reader of `path` in the format its extension names, reading large entries on the threads of `net`.
  template <class Net>
  static std::unique_ptr<array_file_reader> open_reader(Net& net, const std::string& path) {
    const array_format format = array_format_of(path);
    if (format == array_format::mat)
      throw io_error(path + ": .mat files are an export (as in ANNarchy); load the .npz state instead");
    if (format == array_format::unknown)
      throw io_error(path + ": state files are " + formats + "; '" + std::filesystem::path(path).extension().string() +
                     "' is not one of them");
    auto in = open_array_reader(path, format);
    if (format != array_format::h5) on_threads_of(net, *in);
    return in;
  }

  // inf or NaN, told by the exponent bits (so also under -ffast-math, and without branches).
  template <class T>
  static bool non_finite(T x) {
    using bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    constexpr auto exponent = static_cast<bits>(sizeof(T) == 8 ? 0x7ff0000000000000ULL : 0x7f800000ULL);
    return (std::bit_cast<bits>(x) & exponent) == exponent;
  }
  // True when every value is finite; pieces of 2^20 values on the threads of `team`. The exponent bits plus
  // their lowest bit carry into the top bit only when they are all set (inf, NaN): and, add and or, which
  // compilers vectorise with SSE2 already (a compare of 64-bit lanes would need SSE4.1).
  template <class T, class Team>
  static bool all_finite(std::span<const T> v, Team& team) {
    using bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
    constexpr auto exponent = static_cast<bits>(sizeof(T) == 8 ? 0x7ff0000000000000ULL : 0x7f800000ULL);
    constexpr bits lowest = exponent & ~(exponent << 1);
    constexpr std::size_t piece = std::size_t{1} << 20;
    const std::size_t pieces = (v.size() + piece - 1) / piece;
    std::vector<std::uint8_t> bad(pieces, 0);
    auto check = [&](std::size_t p) {
      const T* x = v.data() + p * piece;
      const std::size_t count = std::min(piece, v.size() - p * piece);
      bits found = 0;
      for (std::size_t k = 0; k < count; ++k) found |= (std::bit_cast<bits>(x[k]) & exponent) + lowest;
      bad[p] = (found >> (8 * sizeof(bits) - 1)) != 0;
    };
    if (pieces > 1 && team.threads() > 1)
      team.for_each(pieces, check);
    else
      for (std::size_t p = 0; p < pieces; ++p) check(p);
    return std::none_of(bad.begin(), bad.end(), [](std::uint8_t b) { return b != 0; });
  }

  // Names in `.only` that are no element of the network, or of a kind the options leave out: a config_error
  // (detail::check_only) before anything is read or written.
  template <class Net>
  static void check_only(Net& net, const state_options& o, const std::string& path, const detail::metadata_ref* meta) {
    if (o.only.empty()) return;
    std::vector<detail::state_element> elements;
    net.for_each_population([&](auto& e) { elements.push_back({std::string(e.name()), "population", o.populations}); });
    net.for_each_projection([&](auto& e) { elements.push_back({std::string(e.name()), "projection", o.projections}); });
    net.for_each_monitor([&](auto& e) { elements.push_back({std::string(e.name()), "monitor", o.monitors}); });
    detail::check_only(elements, o, path, meta);
  }

  // .h5: the model's name on the element's group, the unit on each of its datasets (strings h5py reads as str).
  template <class Writer>
  static void describe(Writer& out, const std::string& group, detail::metadata_ref m) {
    if constexpr (requires { out.add_attribute(group, "model", ""); }) {
      if constexpr (requires { out.takes_attributes(); })
        if (!out.takes_attributes()) return;
      if (const auto name = m.find("model_name")) out.add_attribute(group, "model", name->get_string());
      const detail::metadata_ref units = m["units"];
      for (const auto& key : units.keys()) out.add_attribute(group + "/" + key, "units", units[key].get_string());
    }
  }

  // The checks of one load (detail::state_checks, compiled once) and what depends on the reader and the types.
  template <class Reader>
  struct reading : detail::state_checks {
    const Reader& in;
    reading(const Reader& reader, const state_options& options) : detail::state_checks(options), in(reader) {}

    // Every value of variable `v` of `who` finite: one pass without branches (on the threads of `team`), the
    // first culprit searched only when there is one.
    template <class T, class Team>
    bool finite(const std::string& who, std::string_view v, const std::vector<T>& values, Team& team) {
      if (all_finite(std::span<const T>(values), team)) return true;
      culprit(who, v, values, [](T x) { return non_finite(x); }, "must be finite");
      return false;
    }
    // Refractory counters: whole numbers of steps in [0, most].
    template <class T>
    bool counters(const std::string& who, const std::vector<T>& values, double most) {
      auto bad = [hi = static_cast<T>(most)](T x) { return !(x >= T(0) && x <= hi && x == std::floor(x)); };
      std::uint32_t any_bad = 0;
      for (const T& x : values) any_bad |= static_cast<std::uint32_t>(bad(x));
      if (any_bad == 0) return true;
      culprit(who, "refractory", values, bad, "must be a whole number of steps in [0, " + spikeweave::detail::number(most) + "]");
      return false;
    }
    // The first value of `v` that breaks `rule`, and how many others do.
    template <class T, class Bad>
    void culprit(const std::string& who, std::string_view v, const std::vector<T>& values, Bad bad, const std::string& rule) {
      std::size_t first = values.size(), others = 0;
      for (std::size_t k = 0; k < values.size(); ++k)
        if (bad(values[k])) first == values.size() ? void(first = k) : void(++others);
      detail::state_checks::culprit(who, v, first, static_cast<double>(values[first]), others, rule);
    }
    // Parameters from the file onto `p`, checked by the model's rules (`validate`); members the file lacks keep
    // their values.
    template <class Parameters, class Validate>
    bool parameters(Parameters& p, detail::metadata_ref file, const std::string& at, Validate validate) {
      const detail::metadata_document copy(file);
      const detail::metadata_ref values = copy.root();
      if (!values.is_object()) values.make_object();
      reflect::for_each_field(p, [&](std::string_view name, const auto&) {
        if (!values.contains(name)) absent("'" + at + "/" + std::string(name) + "'", at + "/" + std::string(name));
      });
      for (const auto& key : values.keys())
        if (!reflect::has_field<Parameters>(key)) {
          extra("'" + at + "/" + key + "' is in the file but not a parameter of the model", at + "/" + key);
          values.erase(key);
        }
      if (const std::string bad = detail::assign(p, values, at); !bad.empty()) return differs(bad), false;
      try {
        validate(p);  // here, not when the network is changed: a bad value must change nothing
      } catch (const config_error& e) {
        return broken_parameters(e.what()), false;
      }
      return true;
    }
    // Reads entry `name` as T with `count` values (any: any length).
    template <class T>
    fetched fetch(const std::string& name, std::uint64_t count, std::vector<T>& out, bool required = false) {
      expected.push_back(name);
      if (!in.contains(name)) return missing_entry(name, required);
      if (!entry_fits(name, in.info(name), npy_dtype<T>(), count, count == any)) return fetched::bad;
      out = in.template read<T>(name);
      report.loaded.push_back(name);
      return fetched::ok;
    }
  };
};


/// BrainPy's check_missing: what loading `path` into `net` would load, and
/// what is missing or unexpected, without changing anything.
template <class Net>
state_report check_state(Net& net, const std::filesystem::path& path, const state_options& options = {}) {
  return state_io::check(net, path.string(), options);
}

}  // namespace io
}  // namespace spikeweave
