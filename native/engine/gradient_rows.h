// The rows of the H¹-type projection (docs/accuracy.md, "The projection's norm"): for a field with
// gradient weight β > 0, θ̇ also matches the spatial gradient of the field's time derivative,
//   min ‖J θ̇ − f‖² + β Σ_k ‖∂_k(J θ̇) − ∂_k f‖²   over the samples,
// which controls the derivatives of u that a right-hand side reads (a wave's Δφ through ψ_t).
// ∂_k is the central difference over the stencil x ± h·ξ_k: the Jacobian of ∂_k u is a fixed
// combination of value rows at the 2K·n stencil points, so its products keep the cached-factor
// GEMMs of a Linearization (at 2K× the rows) and need no Jacobian of ∇u itself. The directions ξ
// are the K = D axes, or one direction per point (K = 1) uniform on the sphere of radius √D:
// then E[(ξ·∇r)²] = ‖∇r‖², an unbiased estimate of the same norm at 3 rows per point, not 1 + 2D.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "engine/jets.h"
#include "engine/linearization.h"
#include "engine/network.h"
#include "plan/program.h"
#include "solvers/subsampled.h"

namespace nivp {

enum class StencilDirections { Axes, Sampled };

// K: the directions per point.
int64_t directionCount(StencilDirections directions, int64_t dim);

// One direction per point (n×D, float64 on the CPU): normal draws scaled to length √D, from a
// fixed stream, so that every stage of a step (the same points) sees the same directions; the
// points themselves are drawn afresh, so the pairing of point and direction is random.
at::Tensor sampledDirections(int64_t n, int64_t dim);

// The stencil points of X (n×D): 2K·n rows laid out [k][+, −][i], row (2k + s)·n + i at
// x_i + (1 − 2s)·h·ξ_{k,i}.
at::Tensor stencilPoints(const at::Tensor& X, double h, StencilDirections directions);

// Central differences of stencil rows: U (2K·n)×r → (K·n)×r, row k·n + i = (U₊ − U₋)/2h.
at::Tensor stencilDifference(const at::Tensor& U, int64_t directions, double h);
// Its transpose: G (K·n)×r → (2K·n)×r.
at::Tensor stencilDifferenceT(const at::Tensor& G, int64_t directions, double h);

// What the gradient rows evaluate at the stencil: the right-hand side of the graded fields only
// (the other outputs a constant 0) and the jets those outputs read. A wave's graded φ_t = ψ reads
// values alone where ψ_t = Δφ needs the Laplacian at 2D× the points.
struct StencilRhs {
  Program program;
  JetRequest jets;
};
StencilRhs stencilRhs(const Program& rhs, const JetRequest& jets, const std::vector<double>& gradientWeights);

class GradientRows {
 public:
  // The network linearised at the stencil of X, with the right-hand side evaluated there (its
  // central differences are ∂_k f). rowScale (n, optional): √w_i of point i, for all its rows.
  static GradientRows linearize(const Network& network, const at::Tensor& theta, const at::Tensor& X,
                                double h, StencilDirections directions, const ProgramEvaluator& rhs,
                                const JetRequest& jets, double t, const at::Tensor& rowScale);

  // ∂_k f on the samples, (K·n)×k (row scale applied): NaN-free iff f is finite at the stencil.
  const at::Tensor& gradientF() const { return gradientF_; }
  // Σ_k J_kᵀ J_k V for field a (not divided by n): V p_a×r → p_a×r.
  at::Tensor fieldGramProduct(int64_t field, const at::Tensor& V) const;
  // Σ_k J_kᵀ ∂_k f_a (not divided by n), p_a×1.
  at::Tensor fieldTarget(int64_t field) const;
  // The explicit rows J_k of field a stacked over k, (K·n)×p_a, for dense solves.
  at::Tensor fieldJacobian(int64_t field) const;

  // A row sample of field a's graded block M_a = (JᵀJ + β Σ_k J_kᵀJ_k)/n for a preconditioner
  // (solvers/subsampled.h): the points `index` (m of `values`' n rows), each with its value row
  // and its K gradient rows, (1 + K)·m rows in float64 scaled so that AᵀA/rows estimates M_a. The
  // Gram matrix comes from the stacked stencil and value caches (cross terms included), with the
  // differences applied on both sides: no product with the whole M_a.
  RowFactor sampledFactor(const Linearization& values, int64_t field, double beta,
                          const at::Tensor& index) const;

 private:
  GradientRows(int64_t directions, double h, Linearization stencil, at::Tensor gradientF)
      : directions_(directions), h_(h), stencil_(std::move(stencil)), gradientF_(std::move(gradientF)) {}

  int64_t directions_;  // K
  double h_;
  Linearization stencil_;
  at::Tensor gradientF_;
};

}  // namespace nivp
