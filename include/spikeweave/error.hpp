// Exceptions thrown by spikeweave: one hierarchy, messages that name the place, the value and the rule.
#pragma once

#include <stdexcept>
#include <string>

namespace spikeweave {

/// Base of every exception spikeweave throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad parameters, initial values or topology; thrown while building, never in a loop.
class config_error : public error {
 public:
  using error::error;
};

/// A file could not be opened, read or written.
class io_error : public error {
 public:
  using error::error;
};

/// A file was read but its content is not what the format or the network requires.
class format_error : public error {
 public:
  using error::error;
};

/// A file that is well formed but does not fit the network (names, sizes,
/// variables, models); the message lists every difference.
class mismatch_error : public format_error {
 public:
  using format_error::format_error;
};

/// A condition the library itself should have guaranteed; please report it.
class internal_error : public error {
 public:
  using error::error;
};

}  // namespace spikeweave
