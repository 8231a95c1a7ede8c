// Test helper: the message of the config_error a call throws.
#pragma once

#include <string>

#include <spikeweave/error.hpp>

/// What f() throws as spikeweave::config_error, or "(no config_error)".
template <class F>
std::string config_error_of(F&& f) {
  try {
    f();
  } catch (const spikeweave::config_error& e) {
    return e.what();
  }
  return "(no config_error)";
}
