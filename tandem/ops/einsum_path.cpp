// einsum_path: the contraction order NumPy's greedy optimizer picks, and its
// cost report, in the form mx.einsum_path returns (declared in matmul.h).
// Checked against mlx.core 0.32 on random subscripts (tests/python).
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "tandem/ops/matmul.h"
#include "tandem/ops/utils.h"

namespace tandem {
namespace {

using Labels = std::set<int>;  // letters, and kEllipsis + j for ellipsis dim j
constexpr int kEllipsis = 1000;

struct Problem {
  std::vector<Labels> inputs;
  Labels output;
  std::map<int, int64_t> sizes;
};

Problem parse(const std::string& subscripts, const std::vector<array>& operands) {
  const char* op = "einsum_path";
  std::string sub;
  for (char c : subscripts) {
    if (c != ' ') sub.push_back(c);
  }
  if (operands.empty()) invalid(op, "at least one operand is needed");
  auto arrow = sub.find("->");
  std::string lhs = sub.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != operands.size()) {
    invalid(op, "subscripts \"", subscripts, "\" name ", terms.size(), " operands but got ",
            operands.size());
  }
  // A term's letters, with -1 where its ellipsis stands.
  auto letters = [&](const std::string& t) {
    std::vector<int> out;
    for (size_t i = 0; i < t.size(); ++i) {
      char c = t[i];
      if (c == '.') {
        if (t.compare(i, 3, "...") != 0 || std::count(out.begin(), out.end(), -1)) {
          invalid(op, "bad ellipsis in subscripts \"", subscripts, "\"");
        }
        out.push_back(-1);
        i += 2;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        out.push_back(c);
      } else {
        invalid(op, "invalid character '", c, "' in subscripts \"", subscripts, "\"");
      }
    }
    return out;
  };
  Problem p;
  int n_ell = 0;
  std::vector<std::vector<int>> parsed;
  for (size_t i = 0; i < terms.size(); ++i) {
    parsed.push_back(letters(terms[i]));
    bool ell = std::count(parsed[i].begin(), parsed[i].end(), -1) > 0;
    int named = static_cast<int>(parsed[i].size()) - (ell ? 1 : 0);
    int nd = operands[i].ndim();
    if (ell ? named > nd : named != nd) {
      invalid(op, "operand ", i, " has shape ", operands[i].shape(), " but term \"", terms[i],
              "\" names ", named, " dims");
    }
    if (ell) n_ell = std::max(n_ell, nd - named);
  }
  std::map<int, int> counts;
  for (size_t i = 0; i < terms.size(); ++i) {
    const array& x = operands[i];
    int e = x.ndim() - (static_cast<int>(parsed[i].size()) - 1);  // ellipsis dims, if any
    Labels set;
    int d = 0;
    for (int l : parsed[i]) {
      std::vector<int> ls;
      if (l == -1) {
        for (int j = 0; j < e; ++j) ls.push_back(kEllipsis + n_ell - e + j);
      } else {
        ls.push_back(l);
      }
      for (int lab : ls) {
        int64_t n = x.shape(d++);
        auto it = p.sizes.find(lab);
        if (it == p.sizes.end()) {
          p.sizes[lab] = n;
        } else if (it->second != n && (lab < kEllipsis || (it->second != 1 && n != 1))) {
          invalid(op, "index '", lab < kEllipsis ? std::string(1, static_cast<char>(lab)) : "...",
                  "' has sizes ", it->second, " and ", n, " in \"", subscripts, "\"");
        } else {
          it->second = std::max(it->second, n);
        }
        set.insert(lab);
        counts[lab]++;
      }
    }
    p.inputs.push_back(set);
  }
  for (int j = 0; j < n_ell; ++j) p.output.insert(kEllipsis + j);
  if (arrow == std::string::npos) {
    for (auto& [l, c] : counts) {
      if (l < kEllipsis && c == 1) p.output.insert(l);
    }
  } else {
    for (int l : letters(sub.substr(arrow + 2))) {
      if (l == -1) continue;
      if (!counts.count(l)) {
        invalid(op, "output index '", static_cast<char>(l), "' of \"", subscripts,
                "\" appears in no input");
      }
      p.output.insert(l);
    }
  }
  return p;
}

int64_t size_of(const Labels& s, const Problem& p) {
  int64_t n = 1;
  for (int l : s) n *= p.sizes.at(l);
  return n;
}

// NumPy's FLOP estimate of contracting `terms` operands over `all` labels,
// `inner` when some label is summed away.
int64_t flops(const Labels& all, bool inner, size_t terms, const Problem& p) {
  int64_t factor = std::max<int64_t>(1, static_cast<int64_t>(terms) - 1) + (inner ? 1 : 0);
  return size_of(all, p) * factor;
}

// Contracting the operands at `pos` of `sets`: the labels it spans, the ones
// it keeps (those the output or another operand still needs), and the
// operand list after it (the others in order, then the result).
struct Step {
  Labels all, kept;
  std::vector<Labels> after;
};

Step contract(const std::vector<int>& pos, const std::vector<Labels>& sets, const Labels& out) {
  Step st;
  Labels needed = out;
  for (size_t k = 0; k < sets.size(); ++k) {
    if (std::find(pos.begin(), pos.end(), static_cast<int>(k)) != pos.end()) {
      st.all.insert(sets[k].begin(), sets[k].end());
    } else {
      needed.insert(sets[k].begin(), sets[k].end());
      st.after.push_back(sets[k]);
    }
  }
  std::set_intersection(st.all.begin(), st.all.end(), needed.begin(), needed.end(),
                        std::inserter(st.kept, st.kept.begin()));
  st.after.push_back(st.kept);
  return st;
}

bool disjoint(const Labels& a, const Labels& b) {
  for (int l : a) {
    if (b.count(l)) return false;
  }
  return true;
}

struct Candidate {
  std::pair<int64_t, int64_t> key;  // (-bytes freed, flops): smaller is better
  std::pair<int, int> pos;
  std::vector<Labels> after;
};

// Greedy: each step contracts the pair that frees the most elements (then
// costs least), skipping pairs that share no label while others do, results
// larger than the largest operand or output, and steps that would make the
// total cost pass the naive one. Candidates found in earlier steps are kept
// (re-indexed) rather than recomputed, and later steps only pair the newest
// operand with the others.
std::vector<std::vector<int>> greedy(std::vector<Labels> sets, const Problem& p) {
  size_t n = sets.size();
  if (n == 1) return {{0}};
  if (n == 2) return {{0, 1}};
  Labels everything;
  for (auto& s : sets) everything.insert(s.begin(), s.end());
  bool inner =
      !std::includes(p.output.begin(), p.output.end(), everything.begin(), everything.end());
  int64_t naive = flops(everything, inner, n, p);
  int64_t memory = size_of(p.output, p);
  for (auto& s : sets) memory = std::max(memory, size_of(s, p));

  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < static_cast<int>(n); ++i) {
    for (int j = i + 1; j < static_cast<int>(n); ++j) pairs.emplace_back(i, j);
  }
  std::vector<Candidate> known;
  std::vector<std::vector<int>> path;
  int64_t path_cost = 0;
  auto consider = [&](std::pair<int, int> pos) {
    Step st = contract({pos.first, pos.second}, sets, p.output);
    int64_t kept = size_of(st.kept, p);
    if (kept > memory) return;
    int64_t freed = size_of(sets[pos.first], p) + size_of(sets[pos.second], p) - kept;
    int64_t cost = flops(st.all, st.all.size() != st.kept.size(), 2, p);
    if (path_cost + cost > naive) return;
    known.push_back({{-freed, cost}, pos, std::move(st.after)});
  };
  for (size_t step = 0; step + 1 < n; ++step) {
    for (auto pos : pairs) {
      if (!disjoint(sets[pos.first], sets[pos.second])) consider(pos);
    }
    if (known.empty()) {
      for (auto pos : pairs) consider(pos);
    }
    if (known.empty()) {
      std::vector<int> all(sets.size());
      for (size_t k = 0; k < all.size(); ++k) all[k] = static_cast<int>(k);
      path.push_back(all);
      break;
    }
    auto best_it = std::min_element(known.begin(), known.end(),
                                    [](auto& a, auto& b) { return a.key < b.key; });
    Candidate best = *best_it;
    auto [bx, by] = best.pos;
    std::vector<Candidate> rest;
    for (auto& c : known) {
      auto [x, y] = c.pos;
      if (x == bx || x == by || y == bx || y == by) continue;
      // The candidate's operand list, with the best pair's result in place
      // of its two operands (kept just before the candidate's own result).
      auto after = c.after;
      after.erase(after.begin() + (by - (by > x) - (by > y)));
      after.erase(after.begin() + (bx - (bx > x) - (bx > y)));
      after.insert(after.end() - 1, best.after.back());
      rest.push_back({c.key, {x - (x > bx) - (x > by), y - (y > bx) - (y > by)}, std::move(after)});
    }
    known = std::move(rest);
    sets = best.after;
    int newest = static_cast<int>(sets.size()) - 1;
    pairs.clear();
    for (int i = 0; i < newest; ++i) pairs.emplace_back(i, newest);
    path.push_back({bx, by});
    path_cost += best.key.second;
  }
  return path;
}

}  // namespace

std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands) {
  Problem p = parse(subscripts, operands);
  auto path = greedy(p.inputs, p);
  Labels everything;
  for (auto& s : p.inputs) everything.insert(s.begin(), s.end());
  bool inner =
      !std::includes(p.output.begin(), p.output.end(), everything.begin(), everything.end());
  int64_t naive = flops(everything, inner, p.inputs.size(), p);
  int64_t optimized = 0;
  size_t scaling = 0;
  auto sets = p.inputs;
  for (auto& pos : path) {
    Step st = contract(pos, sets, p.output);
    optimized += flops(st.all, st.all.size() != st.kept.size(), pos.size(), p);
    scaling = std::max(scaling, st.all.size());
    sets = std::move(st.after);
  }
  std::ostringstream os;
  os << "  Complete contraction:  " << subscripts << "\n"
     << "         Naive scaling:  " << everything.size() << "\n"
     << "     Optimized scaling:  " << scaling << "\n"
     << "      Naive FLOP count:  " << naive << "\n"
     << "  Optimized FLOP count:  " << optimized << "\n";
  return {path, os.str()};
}

}  // namespace tandem
