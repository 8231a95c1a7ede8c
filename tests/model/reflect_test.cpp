// Reflection of model structs: names, access, fingerprints, and completeness of ADAPT_STRUCT lists.
#include <catch2/catch.hpp>
#include <spikeweave/model/reflect.hpp>

#include <string>
#include <vector>

namespace reflect = spikeweave::reflect;

namespace {
struct adapted {
  double tau = 10;
  int count = 3;
  bool on = true;
};
struct nested {
  double x = 1;
  adapted inner;
};
struct incomplete {  // `b` left out of the ADAPT_STRUCT list below
  double a = 1, b = 2;
};
template <class T>
struct state {
  BOOST_HANA_DEFINE_STRUCT(state, (T, v), (T, w));
};
}  // namespace

BOOST_HANA_ADAPT_STRUCT(adapted, tau, count, on);
BOOST_HANA_ADAPT_STRUCT(nested, x, inner);
BOOST_HANA_ADAPT_STRUCT(incomplete, a);

TEST_CASE("names, count and order of reflected members", "[reflect]") {
  STATIC_REQUIRE(reflect::field_count<adapted> == 3);
  STATIC_REQUIRE(reflect::field_names<adapted>()[1] == "count");
  STATIC_REQUIRE(reflect::field_index<adapted>("on") == 2);
  STATIC_REQUIRE(reflect::field_index<adapted>("nope") == 3);
  STATIC_REQUIRE(reflect::has_field<state<float>>("w"));
  STATIC_REQUIRE_FALSE(reflect::has_field<state<float>>("x"));
  STATIC_REQUIRE(reflect::field_names<state<char>>()[0] == "v");
}

TEST_CASE("for_each_field visits members in order and can write them", "[reflect]") {
  adapted a;
  std::vector<std::string> seen;
  reflect::for_each_field(a, [&](std::string_view name, auto& value) {
    seen.emplace_back(name);
    value = static_cast<std::remove_cvref_t<decltype(value)>>(0);
  });
  CHECK(seen == std::vector<std::string>{"tau", "count", "on"});
  CHECK(a.tau == 0);
  CHECK(a.count == 0);
  CHECK_FALSE(a.on);
  reflect::get<0>(a) = 4.5;
  CHECK(a.tau == 4.5);
}

TEST_CASE("for_each_field_of zips instances of one template", "[reflect]") {
  state<double> d{1.5, 2.5};
  state<std::vector<double>> columns{{0, 0}, {0, 0}};
  reflect::for_each_field_of([](auto, const double& x, std::vector<double>& c) { c[1] = x; }, d, columns);
  CHECK(columns.v[1] == 1.5);
  CHECK(columns.w[1] == 2.5);
}

TEST_CASE("fingerprints change with any name or type, not with values", "[reflect]") {
  CHECK(reflect::type_code<adapted>() == "{tau:f64;count:i32;on:bool;}");
  CHECK(reflect::type_code<nested>() == "{x:f64;inner:{tau:f64;count:i32;on:bool;};}");
  CHECK(reflect::fingerprint<state<double>>() == reflect::fingerprint<state<double>>());
  CHECK(reflect::fingerprint<state<double>>() != reflect::fingerprint<state<float>>());
  CHECK(reflect::fingerprint<adapted>() != reflect::fingerprint<nested>());
  // A stable value: files written today must be recognised tomorrow.
  CHECK(reflect::fingerprint<state<double>>() == 0xce4845f2eb72b28aULL);
}

TEST_CASE("a member left out of BOOST_HANA_ADAPT_STRUCT is detected", "[reflect]") {
  STATIC_REQUIRE(reflect::completely_reflected<adapted>);
  STATIC_REQUIRE(reflect::completely_reflected<nested>);
  STATIC_REQUIRE(reflect::aggregate_member_count<incomplete> == 2);
  STATIC_REQUIRE_FALSE(reflect::completely_reflected<incomplete>);
  STATIC_REQUIRE(reflect::completely_reflected<state<double>>);
}
