// Full-state save and load (.npz): everything needed to continue a simulation bit for bit.
//
// Saved: time step, seed and constants; per population its parameters, every
// variable, the refractory counters, the spikes of the last step and the spike
// count; per projection its parameters, connectivity (pre, post), every
// synapse variable, the delay of every synapse (steps), the spikes in transit
// and the plasticity traces. Random numbers are counter-based, so the step and
// the seed are the whole generator state.
//
// Loading first reads and checks the whole file against the network (format,
// dt, precision, names, sizes, model fingerprints, variables, dtypes, index
// ranges); every difference is listed in one mismatch_error and nothing
// changes. Only then is the network changed. The connectivity in the file
// replaces the network's, as ANNarchy and NEST's restore do.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../model/reflect.hpp"
#include "../model/synapse.hpp"
#include "../version.hpp"
#include "archive.hpp"
#include "mat.hpp"
#include "npz.hpp"
#include "parameters.hpp"

namespace spikeweave {

/// What save and load cover (ANNarchy's flags), and how.
struct state_options {
  bool populations = true;  ///< neurons' variables and parameters
  bool projections = true;  ///< synapses, connectivity, spikes in transit, traces
  bool compress = true;     ///< deflate the .npz entries
  /// Only these populations and projections (ANNarchy's pop.save / proj.load);
  /// empty: all of them.
  std::vector<std::string> only;

  [[nodiscard]] bool selects(std::string_view name) const {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  }
};

namespace io {

/// A fingerprint of a model: names and types of its parameters and variables.
template <class Model, class Variables>
std::string model_fingerprint() {
  const std::string code = reflect::type_code<typename Model::parameters>() + reflect::type_code<Variables>();
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
    if (path.ends_with(".npz")) {
      npz_writer out(path, {.compress = o.compress});
      save_to(out, net, o);
      return;
    }
    if (is_archive_path(path)) {  // Boost.Serialization: .bin, .txt, .xml, each optionally .gz
      archive_writer out(path);
      save_to(out, net, o);
      out.close();
      return;
    }
    if (path.ends_with(".mat")) {  // an export for MATLAB and scipy.io.loadmat
      mat_writer out(path);
      save_to(out, net, o);
      out.close();
      return;
    }
    throw io_error(path + ": state files are .npz, .bin, .txt or .xml (each of the last three optionally .gz), or a .mat export; '" +
                   std::filesystem::path(path).extension().string() + "' is not supported yet");
  }

  /// Loads from `path` in the format its extension names.
  template <class Net>
  static void load(Net& net, const std::string& path, const state_options& o) {
    if (path.ends_with(".npz")) {
      npz_reader in(path);
      load_from(in, path, net, o);
      return;
    }
    if (is_archive_path(path)) {
      archive_reader in(path);
      load_from(in, path, net, o);
      return;
    }
    if (path.ends_with(".mat"))
      throw io_error(path + ": .mat files are an export (as in ANNarchy); load the .npz state instead");
    throw io_error(path + ": state files are .npz, .bin, .txt or .xml (each of the last three optionally .gz); '" +
                   std::filesystem::path(path).extension().string() + "' is not supported yet");
  }

  /// Writes the state through `out` (npz_writer or anything with its add / add_string / close).
  template <class Writer, class Net>
  static void save_to(Writer& out, Net& net, const state_options& o) {
    using real = typename Net::real_type;
    json meta = {{"format", "spikeweave-state"}, {"version", format_version}, {"library", version},
                 {"precision", npy_dtype<real>()}, {"dt", net.dt()},         {"seed", net.seed()},
                 {"step", net.current_step()},    {"time", net.current_time()}, {"constants", json::object()},
                 {"populations", json::object()}, {"projections", json::object()}};
    for (const auto& [name, value] : net.constants()) meta["constants"][name] = value;
    if (o.populations)
      net.for_each_population([&](auto& pop) {
        if (!o.selects(pop.name())) return;
        using P = std::remove_cvref_t<decltype(pop)>;
        const std::string at = "populations/" + std::string(pop.name()) + "/";
        meta["populations"][std::string(pop.name())] = {
            {"size", pop.size()},
            {"model", model_fingerprint<typename P::model_type, typename P::template variables_type<double>>()},
            {"parameters", to_json(pop.parameters())}};
        reflect::for_each_field(pop.columns(), [&](std::string_view v, const auto& c) { out.add(at + std::string(v), c.span()); });
        out.add(at + "refractory", pop.refractory_counter().span());
        out.add(at + "spikes", std::vector<std::uint32_t>(pop.spikes().begin(), pop.spikes().end()));
        out.add(at + "spike_count", std::vector<std::uint64_t>{pop.spike_count()});
      });
    if (o.projections)
      net.for_each_projection([&](auto& proj) {
        if (!o.selects(proj.name())) return;
        using J = std::remove_cvref_t<decltype(proj)>;
        const std::string at = "projections/" + std::string(proj.name()) + "/";
        meta["projections"][std::string(proj.name())] = {
            {"pre", std::string(J::pre_name.view())},
            {"post", std::string(J::post_name.view())},
            {"target", std::string(J::target_name.view())},
            {"synapses", proj.size()},
            {"model", model_fingerprint<typename J::model_type, typename J::template variables_type<double>>()},
            {"parameters", to_json(proj.parameters())}};
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
      });
    out.add_string("metadata", meta.dump());
    out.close();
  }

  /// Reads a state through `in` (npz_reader or anything with its contains /
  /// info / read / read_string / names), checks it whole, then applies it.
  template <class Reader, class Net>
  static void load_from(const Reader& in, const std::string& path, Net& net, const state_options& o) {
    using real = typename Net::real_type;
    if (!in.contains("metadata")) throw format_error(path + ": no 'metadata' entry: not a spikeweave state file");
    json meta;
    try {
      meta = json::parse(in.read_string("metadata"));
    } catch (const json::exception& e) {
      throw format_error(path + ": metadata: " + e.what());
    }
    if (meta.value("format", "") != "spikeweave-state")
      throw format_error(path + ": metadata says format '" + meta.value("format", "") + "', not 'spikeweave-state'");
    if (meta.value("version", 0) != format_version)
      throw format_error(path + ": state format version " + std::to_string(meta.value("version", 0)) +
                         ", this library reads version " + std::to_string(format_version));

    std::vector<std::string> problems;  // every difference, reported together
    std::vector<std::function<void()>> commits;
    auto differs = [&](const std::string& what) { problems.push_back(what); };
    if (meta.value("dt", 0.0) != net.dt())
      differs("dt = " + spikeweave::detail::number(meta.value("dt", 0.0)) + " ms in the file, " + spikeweave::detail::number(net.dt()) +
              " ms in the network");
    if (meta.value("precision", "") != npy_dtype<real>())
      differs("precision '" + meta.value("precision", "") + "' in the file, '" + npy_dtype<real>() + "' in the network");
    const std::uint64_t now = meta.value("step", std::uint64_t{0});

    // Reads entry `name` as T with `count` values, or notes why it cannot.
    auto fetch = [&]<class T>(std::type_identity<T>, const std::string& name, std::uint64_t count, std::vector<T>& out) {
      if (!in.contains(name)) return differs("'" + name + "' is missing"), false;
      const auto info = in.info(name);
      if (info.dtype != npy_dtype<T>())
        return differs("'" + name + "' has dtype '" + info.dtype + "', expected '" + npy_dtype<T>() + "'"), false;
      if (count != ~std::uint64_t{0} && info.size != count)
        return differs("'" + name + "' has " + std::to_string(info.size) + " values, expected " + std::to_string(count)), false;
      out = in.template read<T>(name);
      return true;
    };
    std::vector<std::string> expected_entries{"metadata"};

    std::map<std::string, std::size_t> sizes;
    net.for_each_population([&](auto& pop) { sizes[std::string(pop.name())] = pop.size(); });

    if (o.populations) {
      for (const auto& item : meta["populations"].items())
        if (o.selects(item.key()) && !sizes.contains(item.key()))
          differs("population '" + item.key() + "' is in the file, not in the network");
      net.for_each_population([&](auto& pop) {
        if (!o.selects(pop.name())) return;
        using P = std::remove_cvref_t<decltype(pop)>;
        const std::string name(pop.name()), at = "populations/" + name + "/";
        const auto m = meta["populations"].find(name);
        if (m == meta["populations"].end()) return differs("population '" + name + "' is missing from the file");
        const auto n = m->value("size", std::uint64_t{0});
        if (n != pop.size())
          return differs("population '" + name + "' has " + std::to_string(n) + " neurons in the file, " +
                         std::to_string(pop.size()) + " in the network");
        const auto fp = model_fingerprint<typename P::model_type, typename P::template variables_type<double>>();
        if (m->value("model", "") != fp)
          return differs("population '" + name + "': the file's model (fingerprint " + m->value("model", "") +
                         ") is not the network's (" + fp + ")");
        auto params = pop.parameters();
        if (const std::string bad = assign(params, (*m)["parameters"], at + "parameters"); !bad.empty()) return differs(bad);
        auto columns = pop.columns();
        bool ok = true;
        reflect::for_each_field(columns, [&](std::string_view v, auto& c) {
          std::vector<real> values;
          expected_entries.push_back(at + std::string(v));
          if (fetch(std::type_identity<real>{}, at + std::string(v), n, values)) std::copy(values.begin(), values.end(), c.begin());
          else ok = false;
        });
        auto refractory = pop.refractory_counter();
        std::vector<real> counters;
        std::vector<std::uint32_t> spikes;
        std::vector<std::uint64_t> count;
        expected_entries.insert(expected_entries.end(), {at + "refractory", at + "spikes", at + "spike_count"});
        ok = fetch(std::type_identity<real>{}, at + "refractory", refractory.size(), counters) && ok;
        ok = fetch(std::type_identity<std::uint32_t>{}, at + "spikes", ~std::uint64_t{0}, spikes) && ok;
        ok = fetch(std::type_identity<std::uint64_t>{}, at + "spike_count", 1, count) && ok;
        for (auto i : spikes)
          if (i >= n) ok = false, differs("'" + at + "spikes' holds neuron " + std::to_string(i) + " of " + std::to_string(n));
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
      for (const auto& item : meta["projections"].items()) {
        bool known = false;
        net.for_each_projection([&](auto& proj) { known = known || proj.name() == item.key(); });
        if (o.selects(item.key()) && !known) differs("projection '" + item.key() + "' is in the file, not in the network");
      }
      net.for_each_projection([&](auto& proj) {
        if (!o.selects(proj.name())) return;
        using J = std::remove_cvref_t<decltype(proj)>;
        const std::string name(proj.name()), at = "projections/" + name + "/";
        const auto m = meta["projections"].find(name);
        if (m == meta["projections"].end()) return differs("projection '" + name + "' is missing from the file");
        if (m->value("pre", "") != J::pre_name.view() || m->value("post", "") != J::post_name.view())
          return differs("projection '" + name + "' connects " + m->value("pre", "") + " -> " + m->value("post", "") +
                         " in the file, " + std::string(J::pre_name.view()) + " -> " + std::string(J::post_name.view()) +
                         " in the network");
        const auto fp = model_fingerprint<typename J::model_type, typename J::template variables_type<double>>();
        if (m->value("model", "") != fp)
          return differs("projection '" + name + "': the file's synapse model (fingerprint " + m->value("model", "") +
                         ") is not the network's (" + fp + ")");
        auto params = proj.parameters();
        if (const std::string bad = assign(params, (*m)["parameters"], at + "parameters"); !bad.empty()) return differs(bad);
        const std::uint64_t n = m->value("synapses", std::uint64_t{0});
        const std::size_t n_pre = sizes[std::string(J::pre_name.view())], n_post = sizes[std::string(J::post_name.view())];
        std::vector<std::uint32_t> pre, post, transit_pre;
        std::vector<std::uint16_t> delay;
        std::vector<std::uint64_t> transit_step;
        bool ok = fetch(std::type_identity<std::uint32_t>{}, at + "pre", n, pre);
        ok = fetch(std::type_identity<std::uint32_t>{}, at + "post", n, post) && ok;
        ok = fetch(std::type_identity<std::uint16_t>{}, at + "delay", n, delay) && ok;
        ok = fetch(std::type_identity<std::uint64_t>{}, at + "transit_step", ~std::uint64_t{0}, transit_step) && ok;
        ok = fetch(std::type_identity<std::uint32_t>{}, at + "transit_pre", transit_step.size(), transit_pre) && ok;
        expected_entries.insert(expected_entries.end(),
                                {at + "pre", at + "post", at + "delay", at + "transit_step", at + "transit_pre"});
        typename J::columns_type columns;
        reflect::for_each_field(columns, [&](std::string_view v, auto& c) {
          expected_entries.push_back(at + std::string(v));
          ok = fetch(std::type_identity<real>{}, at + std::string(v), n, c) && ok;
        });
        typename J::pre_trace_columns pre_traces = proj.pre_traces();
        typename J::post_trace_columns post_traces = proj.post_traces();
        reflect::for_each_field(pre_traces, [&](std::string_view v, auto& c) {
          expected_entries.push_back(at + "pre_trace/" + std::string(v));
          ok = fetch(std::type_identity<real>{}, at + "pre_trace/" + std::string(v), n_pre, c) && ok;
        });
        reflect::for_each_field(post_traces, [&](std::string_view v, auto& c) {
          expected_entries.push_back(at + "post_trace/" + std::string(v));
          ok = fetch(std::type_identity<real>{}, at + "post_trace/" + std::string(v), n_post, c) && ok;
        });
        if (!ok) return;
        // Indices in range, rows in order, delays at least one step.
        for (std::size_t k = 0; k < n; ++k) {
          if (pre[k] >= n_pre || post[k] >= n_post || (k > 0 && pre[k] < pre[k - 1]) || delay[k] == 0)
            return differs("projection '" + name + "': synapse " + std::to_string(k) + " (pre " + std::to_string(pre[k]) +
                           ", post " + std::to_string(post[k]) + ", delay " + std::to_string(delay[k]) +
                           ") is out of range or out of order");
        }
        for (std::size_t k = 0; k < transit_step.size(); ++k)
          if (transit_step[k] >= now || transit_pre[k] >= n_pre)
            return differs("projection '" + name + "': spike in transit " + std::to_string(k) + " is out of range");
        std::vector<std::uint64_t> row_ptr(n_pre + 1, 0);
        for (auto i : pre) ++row_ptr[i + 1];
        for (std::size_t i = 0; i < n_pre; ++i) row_ptr[i + 1] += row_ptr[i];
        std::vector<std::pair<std::uint64_t, std::uint32_t>> transit;
        for (std::size_t k = 0; k < transit_step.size(); ++k) transit.emplace_back(transit_step[k], transit_pre[k]);
        commits.push_back([&proj, params, row_ptr = std::move(row_ptr), post = std::move(post), columns = std::move(columns),
                           delay = std::move(delay), transit = std::move(transit), now, pre_traces = std::move(pre_traces),
                           post_traces = std::move(post_traces), n_post]() mutable {
          proj.set_parameters(params);
          proj.restore(std::move(row_ptr), std::move(post), std::move(columns), delay, transit, now,
                       std::move(pre_traces), std::move(post_traces), n_post);
        });
      });
    }

    // Entries the network has no place for (BrainPy's check_missing, the other way round).
    std::sort(expected_entries.begin(), expected_entries.end());
    for (const auto& e : in.names()) {
      auto element = [&](std::string_view prefix) {
        if (e.rfind(prefix, 0) != 0) return false;
        const auto rest = std::string_view(e).substr(prefix.size());
        return o.selects(rest.substr(0, rest.find('/')));
      };
      const bool ours = (o.populations && element("populations/")) || (o.projections && element("projections/"));
      if (ours && !std::binary_search(expected_entries.begin(), expected_entries.end(), e))
        differs("'" + e + "' is in the file but not a variable of the network");
    }

    if (!problems.empty()) {
      std::string message = path + ": does not fit the network, nothing was loaded:";
      for (const auto& p : problems) message += "\n  " + p;
      throw mismatch_error(message);
    }
    for (auto& commit : commits) commit();
    std::vector<std::pair<std::string, double>> constants;
    for (const auto& item : meta["constants"].items()) constants.emplace_back(item.key(), item.value().get<double>());
    net.restore_clock(now, meta.value("seed", net.seed()), constants);
  }
};

}  // namespace io
}  // namespace spikeweave
