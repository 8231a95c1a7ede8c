// spikeweave::io's library: every file format, compiled once (include/spikeweave/io/implementation.hpp).
#include <spikeweave/io/implementation.hpp>
