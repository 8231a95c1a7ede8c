// What a synapse model is: the concept and how the library calls it.
//
// A synapse model is a struct with
//   struct parameters { ... };  // shared by a projection (may be empty)
//                               // + BOOST_HANA_ADAPT_STRUCT(model::parameters, ...)
//   template <class T> struct variables {   // one value per synapse, `w` among them
//     BOOST_HANA_DEFINE_STRUCT(variables, (T, w), ...); };
//   template <class T>
//   static T on_pre(variables<T>& s, const parameters& p);
//       // a pre-synaptic spike arrives: returns what is added to the target
//       // variable of the post-synaptic neuron; may change s (take it by
//       // const& when it does not: the library then writes nothing back)
// and optionally
//   static variables<double> initial(const parameters& p);   // default initial values
//   static void check(const parameters& p, spikeweave::rules& r);
#pragma once

#include <type_traits>

#include "neuron.hpp"
#include "reflect.hpp"

namespace spikeweave {

namespace model {

template <class S, class T>
concept has_on_pre = requires(variables_t<S, T>& s, const parameters_t<S>& p) {
  { S::on_pre(s, p) } -> std::convertible_to<T>;
};

/// True when on_pre takes the synapse's variables by const reference.
template <class S, class T>
concept on_pre_reads_only = requires(const variables_t<S, T>& s, const parameters_t<S>& p) {
  { S::on_pre(s, p) } -> std::convertible_to<T>;
};

}  // namespace model

/// True for a type that satisfies every requirement of a synapse model.
template <class S>
concept synapse_model = requires { typename S::parameters; } && reflect::reflected<typename S::parameters> &&
                        requires { typename S::template variables<double>; } &&
                        reflect::reflected<typename S::template variables<double>> &&
                        model::has_on_pre<S, double>;

/// Checks a synapse model with one readable message per missing piece.
template <class S>
constexpr bool check_synapse_model() {
  static_assert(requires { typename S::parameters; },
                "spikeweave: a synapse model needs `struct parameters { ... };` (it may be empty) followed by "
                "`BOOST_HANA_ADAPT_STRUCT(model::parameters, ...);`");
  if constexpr (requires { typename S::parameters; }) {
    static_assert(reflect::reflected<typename S::parameters>,
                  "spikeweave: the synapse model's `parameters` is not reflected: add "
                  "`BOOST_HANA_ADAPT_STRUCT(model::parameters, field1, ...);` after the model");
    if constexpr (reflect::reflected<typename S::parameters>)
      static_assert(reflect::completely_reflected<typename S::parameters>,
                    "spikeweave: BOOST_HANA_ADAPT_STRUCT of the synapse model's `parameters` leaves out a member");
  }
  static_assert(requires { typename S::template variables<double>; },
                "spikeweave: a synapse model needs `template <class T> struct variables { "
                "BOOST_HANA_DEFINE_STRUCT(variables, (T, w), ...); };`");
  if constexpr (requires { typename S::template variables<double>; }) {
    static_assert(reflect::reflected<typename S::template variables<double>>,
                  "spikeweave: the synapse model's `variables<T>` must declare its members with "
                  "BOOST_HANA_DEFINE_STRUCT(variables, (T, w), ...)");
    if constexpr (reflect::reflected<typename S::template variables<double>>) {
      static_assert(reflect::has_field<typename S::template variables<double>>("w"),
                    "spikeweave: a synapse model's `variables<T>` needs a weight `w`");
      static_assert(model::all_members_are_T<S>(), "spikeweave: every member of `variables<T>` must have type T");
      static_assert(model::has_on_pre<S, double>,
                    "spikeweave: a synapse model needs `template <class T> static T on_pre(variables<T>& s, "
                    "const parameters& p)` returning what a spike adds to the target");
    }
  }
  return true;
}

}  // namespace spikeweave
