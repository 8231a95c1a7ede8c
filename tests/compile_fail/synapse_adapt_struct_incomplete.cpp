// expect: BOOST_HANA_ADAPT_STRUCT of the synapse model's `parameters` leaves out a member
// expect: adapt_struct_leaves_out<plastic::parameters, 2, spikeweave::fixed_string{"w_max", 5}, 1>
#include <spikeweave/spikeweave.hpp>

struct plastic {
  struct parameters {
    double tau = 20, eta = 0.01, w_max = 1;
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, w));
  };
  template <class T>
  static T on_pre(const variables<T>& s, const parameters&) { return s.w; }
};
BOOST_HANA_ADAPT_STRUCT(plastic::parameters, tau, eta);  // w_max forgotten

int main() { spikeweave::projection<plastic, "E", "E", "g_e"> proj{spikeweave::all_to_all{}}; }
