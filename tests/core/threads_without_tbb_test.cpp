// Without spikeweave::tbb (this file is compiled without SPIKEWEAVE_HAS_TBB): a network runs serially.
#include <catch2/catch.hpp>
#include <spikeweave/spikeweave.hpp>

#include "support/errors.hpp"

namespace sw = spikeweave;

TEST_CASE("without spikeweave::tbb, threads 0 and 1 run serially and more is a config_error", "[threads]") {
  if constexpr (sw::kernel::threads_available) {
    SUCCEED("this executable links spikeweave::tbb everywhere: see threads_test.cpp");
  } else {
    auto make = [](std::size_t threads) {
      return sw::network{{.dt = 0.1, .threads = threads},
                         sw::population<sw::models::izhikevich, "ntA">{5000, {.I_ext = 10}}};
    };
    CHECK(make(0).threads() == 1);
    auto net = make(1);
    CHECK(net.threads() == 1);
    CHECK(net.chunk_count() == 1);
    const std::string message =
        "network: threads = 2, but this program runs serially: link spikeweave::tbb for threads "
        "(0 and 1 run serially without it)";
    CHECK(config_error_of([&] { make(2); }) == message);
    CHECK(config_error_of([&] { net.set_threads(2); }) == message);
    CHECK(net.threads() == 1);
    net.simulate(10);
    CHECK(net.population<"ntA">().spike_count() > 0);
  }
}
