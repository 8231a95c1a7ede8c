// Test helper: the Brian2 reference files in tests/reference, parsed once each.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

/// tests/reference/<name> as JSON (the build passes the directory as SPIKEWEAVE_TEST_REFERENCE_DIR).
inline const nlohmann::json& reference_json(const std::string& name) {
  static std::map<std::string, nlohmann::json> cache;
  auto found = cache.find(name);
  if (found != cache.end()) return found->second;
  const auto path = std::filesystem::path(SPIKEWEAVE_TEST_REFERENCE_DIR) / name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open the Brian2 reference " + path.string());
  return cache.emplace(name, nlohmann::json::parse(in)).first->second;
}
