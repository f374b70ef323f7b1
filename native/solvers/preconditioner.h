// The interface of a preconditioner for the conjugate-gradient solver (solvers/pcg.h).
#pragma once
#include <ATen/ATen.h>

namespace nivp {

// An approximation of A⁻¹ for an SPD system A x = b, itself symmetric positive definite.
// apply(r) takes a block r of shape size×k (k ≥ 1; a 1-D vector of length size is accepted too)
// and returns P⁻¹ r with the same shape, dtype and device. It must not modify r; the result may
// be a new tensor or a buffer it owns, but it must not be r itself unless P is the identity.
class Preconditioner {
 public:
  virtual ~Preconditioner() = default;
  virtual at::Tensor apply(const at::Tensor& r) const = 0;
};

}  // namespace nivp
