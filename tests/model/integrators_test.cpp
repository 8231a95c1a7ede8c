// The integrators of model/integrators.hpp: convergence orders against analytic solutions,
// exactness of exponential Euler for linear equations, and scalar == every SIMD lane.
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include <catch2/catch.hpp>
#include <spikeweave/model/integrators.hpp>

namespace sw = spikeweave;

namespace {

template <class T>
struct point {
  BOOST_HANA_DEFINE_STRUCT(point, (T, x), (T, y));
};
// A clock and a variable: dt/dt = 1, dx/dt = -t x, so x(t) = x0 e^(-t^2/2).
template <class T>
struct timed {
  BOOST_HANA_DEFINE_STRUCT(timed, (T, t), (T, x));
};

// Rates of a point<double> with x in the linear form and y a plain rate.
struct mixed_rates {
  BOOST_HANA_DEFINE_STRUCT(mixed_rates, (sw::linear<double>, x), (double, y));
};

constexpr double tau = 0.7, c = 1.3, x0 = 2.0;

// dx/dt = -x/tau + c: x(t) = c tau + (x0 - c tau) e^(-t/tau).
double relaxation_exact(double t) { return c * tau + (x0 - c * tau) * std::exp(-t / tau); }

template <class Method>
double relaxation_error(int steps) {
  const double t_end = 1.0;
  const double dt = t_end / steps;
  double x = x0;
  for (int k = 0; k < steps; ++k) x = sw::integrate<Method>(x, dt, [](const auto& y) { return -y / tau + c; });
  return std::abs(x - relaxation_exact(t_end));
}

// The rotation dx/dt = -w y, dy/dt = w x over one period, back to (1, 0).
template <class Method>
double rotation_error(int steps) {
  const double w = 2 * std::numbers::pi, dt = 1.0 / steps;
  point<double> p{1, 0};
  for (int k = 0; k < steps; ++k)
    p = sw::integrate<Method>(p, dt, [w](const point<double>& q) { return point<double>{-w * q.y, w * q.x}; });
  return std::hypot(p.x - 1, p.y);
}

// dx/dt = -t x in the linear form (A = 0, B = t), which every method accepts.
template <class Method>
double gaussian_error(int steps) {
  const double t_end = 2.0;
  const double dt = t_end / steps;
  timed<double> s{0, 1};
  for (int k = 0; k < steps; ++k)
    s = sw::integrate<Method>(s, dt, [](const timed<double>& q) {
      return timed<sw::linear<double>>{{1, 0}, {0, q.t}};
    });
  return std::abs(s.x - std::exp(-t_end * t_end / 2));
}

// Observed orders log2(e(n) / e(2n)) for n = base, 2 base, ...
template <class F>
std::vector<double> orders(F error, int base, int halvings = 4) {
  std::vector<double> out;
  double previous = error(base);
  for (int i = 1; i <= halvings; ++i) {
    const double e = error(base << i);
    out.push_back(std::log2(previous / e));
    previous = e;
  }
  return out;
}

void check_order(const char* what, const std::vector<double>& observed, double expected) {
  for (double o : observed) {
    INFO(what << ": observed order " << o << ", expected " << expected);
    CHECK(std::abs(o - expected) < 0.05 * expected);
  }
}

}  // namespace

TEST_CASE("integrators converge with orders 1, 1, 2 and 4", "[integrators]") {
  // Relaxation: exponential Euler is exact there (see below), so its order is
  // measured on dx/dt = -t x, where the frozen coefficient makes it first order.
  check_order("euler, relaxation", orders(relaxation_error<sw::euler>, 20), 1);
  check_order("midpoint, relaxation", orders(relaxation_error<sw::midpoint>, 20), 2);
  check_order("rk4, relaxation", orders(relaxation_error<sw::rk4>, 10), 4);

  check_order("euler, rotation", orders(rotation_error<sw::euler>, 400), 1);
  check_order("midpoint, rotation", orders(rotation_error<sw::midpoint>, 40), 2);
  check_order("rk4, rotation", orders(rotation_error<sw::rk4>, 20), 4);

  check_order("euler, dx/dt = -t x", orders(gaussian_error<sw::euler>, 40), 1);
  check_order("exponential euler, dx/dt = -t x", orders(gaussian_error<sw::exponential_euler>, 40), 1);
  check_order("midpoint, dx/dt = -t x", orders(gaussian_error<sw::midpoint>, 40), 2);
  check_order("rk4, dx/dt = -t x", orders(gaussian_error<sw::rk4>, 20), 4);
  STATIC_REQUIRE(std::is_same_v<sw::rk2, sw::midpoint>);

  // Sizes: at 160 steps of 1/160 rk4 is far ahead.
  CHECK(relaxation_error<sw::rk4>(160) < 1e-10);
  CHECK(relaxation_error<sw::euler>(160) > 1e-4);
}

TEST_CASE("exponential Euler is exact for linear equations with constant coefficients", "[integrators]") {
  // dx/dt = c - x/tau in the linear form: any step size lands on the solution.
  for (double dt : {1e-3, 0.1, 0.7, 5.0, 100.0}) {
    double x = x0;
    const int steps = 10;
    for (int k = 0; k < steps; ++k)
      x = sw::integrate<sw::exponential_euler>(x, dt, [](const double&) { return sw::linear<double>{c, 1 / tau}; });
    INFO("dt = " << dt);
    CHECK(x == Approx(relaxation_exact(steps * dt)).epsilon(1e-14).margin(1e-14));
  }
  // B = 0 is an Euler step of the constant rate (exact too); B < 0 grows exactly.
  CHECK(sw::integrate<sw::exponential_euler>(1.0, 0.5, [](const double&) { return sw::linear<double>{3, 0}; }) ==
        2.5);
  const double grown = sw::integrate<sw::exponential_euler>(
      1.0, 0.5, [](const double&) { return sw::linear<double>{0, -2}; });
  CHECK(grown == Approx(std::exp(1.0)).epsilon(1e-15));
  // A tiny B stays accurate (no 0/0, no cancellation): x + A dt to first order.
  const double tiny = sw::integrate<sw::exponential_euler>(
      0.0, 1.0, [](const double&) { return sw::linear<double>{1, 1e-300}; });
  CHECK(tiny == 1.0);
  // A struct: each field has its own linear equation.
  const auto s = sw::integrate<sw::exponential_euler>(point<double>{1, 1}, 0.25, [](const point<double>&) {
    return point<sw::linear<double>>{{0, 4}, {2, 0}};
  });
  CHECK(s.x == Approx(std::exp(-1.0)).epsilon(1e-15));
  CHECK(s.y == 1.5);
  // A field given as a plain rate takes an Euler step.
  const auto m = sw::integrate<sw::exponential_euler>(point<double>{1, 1}, 0.25, [](const point<double>&) {
    return mixed_rates{{0, 4}, 2};
  });
  CHECK(m.x == Approx(std::exp(-1.0)).epsilon(1e-15));
  CHECK(m.y == 1.5);
}

namespace {

// A nonlinear two-variable system that goes through the math shims (an AdEx-like cell).
template <class T>
point<T> nonlinear(const point<T>& q) {
  const T spike = 2.0 * sw::exp(sw::min((q.x + 50.0) / 2.0, 30.0));
  return {(-(q.x + 70.0) + spike - q.y) / 20.0, (0.5 * (q.x + 70.0) - q.y) / 100.0};
}
template <class T>
point<sw::linear<T>> nonlinear_linear(const point<T>& q) {
  // x: A = (-(-70) + spike - y)/20, B = 1/20; y: A = 0.5 (x + 70)/100, B = 1/100;
  // plus a B that is 0 in some lanes (x below -60).
  const T spike = 2.0 * sw::exp(sw::min((q.x + 50.0) / 2.0, 30.0));
  const T B = sw::select(q.x < -60.0, T(0), T(0.01 * (q.x + 60.0)));
  return {{T((70.0 + spike - q.y) / 20.0), T(1.0 / 20.0) + B}, {T(0.5 * (q.x + 70.0) / 100.0), T(1.0 / 100.0)}};
}

template <class Method, class F>
void scalar_is_every_lane(F derivative) {
  using batch = xsimd::batch<double>;
  constexpr std::size_t lanes = batch::size;
  alignas(64) double xs[lanes], ys[lanes];
  std::vector<point<double>> scalar(lanes);
  for (std::size_t l = 0; l < lanes; ++l) {
    scalar[l] = {-75.0 + 9.0 * static_cast<double>(l), 3.0 * static_cast<double>(l)};
    xs[l] = scalar[l].x;
    ys[l] = scalar[l].y;
  }
  point<batch> b{batch::load_aligned(xs), batch::load_aligned(ys)};
  for (int k = 0; k < 200; ++k) {
    b = sw::integrate<Method>(b, 0.1, [&](const point<batch>& q) { return derivative(q); });
    for (auto& s : scalar) s = sw::integrate<Method>(s, 0.1, [&](const point<double>& q) { return derivative(q); });
  }
  for (std::size_t l = 0; l < lanes; ++l) {
    INFO("lane " << l << ": scalar (" << scalar[l].x << ", " << scalar[l].y << "), batch (" << b.x.get(l) << ", "
                 << b.y.get(l) << ")");
    CHECK(std::bit_cast<std::uint64_t>(scalar[l].x) == std::bit_cast<std::uint64_t>(b.x.get(l)));
    CHECK(std::bit_cast<std::uint64_t>(scalar[l].y) == std::bit_cast<std::uint64_t>(b.y.get(l)));
  }
}

}  // namespace

TEST_CASE("a scalar integration step is bit for bit every lane of a batch step", "[integrators]") {
  auto plain = [](const auto& q) { return nonlinear(q); };
  auto in_linear_form = [](const auto& q) { return nonlinear_linear(q); };
  scalar_is_every_lane<sw::euler>(plain);
  scalar_is_every_lane<sw::midpoint>(plain);
  scalar_is_every_lane<sw::rk4>(plain);
  scalar_is_every_lane<sw::exponential_euler>(in_linear_form);
  scalar_is_every_lane<sw::rk4>(in_linear_form);
  // and plain (non-struct) states
  using batch = xsimd::batch<double>;
  const double s = sw::integrate<sw::rk4>(0.3, 0.1, [](const auto& y) { return sw::exp(y) - 2.0 * y; });
  const batch v = sw::integrate<sw::rk4>(batch(0.3), 0.1, [](const auto& y) { return sw::exp(y) - 2.0 * y; });
  CHECK(std::bit_cast<std::uint64_t>(s) == std::bit_cast<std::uint64_t>(v.get(batch::size - 1)));
  CHECK(std::bit_cast<std::uint64_t>(sw::expm1(1e-3)) == std::bit_cast<std::uint64_t>(sw::expm1(batch(1e-3)).get(0)));
  for (double z : {1e-10, -3e-7, 0.25, -4.0}) CHECK(sw::expm1(z) == Approx(std::expm1(z)).epsilon(1e-15));
}

TEST_CASE("float states are integrated in float", "[integrators]") {
  using batch = xsimd::batch<float>;
  const float s = sw::integrate<sw::rk4>(1.0f, 0.1, [](const float& y) { return -y; });
  const batch b = sw::integrate<sw::rk4>(batch(1.0f), 0.1, [](const batch& y) { return -y; });
  CHECK(s == b.get(0));
  CHECK(s == Approx(std::exp(-0.1)).epsilon(1e-6));
  const float e = sw::integrate<sw::exponential_euler>(1.0f, 0.1, [](const float&) { return sw::linear<float>{0, 1}; });
  CHECK(e == Approx(std::exp(-0.1)).epsilon(1e-6));
}
