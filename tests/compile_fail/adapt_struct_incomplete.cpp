// expect: BOOST_HANA_ADAPT_STRUCT of the model's `parameters` leaves out a member
// expect: adapt_struct_leaves_out<leaky::parameters, 1, spikeweave::fixed_string{"v_th", 4}, 1>
#include <spikeweave/spikeweave.hpp>

struct leaky {
  struct parameters {
    double tau = 10, v_th = 1;
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables, (T, v));
  };
  template <class T>
  static auto update(variables<T>& x, const parameters& p, const spikeweave::step_info<T>& s) {
    x.v -= x.v * (s.dt / p.tau);
    return x.v > p.v_th;
  }
};
BOOST_HANA_ADAPT_STRUCT(leaky::parameters, tau);  // v_th forgotten

int main() { spikeweave::population<leaky> pop{10}; }
