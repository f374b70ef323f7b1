#include "engine/boundary.h"

#include <vector>

namespace nivp {

BoundaryJets boundaryJets(const at::Tensor& s, const at::Tensor& axisScale, const at::Tensor& dirichletAxes,
                          const JetRequest& request) {
  const int64_t c = s.size(0), D = s.size(1);
  // A non-Dirichlet axis's factor is 1, with no derivative: a_i = 0 in b_i = 1 − a_i s_i².
  const bool mixed = dirichletAxes.defined();
  const at::Tensor b = mixed ? 1 - s.square() * dirichletAxes : 1 - s.square();  // c×D factors
  BoundaryJets out;
  Channels& B = out.jets;
  B.value = b.prod(1, /*keepdim=*/true);
  if (!request.needsTangents()) return out;
  // Products over all axes but one (or two), from prefix and suffix products: no division,
  // so points on a face (a zero factor) are handled exactly.
  const at::Tensor ones = at::ones({c, 1}, s.options());
  const at::Tensor prefix = at::cat({ones, b.cumprod(1).narrow(1, 0, D - 1)}, 1);  // Π_{k<i}
  const at::Tensor suffix =
      at::cat({b.flip({1}).cumprod(1).flip({1}).narrow(1, 1, D - 1), ones}, 1);  // Π_{k>i}
  const at::Tensor exceptOne = prefix * suffix;
  const at::Tensor ga = mixed ? axisScale * dirichletAxes : axisScale;
  const at::Tensor db = -2 * s * ga;                            // ∂b_i/∂x_i
  const at::Tensor d2b = (-2 * ga * axisScale).expand({c, D});  // ∂²b_i/∂x_i²
  B.tangent = (db * exceptOne).t().unsqueeze(2);                // D×c×1
  if (!request.pairs.empty()) {
    B.pairs = at::empty({static_cast<int64_t>(request.pairs.size()), c, 1}, s.options());
    for (size_t p = 0; p < request.pairs.size(); ++p) {
      const auto [i, j] = request.pairs[p];
      if (i == j) {
        B.pairs[p] = (d2b.select(1, i) * exceptOne.select(1, i)).unsqueeze(1);
      } else {
        at::Tensor rest = prefix.select(1, i) * suffix.select(1, j);  // Π_{k<i} · Π_{k>j}
        for (int64_t k = i + 1; k < j; ++k) rest = rest * b.select(1, k);
        B.pairs[p] = (db.select(1, i) * db.select(1, j) * rest).unsqueeze(1);
      }
    }
  }
  if (request.laplacian) B.lap = (d2b * exceptOne).sum(1, /*keepdim=*/true);
  return out;
}

// y = B m:  ∂_i y = ∂_iB m + B ∂_i m;  ∂_ij y = ∂_ijB m + ∂_iB ∂_j m + ∂_jB ∂_i m + B ∂_ij m;
//           Δy = ΔB m + 2 ∇B·∇m + B Δm.
Channels applyBoundary(const BoundaryJets& boundary, const Channels& m, const JetRequest& request) {
  const Channels& B = boundary.jets;
  Channels y;
  y.value = B.value * m.value;
  if (!request.needsTangents()) return y;
  y.tangent = B.tangent * m.value + B.value * m.tangent;
  if (!request.pairs.empty()) {
    y.pairs = at::empty_like(m.pairs);
    for (size_t p = 0; p < request.pairs.size(); ++p) {
      const auto [i, j] = request.pairs[p];
      y.pairs[p] = B.pairs[p] * m.value + B.tangent[i] * m.tangent[j] + B.tangent[j] * m.tangent[i] +
                   B.value * m.pairs[p];
    }
  }
  if (request.laplacian) y.lap = B.lap * m.value + 2 * (B.tangent * m.tangent).sum(0) + B.value * m.lap;
  return y;
}

}  // namespace nivp
