// The network linearised at (θ, X): J = ∂y(X)/∂θ as an operator, never as a p×p matrix.
//
// Per field and linear layer l, z_l = W_l h_{l−1} + b_l, the Jacobian row of point i for W_l is
// δ_l[i] h_{l−1}[i]ᵀ with δ_l = ∂y/∂z_l. Caching h_{l−1} and δ_l once per θ and point set makes
// J·V and Jᵀ·U one GEMM per layer, with no chain through the layers.
// Fields have separate subnetworks, so J is block diagonal: field a's output depends on θ_a only.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "engine/network.h"
#include "engine/workspace_pool.h"

namespace nivp {

class Linearization {
 public:
  // rowScale (optional, n): row i of J is scaled by rowScale[i] — √w_i for importance-weighted
  // samples, so that JᵀJ/n and Jᵀ(√w·f)/n estimate the unweighted integrals. values() stay unscaled.
  Linearization(const Network& network, const at::Tensor& theta, const at::Tensor& points,
                const at::Tensor& rowScale = at::Tensor());
  // The same caches from the forward sweep that computes `request`'s jets, which are written to
  // `jets` (as network.forward returns them): one sweep where the two calls would take two.
  Linearization(const Network& network, const at::Tensor& theta, const at::Tensor& points,
                const JetRequest& request, Jets& jets, const at::Tensor& rowScale = at::Tensor());
  Linearization(const Linearization&) = default;
  Linearization(Linearization&&) = default;
  // The caches go back to the network's workspace, for the next linearisation to reuse.
  ~Linearization();

  const Network& network() const { return network_; }
  int64_t samples() const { return n_; }
  const at::Tensor& values() const { return values_; }  // n×k network outputs at the points
  at::ScalarType dtype() const { return opts_.dtype().toScalarType(); }

  // A copy whose caches (and products) are in `dtype`: float32 products for mixed-precision CG,
  // where the solver keeps its vectors in float64 and casts at the operator's boundary.
  Linearization castTo(at::ScalarType dtype) const;

  // Whole-θ products. V: p×r → n×k×r.  W: n×k×r → p×r.  M·V = Jᵀ(J V)/n + μV.
  at::Tensor jvp(const at::Tensor& V) const;
  at::Tensor vjp(const at::Tensor& W) const;
  at::Tensor mvm(const at::Tensor& V, double mu) const;

  // One field's block: V: p_a×r → n×r;  U: n×r → p_a×r;  M_a V = J_aᵀ(J_a V)/n + μV.
  at::Tensor fieldJvp(int64_t field, const at::Tensor& V) const;
  at::Tensor fieldVjp(int64_t field, const at::Tensor& U) const;
  at::Tensor fieldMvm(int64_t field, const at::Tensor& V, double mu) const;
  // The explicit Jacobian block J_a (n×p_a), for dense solves and tests.
  at::Tensor fieldJacobian(int64_t field) const;
  // J_a J_aᵀ (n×n) from the per-layer factors, Σ_l (δ_l δ_lᵀ) ⊙ (h_{l−1} h_{l−1}ᵀ + 1): about
  // n²·(widths) flops, never n·p_a.
  at::Tensor fieldGram(int64_t field) const;

  // The linearisation at the points `index` (m indices into 0..n−1, repeats allowed), row k of J
  // scaled by scale[k] (undefined: 1), as an independent copy of those rows' caches in `dtype`:
  // what a preconditioner keeps of M after this linearisation is gone.
  Linearization selectRows(const at::Tensor& index, const at::Tensor& scale, at::ScalarType dtype) const;
  // The rows of `top` followed by those of `bottom` (the same network, dtype and device): one
  // factor whose Gram matrix holds the cross terms between two point sets.
  static Linearization stackRows(const Linearization& top, const Linearization& bottom);

 private:
  struct FieldCache {
    std::vector<at::Tensor> inputs;         // h_{l−1}: n×in_l per layer
    std::vector<at::Tensor> sensitivities;  // δ_l: n×out_l per layer
  };
  // Buffers for single-vector products, allocated once per call and reused by every chunk and
  // layer: allocation and page faults, not GEMMs, dominate otherwise.
  struct VectorWorkspace {
    PooledBuffers memory;              // what perLayer lives in, handed back after the call
    std::vector<at::Tensor> perLayer;  // rows×out_l
    at::Tensor onesOut, onesRows;      // for row and column sums as GEMVs
  };
  VectorWorkspace vectorWorkspace(int64_t rows) const;
  // Rows per chunk of the constructor's forward and backward sweep.
  int64_t constructionRows() const;
  // Empty caches for n_ rows (the features tensor shared by the fields).
  void allocateCaches();
  // The sensitivities of rows [row0, row0 + c) of one field, from the chunk's slopes σ'(z_l)
  // (c×width each) and output sensitivity (c×1: ∂u/∂m, times the row scale if any).
  void backwardChunk(const at::Tensor& theta, int64_t field, int64_t row0,
                     const std::vector<at::Tensor>& slopes, const at::Tensor& outputSlope);
  void jvpChunk1(const FieldCache& cache, const at::Tensor& v, int64_t row0, int64_t rows, at::Tensor acc,
                 VectorWorkspace& ws) const;
  void vjpChunk1(const FieldCache& cache, const at::Tensor& u, int64_t row0, int64_t rows, at::Tensor& out,
                 VectorWorkspace& ws) const;
  // Writes rows [row0, row0 + rows) of J_a into `out` (rows×p_a, may be a view).
  void fillJacobianRows(const FieldCache& cache, int64_t row0, int64_t rows, at::Tensor out) const;
  // M_a V for many columns: explicit J chunks and two large GEMMs beat r thin per-layer products.
  at::Tensor fieldMvmExplicit(int64_t field, const at::Tensor& V) const;
  // Rows per chunk for a product with r right-hand sides, within the memory budget.
  int64_t chunkRows(int64_t r) const;
  // Rows [row0, row0 + rows): J V into acc (rows×r); Jᵀu of those rows (u: rows×r) added to out.
  void jvpChunk(const FieldCache& cache, const at::Tensor& V, int64_t row0, int64_t rows,
                at::Tensor acc) const;
  void vjpChunk(const FieldCache& cache, const at::Tensor& u, int64_t row0, int64_t rows,
                at::Tensor& out) const;

  const Network& network_;
  at::TensorOptions opts_;  // dtype and device of the caches and of every product
  int64_t n_ = 0;
  at::Tensor values_;
  std::vector<FieldCache> caches_;
};

}  // namespace nivp
