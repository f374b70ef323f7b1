#include "engine/gradient_rows.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <optional>
#include <utility>

namespace nivp {

int64_t directionCount(StencilDirections directions, int64_t dim) {
  return directions == StencilDirections::Axes ? dim : 1;
}

at::Tensor sampledDirections(int64_t n, int64_t dim) {
  constexpr uint64_t kStream = 0x5eed5eedULL;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(kStream);
  const at::Tensor g = at::randn({n, dim}, gen, at::TensorOptions().dtype(at::kDouble));
  return g.mul(std::sqrt(static_cast<double>(dim)) / g.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-300));
}

at::Tensor stencilPoints(const at::Tensor& X, double h, StencilDirections directions) {
  const int64_t n = X.size(0), D = X.size(1);
  if (directions == StencilDirections::Sampled) {
    const at::Tensor step = sampledDirections(n, D).to(X.options()).mul_(h);
    return at::cat({X + step, X - step});
  }
  at::Tensor S = X.unsqueeze(0).unsqueeze(0).repeat({D, 2, 1, 1});  // D×2×n×D
  for (int64_t k = 0; k < D; ++k) {
    S[k][0].select(1, k).add_(h);
    S[k][1].select(1, k).sub_(h);
  }
  return S.reshape({2 * D * n, D});
}

at::Tensor stencilDifference(const at::Tensor& U, int64_t directions, double h) {
  const int64_t r = U.size(1);
  const at::Tensor u = U.reshape({directions, 2, -1, r});
  return (u.select(1, 0) - u.select(1, 1)).mul_(0.5 / h).reshape({-1, r});
}

at::Tensor stencilDifferenceT(const at::Tensor& G, int64_t directions, double h) {
  const int64_t r = G.size(1);
  const at::Tensor g = G.reshape({directions, 1, -1, r}).mul(0.5 / h);
  return at::cat({g, g.neg()}, 1).reshape({-1, r});
}

StencilRhs stencilRhs(const Program& rhs, const JetRequest& jets,
                      const std::vector<double>& gradientWeights) {
  StencilRhs out;
  Program& p = out.program;
  p = rhs;
  const auto graded = [&gradientWeights](size_t a) {
    return a < gradientWeights.size() && gradientWeights[a] > 0;
  };
  std::vector<bool> read(p.nodes.size(), false);
  for (size_t a = 0; a < p.outputs.size(); ++a)
    if (graded(a)) read[p.outputs[a]] = true;
  // Operands come before their nodes: one backward pass marks everything the graded outputs read.
  for (size_t k = p.nodes.size(); k-- > 0;) {
    if (!read[k]) continue;
    const PlanNode& node = p.nodes[k];
    if (node.a >= 0) read[node.a] = true;
    if (node.b >= 0) read[node.b] = true;
  }
  bool pairs = false;
  for (size_t k = 0; k < p.nodes.size(); ++k) {
    const PlanNode& node = p.nodes[k];
    if (!read[k]) {
      p.nodes[k] = PlanNode{};  // the constant 0
      p.isStatic[k] = true;
    } else if (node.op == PlanOp::Field) {
      out.jets.gradient = out.jets.gradient || node.term == JetTerm::D;
      out.jets.laplacian = out.jets.laplacian || node.term == JetTerm::Lap;
      pairs = pairs || node.term == JetTerm::D2;
    }
  }
  if (pairs) out.jets.pairs = jets.pairs;
  const auto zero = static_cast<int64_t>(p.nodes.size());
  p.nodes.emplace_back();
  p.isStatic.push_back(true);
  for (size_t a = 0; a < p.outputs.size(); ++a)
    if (!graded(a)) p.outputs[a] = zero;
  return out;
}

GradientRows GradientRows::linearize(const Network& network, const at::Tensor& theta, const at::Tensor& X,
                                     double h, StencilDirections directions, const ProgramEvaluator& rhs,
                                     const JetRequest& jets, double t, const at::Tensor& rowScale) {
  const int64_t K = directionCount(directions, X.size(1));
  const at::Tensor S = stencilPoints(X, h, directions);
  const at::Tensor scale = rowScale.defined() ? rowScale.repeat({2 * K}) : at::Tensor();
  at::Tensor f;
  std::optional<Linearization> lin;
  if (rhs.program().usesFields()) {
    Jets stencilJets;
    lin.emplace(network, theta, S, jets, stencilJets, scale);
    f = rhs.evaluate(S, t, &stencilJets, nullptr);
  } else {
    lin.emplace(network, theta, S, scale);
    f = rhs.evaluate(S, t, nullptr, nullptr);
  }
  f = f.to(network.options());
  if (scale.defined()) f = f * scale.unsqueeze(1);
  return GradientRows(K, h, std::move(*lin), stencilDifference(f, K, h));
}

at::Tensor GradientRows::fieldGramProduct(int64_t field, const at::Tensor& V) const {
  const at::Tensor G = stencilDifference(stencil_.fieldJvp(field, V), directions_, h_);
  return stencil_.fieldVjp(field, stencilDifferenceT(G, directions_, h_));
}

at::Tensor GradientRows::fieldTarget(int64_t field) const {
  const at::Tensor g = gradientF_.select(1, field).unsqueeze(1).contiguous();
  return stencil_.fieldVjp(field, stencilDifferenceT(g, directions_, h_));
}

at::Tensor GradientRows::fieldJacobian(int64_t field) const {
  return stencilDifference(stencil_.fieldJacobian(field), directions_, h_);
}

RowFactor GradientRows::sampledFactor(const Linearization& values, int64_t field, double beta,
                                      const at::Tensor& index) const {
  const int64_t n = values.samples(), m = index.size(0), D = directions_;
  const at::Tensor idx = index.to(at::TensorOptions().dtype(at::kLong).device(at::kCPU));
  // Point i's stencil rows are (2k + s)·n + i: the same [k][+, −][j] layout over the m points.
  const at::Tensor stencilIndex =
      (at::arange(2 * D, idx.options()).mul_(n).unsqueeze(1) + idx.unsqueeze(0)).reshape({-1});
  auto rows = std::make_shared<const Linearization>(
      Linearization::stackRows(values.selectRows(idx, at::Tensor(), at::kDouble),
                               stencil_.selectRows(stencilIndex, at::Tensor(), at::kDouble)));
  const double h = h_, rootBeta = std::sqrt(beta);
  // AᵀA/((1 + K)m) must be the m points' (JᵀJ + β Σ J_kᵀJ_k)/m.
  const double c = std::sqrt(static_cast<double>(1 + D));
  // T: stacked rows (value, then stencil) → (value, √β ∂_k), applied to the rows of U.
  const auto T = [m, D, h, rootBeta, c](const at::Tensor& U) {
    return at::cat({U.narrow(0, 0, m), stencilDifference(U.narrow(0, m, 2 * D * m), D, h).mul_(rootBeta)})
        .mul_(c);
  };
  RowFactor A;
  A.rows = (1 + D) * m;
  A.size = values.network().fieldParameterCount();
  A.options = at::TensorOptions().dtype(at::kDouble).device(values.network().config().device);
  A.apply = [rows, field, T](const at::Tensor& V) { return T(rows->fieldJvp(field, V)); };
  A.applyT = [rows, field, m, D, h, rootBeta, c](const at::Tensor& U) {
    const at::Tensor W =
        at::cat({U.narrow(0, 0, m), stencilDifferenceT(U.narrow(0, m, D * m), D, h).mul_(rootBeta)});
    return rows->fieldVjp(field, W).mul_(c);
  };
  A.gram = T(T(rows->fieldGram(field)).t().contiguous()).t().contiguous();
  return A;
}

}  // namespace nivp
