// What a synapse model is: the concept, the optional plasticity hooks, and how the library calls them.
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
//   template <class T> static void update(variables<T>& s, const parameters& p, double dt);
//       // continuous dynamics of every synapse, every step
//   template <class T> static void on_post(variables<T>& s, const parameters& p);
//       // the post-synaptic neuron fired (the projection keeps a post -> pre index)
//   template <class T> static void advance(variables<T>& s, const parameters& p, double elapsed);
//       // event-driven variables: their evolution over `elapsed` ms (> 0) in closed
//       // form, called just before on_pre / on_post of the synapse with the time since
//       // its variables were last brought up to date (Brian2's `(event-driven)`)
// Plasticity traces live per neuron, not per synapse:
//   template <class T> struct pre_trace { BOOST_HANA_DEFINE_STRUCT(pre_trace, (T, x), ...); };
//   template <class T> struct post_trace { BOOST_HANA_DEFINE_STRUCT(post_trace, (T, y), ...); };
//   template <class T> static void update_pre(pre_trace<T>& a, const parameters& p, double dt);   // every step
//   template <class T> static void update_post(post_trace<T>& b, const parameters& p, double dt);
//   template <class T> static void on_pre_spike(pre_trace<T>& a, const parameters& p);   // a spike arrives
//   template <class T> static void on_post_spike(post_trace<T>& b, const parameters& p); // post fired
// or, instead of update_pre / update_post, event-driven traces that cost nothing between events:
//   template <class T> static void advance_pre(pre_trace<T>& a, const parameters& p, double elapsed);
//   template <class T> static void advance_post(post_trace<T>& b, const parameters& p, double elapsed);
// and then on_pre / on_post take the traces of the synapse's two neurons:
//   on_pre(variables<T>& s, const pre_trace<T>& a, const post_trace<T>& b, const parameters& p)
//   on_post(variables<T>& s, const pre_trace<T>& a, const post_trace<T>& b, const parameters& p)
#pragma once

#include <string_view>
#include <type_traits>

#include "fixed_string.hpp"
#include "neuron.hpp"
#include "reflect.hpp"

namespace spikeweave {

/// The traces of a synapse model that declares none.
struct no_trace {};

}  // namespace spikeweave

BOOST_HANA_ADAPT_STRUCT(spikeweave::no_trace);

namespace spikeweave {

namespace model {

namespace detail {
template <class S, class T>
struct pre_trace_of {
  using type = no_trace;
};
template <class S, class T>
  requires requires { typename S::template pre_trace<T>; }
struct pre_trace_of<S, T> {
  using type = typename S::template pre_trace<T>;
};
template <class S, class T>
struct post_trace_of {
  using type = no_trace;
};
template <class S, class T>
  requires requires { typename S::template post_trace<T>; }
struct post_trace_of<S, T> {
  using type = typename S::template post_trace<T>;
};
}  // namespace detail

/// Per pre-synaptic neuron traces of synapse model S (no_trace if none).
template <class S, class T>
using pre_trace_t = typename detail::pre_trace_of<S, T>::type;
/// Per post-synaptic neuron traces of synapse model S (no_trace if none).
template <class S, class T>
using post_trace_t = typename detail::post_trace_of<S, T>::type;

template <class S>
inline constexpr bool has_pre_trace = !std::is_same_v<pre_trace_t<S, double>, no_trace>;
template <class S>
inline constexpr bool has_post_trace = !std::is_same_v<post_trace_t<S, double>, no_trace>;

template <class S, class T>
concept on_pre_with_traces = requires(variables_t<S, T>& s, const pre_trace_t<S, T>& a,
                                      const post_trace_t<S, T>& b, const parameters_t<S>& p) {
  { S::on_pre(s, a, b, p) } -> std::convertible_to<T>;
};
template <class S, class T>
concept on_pre_plain = requires(variables_t<S, T>& s, const parameters_t<S>& p) {
  { S::on_pre(s, p) } -> std::convertible_to<T>;
};
template <class S, class T>
concept has_on_pre = on_pre_with_traces<S, T> || on_pre_plain<S, T>;

/// True when on_pre takes the synapse's variables by const reference.
template <class S, class T>
concept on_pre_reads_only =
    requires(const variables_t<S, T>& s, const parameters_t<S>& p) {
      { S::on_pre(s, p) } -> std::convertible_to<T>;
    } ||
    requires(const variables_t<S, T>& s, const pre_trace_t<S, T>& a, const post_trace_t<S, T>& b,
             const parameters_t<S>& p) {
      { S::on_pre(s, a, b, p) } -> std::convertible_to<T>;
    };

template <class S, class T>
concept has_on_post =
    requires(variables_t<S, T>& s, const parameters_t<S>& p) { S::on_post(s, p); } ||
    requires(variables_t<S, T>& s, const pre_trace_t<S, T>& a, const post_trace_t<S, T>& b,
             const parameters_t<S>& p) { S::on_post(s, a, b, p); };

template <class S, class T>
concept has_continuous_update = requires(variables_t<S, T>& s, const parameters_t<S>& p, double dt) {
  S::update(s, p, dt);
};

/// Event-driven synapse variables: `advance(s, p, elapsed)` evolves them over
/// `elapsed` ms in closed form, at the synapse's events only.
template <class S, class T>
concept has_advance = requires(variables_t<S, T>& s, const parameters_t<S>& p, double elapsed) {
  S::advance(s, p, elapsed);
};
/// Event-driven pre traces: `advance_pre(a, p, elapsed)` instead of a decay every step.
template <class S, class T>
concept has_advance_pre = requires(pre_trace_t<S, T>& a, const parameters_t<S>& p, double elapsed) {
  S::advance_pre(a, p, elapsed);
};
/// Event-driven post traces: `advance_post(b, p, elapsed)` instead of a decay every step.
template <class S, class T>
concept has_advance_post = requires(post_trace_t<S, T>& b, const parameters_t<S>& p, double elapsed) {
  S::advance_post(b, p, elapsed);
};
template <class S, class T>
concept has_update_pre = requires(pre_trace_t<S, T>& a, const parameters_t<S>& p, double dt) { S::update_pre(a, p, dt); };
template <class S, class T>
concept has_update_post = requires(post_trace_t<S, T>& b, const parameters_t<S>& p, double dt) {
  S::update_post(b, p, dt);
};

/// A rate-coded synapse: in every step, `transmit(s, r, p)` is added to the
/// target, r the pre-synaptic neuron's value of the variable `S::source`.
template <class S, class T>
concept rate_coded = requires(const variables_t<S, T>& s, T r, const parameters_t<S>& p) {
  { S::transmit(s, r, p) } -> std::convertible_to<T>;
  { S::source.view() } -> std::convertible_to<std::string_view>;
};

/// The unit of pre trace `name` of synapse model S: its optional
/// `static constexpr pre_trace<std::string_view> pre_trace_units{.x = "..."};`, "" where it says nothing.
template <class S>
std::string_view pre_trace_unit(std::string_view name) {
  if constexpr (requires { S::pre_trace_units; }) {
    static_assert(std::is_same_v<std::remove_cv_t<decltype(S::pre_trace_units)>, pre_trace_t<S, std::string_view>>,
                  "spikeweave: a synapse model declares the units of its pre traces as `static constexpr "
                  "pre_trace<std::string_view> pre_trace_units{.x = \"...\"};`");
    return detail::unit_in(S::pre_trace_units, name);
  } else {
    return {};
  }
}
/// The unit of post trace `name`: `static constexpr post_trace<std::string_view> post_trace_units{...};`.
template <class S>
std::string_view post_trace_unit(std::string_view name) {
  if constexpr (requires { S::post_trace_units; }) {
    static_assert(std::is_same_v<std::remove_cv_t<decltype(S::post_trace_units)>, post_trace_t<S, std::string_view>>,
                  "spikeweave: a synapse model declares the units of its post traces as `static constexpr "
                  "post_trace<std::string_view> post_trace_units{.y = \"...\"};`");
    return detail::unit_in(S::post_trace_units, name);
  } else {
    return {};
  }
}

/// Calls on_pre with or without traces, whichever the model declares.
template <class S, class T, class V>
T on_pre(V& s, const pre_trace_t<S, T>& a, const post_trace_t<S, T>& b, const parameters_t<S>& p) {
  if constexpr (on_pre_with_traces<S, T>)
    return static_cast<T>(S::on_pre(s, a, b, p));
  else
    return static_cast<T>(S::on_pre(s, p));
}

/// Calls on_post with or without traces, whichever the model declares.
template <class S, class T>
void on_post(variables_t<S, T>& s, const pre_trace_t<S, T>& a, const post_trace_t<S, T>& b,
             const parameters_t<S>& p) {
  if constexpr (requires { S::on_post(s, a, b, p); })
    S::on_post(s, a, b, p);
  else
    S::on_post(s, p);
}

}  // namespace model

/// True for a type that satisfies every requirement of a synapse model.
template <class S>
concept synapse_model = requires { typename S::parameters; } && reflect::reflected<typename S::parameters> &&
                        requires { typename S::template variables<double>; } &&
                        reflect::reflected<typename S::template variables<double>> &&
                        (model::has_on_pre<S, double> || model::rate_coded<S, double>);

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
      static_assert(reflect::lists_every_member<typename S::parameters>(),
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
      static_assert(model::has_on_pre<S, double> || model::rate_coded<S, double>,
                    "spikeweave: a synapse model needs `template <class T> static T on_pre(variables<T>& s, "
                    "const parameters& p)` (or with `const pre_trace<T>& a, const post_trace<T>& b` before `p`) "
                    "returning what a spike adds to the target; a rate-coded one `static constexpr fixed_string "
                    "source = \"r\";` and `template <class T> static T transmit(const variables<T>& s, T r, "
                    "const parameters& p)`");
    }
  }
  static_assert(!model::has_pre_trace<S> || reflect::reflected<model::pre_trace_t<S, double>>,
                "spikeweave: a synapse model's `pre_trace<T>` must declare its members with "
                "BOOST_HANA_DEFINE_STRUCT(pre_trace, (T, name), ...)");
  static_assert(!model::has_post_trace<S> || reflect::reflected<model::post_trace_t<S, double>>,
                "spikeweave: a synapse model's `post_trace<T>` must declare its members with "
                "BOOST_HANA_DEFINE_STRUCT(post_trace, (T, name), ...)");
  static_assert(!(model::has_update_pre<S, double> && model::has_advance_pre<S, double>),
                "spikeweave: a synapse model's pre traces decay either every step (`update_pre(a, p, dt)`) or "
                "at events (`advance_pre(a, p, elapsed)`), not both");
  static_assert(!(model::has_update_post<S, double> && model::has_advance_post<S, double>),
                "spikeweave: a synapse model's post traces decay either every step (`update_post(b, p, dt)`) or "
                "at events (`advance_post(b, p, elapsed)`), not both");
  static_assert(!model::has_advance<S, double> || !model::rate_coded<S, double>,
                "spikeweave: a rate-coded synapse has no events: `advance(s, p, elapsed)` needs a spiking synapse "
                "(on_pre)");
  return true;
}

}  // namespace spikeweave
