// expect: the neuron model has no such variable
#include <spikeweave/spikeweave.hpp>

int main() {
  spikeweave::population<spikeweave::models::lif_cond_exp, "E"> pop{10};
  pop.var<"vm">();
}
