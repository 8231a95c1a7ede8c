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
/// Exactly `n` synapses between the two populations, each from a pre-synaptic
/// neuron drawn uniformly onto a post-synaptic neuron drawn uniformly (NEST's
/// fixed_total_number; Potjans & Diesmann 2014). With multapses one pair may
/// be joined more than once; without them every pair at most once.
///
/// Split-independent by construction: the post-synaptic neurons are cut
/// into blocks of total_number_block neurons; how many of the n synapses
/// land in each block is drawn down a binary tree of binomial splits
/// (hypergeometric without multapses), each keyed by its node; the synapses
/// of a block are then drawn keyed by their number. A thread or an MPI rank
/// draws just the blocks of its own post neurons, and the synapses are the
/// same whoever draws them.
struct fixed_total_number {
  std::uint64_t n = 0;
  bool allow_self_connections = true;  ///< i -> i when pre and post are one population (NEST's autapses)
  bool allow_multapses = true;         ///< several synapses for one (pre, post) pair
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
                                  fixed_number_post, from_list, from_dense, from_csr, fixed_total_number>;

/// Post-synaptic neurons per block of fixed_total_number (a multiple of the 64
/// at which threads and ranks split populations).
inline constexpr std::size_t total_number_block = 64;

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

// Hypergeometric(total, good, draws): the good items among `draws` taken
// without replacement from `total`. Inversion from the lowest possible value
// while the standard deviation is small, else the normal approximation,
// rounded and clipped to the possible values (so a split never asks a block
// for more pairs than it has).
inline std::uint64_t hypergeometric(double total, double good, std::uint64_t draws, const random::block& b) {
  const double n = static_cast<double>(draws);
  const double lo = std::max(0.0, n - (total - good)), hi = std::min(n, good);
  if (hi <= lo) return static_cast<std::uint64_t>(lo);
  const double f = good / total;
  const double var = n * f * (1 - f) * (total - n) / std::max(1.0, total - 1);
  if (var > 25) {
    const double x = std::round(n * f + std::sqrt(var) * random::normal01<double>(b));
    return static_cast<std::uint64_t>(std::clamp(x, lo, hi));
  }
  auto log_choose = [](double a, double k) { return std::lgamma(a + 1) - std::lgamma(k + 1) - std::lgamma(a - k + 1); };
  // From 10 standard deviations below the mean (the mass below is < 1e-23):
  // the probability at the lowest possible value may underflow.
  double k = std::max(lo, std::floor(n * f - 10 * std::sqrt(var) - 1));
  double p = std::exp(log_choose(good, k) + log_choose(total - good, n - k) - log_choose(total, n));
  double cumulative = p;
  const double u = random::uniform01<double>(b);
  while (u >= cumulative && k < hi) {
    p *= (good - k) * (n - k) / ((k + 1) * (total - good - n + k + 1));
    k += 1;
    cumulative += p;
  }
  return static_cast<std::uint64_t>(k);
}

// The blocks of fixed_total_number: how many synapses land on each block of
// post neurons, for the blocks [first, last) only (a thread or rank draws
// the part of the tree above its own blocks). `start` receives the number
// of the first synapse of each of those blocks (the synapses of the blocks
// before it), and one more entry: the end of the last.
struct total_number_split {
  std::size_t first = 0, last = 0;    // blocks
  std::vector<std::uint64_t> start;  // last - first + 1 synapse numbers
};

inline total_number_split split_total_number(const fixed_total_number& r, std::size_t n_pre, std::size_t n_post,
                                             bool same, random::key key, std::size_t first, std::size_t last) {
  const std::size_t blocks = (n_post + total_number_block - 1) / total_number_block;
  total_number_split out{first, last, std::vector<std::uint64_t>(last - first + 1, 0)};
  // Candidate pairs of the post neurons [a, b): each has n_pre pre-synaptic
  // candidates, one fewer without self-connections in one population.
  const double per_post = static_cast<double>(n_pre) - (same && !r.allow_self_connections ? 1.0 : 0.0);
  auto posts = [&](std::size_t a, std::size_t b) {
    return static_cast<double>(std::min(b * total_number_block, n_post) - std::min(a * total_number_block, n_post));
  };
  // Node [a, b) of blocks holds `count` synapses, the first numbered `offset`.
  auto descend = [&](auto&& self, std::size_t a, std::size_t b, std::uint64_t count, std::uint64_t offset) -> void {
    if (b <= first || a >= last) return;
    if (b - a == 1) {
      out.start[a - first] = offset;
      if (a + 1 == last) out.start[last - first] = offset + count;
      return;
    }
    const std::size_t mid = a + (b - a) / 2;
    const random::block bits = random::bits(key, a, b, 0);
    std::uint64_t left = 0;
    if (r.allow_multapses) {
      left = random::binomial(count, posts(a, mid) / posts(a, b))(bits);
    } else {
      left = hypergeometric(posts(a, b) * per_post, posts(a, mid) * per_post, count, bits);
    }
    self(self, a, mid, left, offset);
    self(self, mid, b, count - left, offset + left);
  };
  if (first < last) descend(descend, 0, blocks, r.n, 0);
  return out;
}

// An integer in [0, m) from 64 random bits x: the high word of x m (Lemire's
// multiply-shift; bias below m / 2^64).
inline std::uint64_t below(std::uint64_t x, std::uint64_t m) {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<u128>(x) * m) >> 64);
}

// The synapses of block `block` (post neurons [lo, hi)) numbered [from, to):
// their pre and post neurons, in number order, into pre/post. Synapse g
// draws (pre, post) from block (g, attempt) until the pair is allowed: not
// i -> i when excluded, and without multapses not a pair an earlier synapse
// of the block took (pairs of two blocks never meet: their posts differ).
inline void draw_total_number_block(const fixed_total_number& r, std::size_t n_pre, std::size_t lo, std::size_t hi,
                                    bool same, random::key key, std::uint64_t from, std::uint64_t to,
                                    std::vector<std::uint32_t>& pre, std::vector<std::uint32_t>& post) {
  const std::size_t count = to - from;
  pre.resize(count);
  post.resize(count);
  auto draw = [&](std::uint64_t g, std::uint32_t attempt, std::uint32_t& i, std::uint32_t& j) {
    const random::block b = random::bits(key, g, attempt, 1);
    i = static_cast<std::uint32_t>(below((std::uint64_t{b[0]} << 32) | b[1], n_pre));
    j = static_cast<std::uint32_t>(lo + below((std::uint64_t{b[2]} << 32) | b[3], hi - lo));
  };
  const bool no_self = same && !r.allow_self_connections;
  std::vector<std::uint32_t> attempts(r.allow_multapses ? 0 : count, 0);
  for (std::size_t s = 0; s < count; ++s) {
    std::uint32_t attempt = 0;
    do draw(from + s, attempt++, pre[s], post[s]);
    while (no_self && pre[s] == post[s]);
    if (!r.allow_multapses) attempts[s] = attempt;
  }
  if (r.allow_multapses) return;
  // Without multapses: the later of two synapses on one pair draws again,
  // until every pair of the block is distinct.
  std::vector<std::uint64_t> keys(count);
  for (bool again = true; again;) {
    for (std::size_t s = 0; s < count; ++s) keys[s] = (std::uint64_t{post[s]} << 32 | pre[s]);
    std::vector<std::size_t> order(count);
    for (std::size_t s = 0; s < count; ++s) order[s] = s;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return keys[a] != keys[b] ? keys[a] < keys[b] : a < b; });
    again = false;
    for (std::size_t t = 1; t < count; ++t)
      if (keys[order[t]] == keys[order[t - 1]]) {
        const std::size_t s = order[t];
        do draw(from + s, attempts[s]++, pre[s], post[s]);
        while (no_self && pre[s] == post[s]);
        again = true;
      }
  }
}

// Why fixed_total_number cannot be drawn here, or empty.
inline std::string total_number_problem(const fixed_total_number& r, std::size_t n_pre, std::size_t n_post, bool same) {
  if (r.n == 0) return {};
  const std::size_t per_post = n_pre - (same && !r.allow_self_connections && n_pre > 0 ? 1 : 0);
  if (per_post == 0 || n_post == 0)
    return "fixed_total_number: n = " + std::to_string(r.n) + ", but no pair of neurons may be joined";
  if (!r.allow_multapses && static_cast<double>(r.n) > static_cast<double>(per_post) * static_cast<double>(n_post))
    return "fixed_total_number: n = " + std::to_string(r.n) + " without multapses, more than the " +
           std::to_string(per_post * n_post) + " pairs of neurons";
  return {};
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
        } else if constexpr (std::is_same_v<R, fixed_total_number>) {
          if (const std::string problem = detail::total_number_problem(r, n_pre, n_post, same); !problem.empty())
            fail(problem);
          const std::size_t blocks = (n_post + total_number_block - 1) / total_number_block;
          const auto split = detail::split_total_number(r, n_pre, n_post, same, key, 0, blocks);
          std::vector<std::uint32_t> block_pre, block_post;
          for (std::size_t b = 0; b < blocks; ++b) {
            detail::draw_total_number_block(r, n_pre, b * total_number_block,
                                            std::min(n_post, (b + 1) * total_number_block), same, key, split.start[b],
                                            split.start[b + 1], block_pre, block_post);
            pre.insert(pre.end(), block_pre.begin(), block_pre.end());
            post.insert(post.end(), block_post.begin(), block_post.end());
          }
          return detail::to_rows(n_pre, std::move(pre), std::move(post), {}, {});
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
