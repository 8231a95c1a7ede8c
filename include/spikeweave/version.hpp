// The library's version, for metadata written into files.
#pragma once

#define SPIKEWEAVE_VERSION_MAJOR 0
#define SPIKEWEAVE_VERSION_MINOR 1
#define SPIKEWEAVE_VERSION_PATCH 0

namespace spikeweave {
/// Version string "major.minor.patch".
inline constexpr const char* version = "0.1.0";
}  // namespace spikeweave
