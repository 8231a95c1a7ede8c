// Rate-coded leaky integrator: a neuron whose output is a continuous rate r, not spikes.
//
//   tau dr/dt = -r + f(input + I_ext)
//   f(x) = phi(gain (x - threshold)), phi by `transfer`:
//          0: identity,  1: positive part max(0, .),  2: tanh
//
// `input` is a target that holds the input of one step: projections and
// inputs add to it after the neurons' update, the next update reads it and
// sets it back to 0 (as izhikevich's I). So the input is constant over a
// step, and the step solves the equation exactly for that input:
//   r <- f + (r - f) e^(-dt/tau).
// Without input, r relaxes to f(I_ext) with time constant tau; that is also
// the initial state. The update never reports a spike (an all-false mask),
// so the population works wherever a spiking one does. Units are the user's:
// r in the unit of gain (e.g. Hz, or dimensionless for tanh), input and
// I_ext in their own. (Dayan & Abbott 2001, Theoretical Neuroscience, ch. 7.)
#pragma once

#include <cmath>
#include <string>

#include "../model/integrators.hpp"
#include "../model/neuron.hpp"

namespace spikeweave::models {

struct rate_neuron {
  struct parameters {
    double tau = 10;       // [ms] time constant
    double gain = 1;       // [r per input] slope of f
    double threshold = 0;  // [input] input at which f starts from 0
    double I_ext = 0;      // [input] constant input
    int transfer = 1;      // phi: 0 identity, 1 positive part, 2 tanh
  };
  template <class T>
  struct variables {
    BOOST_HANA_DEFINE_STRUCT(variables,
                             (T, r),       // [r] rate, the output
                             (T, input));  // [input] input of this step, a synaptic target
  };
  struct derived {
    double P;  // 1 - e^(-dt/tau): the fraction of the way to f covered in a step
  };
  static derived derive(const parameters& p, double dt) { return {-std::expm1(-dt / p.tau)}; }

  /// The transfer function f.
  template <class T>
  static T f(const T& input, const parameters& p) {
    const T x = p.gain * (input - p.threshold);
    // One branch for the whole population: `transfer` is a parameter, the same in every lane.
    switch (p.transfer) {
      case 0:
        return x;
      case 2: {
        // tanh(x) = sign(x) (1 - e^(-2|x|)) / (1 + e^(-2|x|)), written with expm1 so small x stays exact.
        const T e = expm1(T(-2.0 * abs(x)));
        const T t = -e / (2.0 + e);
        return select(x < 0.0, T(-t), t);
      }
      default:
        return max(x, 0.0);
    }
  }

  template <class T>
  static auto update(variables<T>& x, const parameters& p, const derived& d, const step_info<T>&) {
    const T target = f(T(x.input + p.I_ext), p);
    x.r += (target - x.r) * d.P;
    x.input = 0;
    return mask_t<T>(false);
  }
  static variables<double> initial(const parameters& p) { return {f(p.I_ext, p), 0}; }
  static void check(const parameters& p, rules& r) {
    r.positive(p.tau);
    r.require(p.transfer >= 0 && p.transfer <= 2,
              "transfer = " + std::to_string(p.transfer) + ", must be 0 (identity), 1 (positive part) or 2 (tanh)");
  }
};

}  // namespace spikeweave::models

BOOST_HANA_ADAPT_STRUCT(spikeweave::models::rate_neuron::parameters, tau, gain, threshold, I_ext, transfer);
