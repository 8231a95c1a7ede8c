// What io/state.hpp's save and load do that does not depend on the network's type: state_options, state_report,
// and the bookkeeping and messages of a load's checks, compiled once in spikeweave::io's library
// (implementation.hpp) rather than in every network's save_to / load_from.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../../error.hpp"
#include "../array_file.hpp"
#include "metadata.hpp"

namespace spikeweave {

/// What save and load cover (ANNarchy's flags), and how.
struct state_options {
  bool populations = true;  ///< neurons' variables and parameters
  bool projections = true;  ///< synapses, connectivity, spikes in transit, traces, learning flags
  bool monitors = false;    ///< the monitors' recorded data (off: monitors are left alone)
  bool compress = true;     ///< deflate the .npz (and .h5) entries
  /// Load: a variable, population or projection the file lacks, or one the
  /// network has no place for, is an error (default). false: what is missing
  /// keeps its current value, what is unexpected is ignored; both are listed
  /// in the returned state_report (BrainPy's check_missing).
  bool strict = true;
  bool verbose = false;  ///< load: print every entry loaded, and what was missing or unexpected
  /// Only these populations, projections and monitors (ANNarchy's pop.save /
  /// proj.load); empty: all of them.
  std::vector<std::string> only;

  [[nodiscard]] bool selects(std::string_view name) const {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  }
};

/// What a load read, and what did not match by name (BrainPy's check_missing).
struct state_report {
  std::vector<std::string> loaded;      ///< entries read into the network
  std::vector<std::string> missing;     ///< in the network, not in the file: kept their values (strict = false)
  std::vector<std::string> unexpected;  ///< in the file, not in the network: ignored (strict = false)
  [[nodiscard]] bool complete() const { return missing.empty() && unexpected.empty(); }
};

namespace io::detail {

/// A population, projection or monitor of a network, for the checks of `.only`.
struct state_element {
  std::string name;
  std::string kind;  ///< "population", "projection" or "monitor"
  bool selected;     ///< its kind is saved or loaded (.populations, ...)
};

/// Names in `o.only` that are no element of the network, or of a kind the options leave out: a config_error
/// that names them, the network's elements and (`meta`, loading) the file's, before anything is read or written.
void check_only(const std::vector<state_element>& elements, const state_options& o, const std::string& path,
                const metadata_ref* meta);

/// How an entry of a state file fits the network.
enum class fetched { ok, absent, bad };

/// The checks of one load: every problem (reported together), the report, and what the network expects.
struct state_checks {
  const state_options& o;
  std::vector<std::string> problems;              ///< every difference, reported together
  state_report report;
  std::vector<std::string> expected{"metadata"};  ///< entries the network has a place for
  std::vector<std::string> rejected;              ///< prefixes of elements whose entries are not checked one by one

  explicit state_checks(const state_options& options) : o(options) {}

  void differs(std::string what) { problems.push_back(std::move(what)); }
  /// Something of the network the file lacks: an error when strict.
  void absent(const std::string& what, std::string entry = "");
  /// Something of the file the network lacks: an error when strict.
  void extra(std::string what, std::string entry);
  /// Elements of `section` (`kind`: "population", ...) the network does not have.
  void foreign(metadata_ref section, const char* kind, const std::function<bool(const std::string&)>& known);
  /// Models differ: an error when strict. Either way the variables are then matched by name, so the error
  /// (or the report) says what differs.
  void same_model(metadata_ref m, const std::string& fingerprint, const std::string& who);
  /// An element that cannot be matched at all: its entries are not listed one by one.
  void reject(std::string what, std::string prefix);
  /// An element whose entries are not checked one by one (its parameters broke a rule: that is the error).
  void skip(std::string prefix) { rejected.push_back(std::move(prefix)); }
  /// Entry `name` is not in the file (`required`: without it nothing can be continued).
  fetched missing_entry(const std::string& name, bool required);
  /// Entry `name`, as `info` describes it, has dtype `dtype` and (unless `any`) `count` values; else a problem.
  bool entry_fits(const std::string& name, const npz_info& info, const std::string& dtype, std::uint64_t count,
                  bool any);
  /// The first value (`first`, as a double) of variable `v` of `who` that breaks `rule`, and how many others do.
  void culprit(const std::string& who, std::string_view v, std::size_t first, double value, std::size_t others,
               const std::string& rule);
  /// Parameters from the file that break the model's rule (`what`, the config_error's message).
  void broken_parameters(const std::string& what) { differs(what + " (the file's parameters)"); }
  /// Entries of the file (`names`) the network has no place for (BrainPy's check_missing, the other way round).
  void unexpected_entries(const std::vector<std::string>& names);
  /// mismatch_error listing every problem, if there is one: nothing was loaded.
  void throw_problems(const std::string& path) const;
  /// Prints what was loaded, missing and unexpected (`.verbose`).
  void print(const std::string& path) const;
};

}  // namespace io::detail
}  // namespace spikeweave
