#include "engine/gradient_rows.h"

#include <optional>
#include <utility>

namespace nivp {

at::Tensor stencilPoints(const at::Tensor& X, double h) {
  const int64_t n = X.size(0), D = X.size(1);
  at::Tensor S = X.unsqueeze(0).unsqueeze(0).repeat({D, 2, 1, 1});  // D×2×n×D
  for (int64_t k = 0; k < D; ++k) {
    S[k][0].select(1, k).add_(h);
    S[k][1].select(1, k).sub_(h);
  }
  return S.reshape({2 * D * n, D});
}

at::Tensor stencilDifference(const at::Tensor& U, int64_t dim, double h) {
  const int64_t r = U.size(1);
  const at::Tensor u = U.reshape({dim, 2, -1, r});
  return (u.select(1, 0) - u.select(1, 1)).mul_(0.5 / h).reshape({-1, r});
}

at::Tensor stencilDifferenceT(const at::Tensor& G, int64_t dim, double h) {
  const int64_t r = G.size(1);
  const at::Tensor g = G.reshape({dim, 1, -1, r}).mul(0.5 / h);
  return at::cat({g, g.neg()}, 1).reshape({-1, r});
}

GradientRows GradientRows::linearize(const Network& network, const at::Tensor& theta, const at::Tensor& X,
                                     double h, const ProgramEvaluator& rhs, const JetRequest& jets, double t,
                                     const at::Tensor& rowScale) {
  const int64_t D = X.size(1);
  const at::Tensor S = stencilPoints(X, h);
  const at::Tensor scale = rowScale.defined() ? rowScale.repeat({2 * D}) : at::Tensor();
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
  return GradientRows(D, h, std::move(*lin), stencilDifference(f, D, h));
}

at::Tensor GradientRows::fieldGramProduct(int64_t field, const at::Tensor& V) const {
  const at::Tensor G = stencilDifference(stencil_.fieldJvp(field, V), dim_, h_);
  return stencil_.fieldVjp(field, stencilDifferenceT(G, dim_, h_));
}

at::Tensor GradientRows::fieldTarget(int64_t field) const {
  const at::Tensor g = gradientF_.select(1, field).unsqueeze(1).contiguous();
  return stencil_.fieldVjp(field, stencilDifferenceT(g, dim_, h_));
}

at::Tensor GradientRows::fieldJacobian(int64_t field) const {
  return stencilDifference(stencil_.fieldJacobian(field), dim_, h_);
}

}  // namespace nivp
