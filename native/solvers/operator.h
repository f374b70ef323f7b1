// The interface between the solvers and whatever supplies matrix-vector products.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

namespace nivp {

// A symmetric positive semi-definite operator A on R^size, applied to a block of vectors:
// apply(V) with V of shape size×r returns A·V of the same shape (r ≥ 1). Blocks let the
// Nyström sketch use one block product instead of r single ones.
struct SpdOperator {
  int64_t size = 0;
  at::TensorOptions options;  // dtype and device of the vectors it takes
  std::function<at::Tensor(const at::Tensor&)> apply;
};

}  // namespace nivp
