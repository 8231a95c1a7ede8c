// expect: a neuron model needs `template <class T> static auto update(
#include <spikeweave/spikeweave.hpp>

struct no_update {
  struct parameters {
    double tau = 10;
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v));
  };
};
BOOST_HANA_ADAPT_STRUCT(no_update::parameters, tau);

int main() { spikeweave::population<no_update> pop{10}; }
