// Connectivity rules: which pre-synaptic neuron connects to which post-synaptic one.
//
// Every rule is reproducible from the network seed and independent of how
// the work is split: random choices are counter-based draws keyed by the
// neuron they concern (the row for fixed_probability and fixed_number_post,
// the column for fixed_number_pre).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "../error.hpp"
#include "../model/neuron.hpp"
#include "random.hpp"

namespace spikeweave {

/// Every pre-synaptic neuron to every post-synaptic one.
struct all_to_all {
  bool allow_self_connections = false;  ///< i -> i when pre and post are one population
};
/// Neuron i to neuron i; the populations must have the same size.
struct one_to_one {};
/// Each pair independently with probability p.
struct fixed_probability {
  double p = 0;
  bool allow_self_connections = false;
};
/// Each post-synaptic neuron receives exactly `number` distinct pre-synaptic neurons.
struct fixed_number_pre {
  std::size_t number = 0;
  bool allow_self_connections = false;
};
/// Each pre-synaptic neuron projects to exactly `number` distinct post-synaptic neurons.
struct fixed_number_post {
  std::size_t number = 0;
  bool allow_self_connections = false;
};
/// Synapses listed one by one; weights and delays [ms] optional (empty: from the
/// projection's initial values and delay).
struct from_list {
  std::vector<std::uint32_t> pre, post;
  std::vector<double> weights, delays;
};
/// A dense weight matrix, weights[pre][post]; a zero entry means no synapse.
struct from_dense {
  std::vector<std::vector<double>> weights;
};
/// Compressed sparse rows: the synapses of pre neuron i are
/// post[row_ptr[i] .. row_ptr[i+1]); weights and delays optional.
struct from_csr {
  std::vector<std::uint64_t> row_ptr;
  std::vector<std::uint32_t> post;
  std::vector<double> weights, delays;
};

/// One of the connectivity rules.
using connectivity = std::variant<all_to_all, one_to_one, fixed_probability, fixed_number_pre,
                                  fixed_number_post, from_list, from_dense, from_csr>;

/// Synapses in compressed sparse rows by pre-synaptic neuron, each row sorted
/// by post-synaptic index; weights and delays only where the rule gave them.
struct synapse_list {
  std::vector<std::uint64_t> row_ptr;
  std::vector<std::uint32_t> post;
  std::vector<double> weights, delays;

  [[nodiscard]] std::size_t size() const { return post.size(); }
};

namespace detail {

// Sorts (pre, post[, w, d]) tuples into rows; rejects duplicates when asked.
inline synapse_list to_rows(std::size_t n_pre, std::vector<std::uint32_t> pre, std::vector<std::uint32_t> post,
                            std::vector<double> weights, std::vector<double> delays) {
  std::vector<std::size_t> order(pre.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pre[a] != pre[b] ? pre[a] < pre[b] : post[a] < post[b];
  });
  synapse_list out;
  out.row_ptr.assign(n_pre + 1, 0);
  out.post.reserve(order.size());
  for (auto k : order) {
    ++out.row_ptr[pre[k] + 1];
    out.post.push_back(post[k]);
    if (!weights.empty()) out.weights.push_back(weights[k]);
    if (!delays.empty()) out.delays.push_back(delays[k]);
  }
  for (std::size_t i = 0; i < n_pre; ++i) out.row_ptr[i + 1] += out.row_ptr[i];
  return out;
}

// k distinct integers from [0, m), in ascending order (Floyd's algorithm),
// draws keyed by `index`.
inline std::vector<std::uint32_t> sample_distinct(std::size_t k, std::size_t m, random::key key, std::uint64_t index) {
  std::vector<std::uint32_t> chosen;
  chosen.reserve(k);
  for (std::size_t t = m - k; t < m; ++t) {
    const double u = random::uniform01<double>(random::bits(key, index, t, 1));
    auto r = static_cast<std::uint32_t>(std::min<double>(std::floor(u * static_cast<double>(t + 1)), static_cast<double>(t)));
    auto at = std::lower_bound(chosen.begin(), chosen.end(), r);
    if (at != chosen.end() && *at == r) {
      r = static_cast<std::uint32_t>(t);
      at = std::lower_bound(chosen.begin(), chosen.end(), r);
    }
    chosen.insert(at, r);
  }
  return chosen;
}

}  // namespace detail

/// Builds the synapses of a rule between populations of n_pre and n_post
/// neurons (`same`: they are one population). `where` names the projection
/// in error messages.
inline synapse_list connect(const connectivity& rule, std::size_t n_pre, std::size_t n_post, bool same,
                            random::key key, const std::string& where) {
  auto fail = [&](const std::string& what) { throw config_error(where + ": " + what); };
  auto check_self = [&](std::size_t number, bool allow_self, std::size_t pool, const char* side) {
    const std::size_t candidates = pool - (same && !allow_self ? 1 : 0);
    if (number > candidates)
      fail(std::string(side) + " = " + std::to_string(number) + ", more than the " + std::to_string(candidates) +
           " candidate neurons");
  };
  return std::visit(
      [&](const auto& r) -> synapse_list {
        using R = std::decay_t<decltype(r)>;
        std::vector<std::uint32_t> pre, post;
        if constexpr (std::is_same_v<R, all_to_all>) {
          for (std::size_t i = 0; i < n_pre; ++i)
            for (std::size_t j = 0; j < n_post; ++j)
              if (!same || r.allow_self_connections || i != j) {
                pre.push_back(static_cast<std::uint32_t>(i));
                post.push_back(static_cast<std::uint32_t>(j));
              }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), {}, {});
        } else if constexpr (std::is_same_v<R, one_to_one>) {
          if (n_pre != n_post)
            fail("one_to_one needs populations of equal size, not " + std::to_string(n_pre) + " and " +
                 std::to_string(n_post));
          for (std::size_t i = 0; i < n_pre; ++i) {
            pre.push_back(static_cast<std::uint32_t>(i));
            post.push_back(static_cast<std::uint32_t>(i));
          }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), {}, {});
        } else if constexpr (std::is_same_v<R, fixed_probability>) {
          if (!(r.p >= 0 && r.p <= 1)) fail("p = " + detail::number(r.p) + ", must be in [0, 1]");
          // Geometric gaps between successive synapses of a row: the same
          // Bernoulli(p) per pair, with one draw per synapse.
          const double log_q = std::log1p(-r.p);
          for (std::size_t i = 0; i < n_pre && r.p > 0; ++i) {
            std::uint64_t draw = 0;
            for (double j = 0;; j += 1) {
              if (r.p < 1) {
                const double u = random::uniform01<double>(random::bits(key, i, draw++, 0));
                j += std::floor(std::log1p(-u) / log_q);
              }
              if (j >= static_cast<double>(n_post)) break;
              const auto jj = static_cast<std::uint32_t>(j);
              if (same && !r.allow_self_connections && jj == i) continue;
              pre.push_back(static_cast<std::uint32_t>(i));
              post.push_back(jj);
            }
          }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), {}, {});
        } else if constexpr (std::is_same_v<R, fixed_number_pre>) {
          check_self(r.number, r.allow_self_connections, n_pre, "fixed_number_pre: number");
          const bool skip_self = same && !r.allow_self_connections;
          for (std::size_t j = 0; j < n_post; ++j) {
            for (auto i : detail::sample_distinct(r.number, n_pre - (skip_self ? 1 : 0), key, j)) {
              if (skip_self && i >= j) ++i;  // the candidates skip j itself
              pre.push_back(i);
              post.push_back(static_cast<std::uint32_t>(j));
            }
          }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), {}, {});
        } else if constexpr (std::is_same_v<R, fixed_number_post>) {
          check_self(r.number, r.allow_self_connections, n_post, "fixed_number_post: number");
          const bool skip_self = same && !r.allow_self_connections;
          for (std::size_t i = 0; i < n_pre; ++i) {
            for (auto j : detail::sample_distinct(r.number, n_post - (skip_self ? 1 : 0), key, i)) {
              if (skip_self && j >= i) ++j;
              pre.push_back(static_cast<std::uint32_t>(i));
              post.push_back(j);
            }
          }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), {}, {});
        } else if constexpr (std::is_same_v<R, from_list>) {
          if (r.pre.size() != r.post.size())
            fail("from_list has " + std::to_string(r.pre.size()) + " pre and " + std::to_string(r.post.size()) +
                 " post indices");
          if (!r.weights.empty() && r.weights.size() != r.pre.size())
            fail("from_list has " + std::to_string(r.weights.size()) + " weights for " +
                 std::to_string(r.pre.size()) + " synapses");
          if (!r.delays.empty() && r.delays.size() != r.pre.size())
            fail("from_list has " + std::to_string(r.delays.size()) + " delays for " + std::to_string(r.pre.size()) +
                 " synapses");
          for (std::size_t k = 0; k < r.pre.size(); ++k) {
            if (r.pre[k] >= n_pre)
              fail("from_list synapse " + std::to_string(k) + ": pre = " + std::to_string(r.pre[k]) +
                   ", the pre-synaptic population has " + std::to_string(n_pre) + " neurons");
            if (r.post[k] >= n_post)
              fail("from_list synapse " + std::to_string(k) + ": post = " + std::to_string(r.post[k]) +
                   ", the post-synaptic population has " + std::to_string(n_post) + " neurons");
          }
          return detail::to_rows(n_pre, r.pre, r.post, r.weights, r.delays);
        } else if constexpr (std::is_same_v<R, from_dense>) {
          if (r.weights.size() != n_pre)
            fail("from_dense has " + std::to_string(r.weights.size()) + " rows, the pre-synaptic population has " +
                 std::to_string(n_pre) + " neurons");
          std::vector<double> w;
          for (std::size_t i = 0; i < n_pre; ++i) {
            if (r.weights[i].size() != n_post)
              fail("from_dense row " + std::to_string(i) + " has " + std::to_string(r.weights[i].size()) +
                   " columns, the post-synaptic population has " + std::to_string(n_post) + " neurons");
            for (std::size_t j = 0; j < n_post; ++j)
              if (r.weights[i][j] != 0) {
                pre.push_back(static_cast<std::uint32_t>(i));
                post.push_back(static_cast<std::uint32_t>(j));
                w.push_back(r.weights[i][j]);
              }
          }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), std::move(w), {});
        } else {
          static_assert(std::is_same_v<R, from_csr>);
          if (r.row_ptr.size() != n_pre + 1)
            fail("from_csr has " + std::to_string(r.row_ptr.size()) + " row pointers, needs " +
                 std::to_string(n_pre + 1) + " (pre-synaptic neurons + 1)");
          if (r.row_ptr.front() != 0 || r.row_ptr.back() != r.post.size())
            fail("from_csr row pointers must start at 0 and end at the number of synapses (" +
                 std::to_string(r.post.size()) + ")");
          if (!r.weights.empty() && r.weights.size() != r.post.size())
            fail("from_csr has " + std::to_string(r.weights.size()) + " weights for " + std::to_string(r.post.size()) +
                 " synapses");
          if (!r.delays.empty() && r.delays.size() != r.post.size())
            fail("from_csr has " + std::to_string(r.delays.size()) + " delays for " + std::to_string(r.post.size()) +
                 " synapses");
          for (std::size_t i = 0; i < n_pre; ++i) {
            if (r.row_ptr[i + 1] < r.row_ptr[i]) fail("from_csr row pointers must not decrease (row " + std::to_string(i) + ")");
            for (auto k = r.row_ptr[i]; k < r.row_ptr[i + 1]; ++k) {
              if (r.post[k] >= n_post)
                fail("from_csr synapse " + std::to_string(k) + ": post = " + std::to_string(r.post[k]) +
                     ", the post-synaptic population has " + std::to_string(n_post) + " neurons");
              pre.push_back(static_cast<std::uint32_t>(i));
            }
          }
          return detail::to_rows(n_pre, std::move(pre), r.post, r.weights, r.delays);
        }
      },
      rule);
}

}  // namespace spikeweave
