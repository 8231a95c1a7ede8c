// expect: spikeweave: an initial value is a number, a range with one number per element
// expect: [with X = std::__cxx11::basic_string<char>]
// expect: initial_value_wrong_type.cpp:11:
#include <string>

#include <spikeweave/spikeweave.hpp>

int main() {
  namespace sw = spikeweave;
  // Numbers, ranges of numbers (std::vector<float> too), uniform(), normal(): not a string.
  sw::population<sw::models::lif_cond_exp, "E"> pop{10, {}, {.v = std::string("-65")}};
}
