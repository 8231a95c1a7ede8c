// expect: spikeweave/mpi/distributed.hpp needs the CMake target spikeweave::mpi
#include <spikeweave/mpi/distributed.hpp>

int main() {}
