// expect: a synapse model's `variables<T>` needs a weight `w`
#include <spikeweave/spikeweave.hpp>

struct no_weight {
  struct parameters {};
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, g));
  };
  template <class T>
  static T on_pre(const variables<T>& s, const parameters&) { return s.g; }
};
BOOST_HANA_ADAPT_STRUCT(no_weight::parameters);

int main() {
  namespace sw = spikeweave;
  sw::projection<no_weight, "E", "E", "g_e"> proj{sw::all_to_all{}};
}
