// Spatial jets of the network: values and the derivatives a PDE plan asks for.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace nivp {

struct JetRequest {
  bool gradient = false;                           // all D first derivatives
  std::vector<std::pair<int64_t, int64_t>> pairs;  // ∂²/∂x_i∂x_j, i <= j
  bool laplacian = false;
  // First-order tangents are needed for every derivative term (second order uses them too).
  bool needsTangents() const { return gradient || laplacian || !pairs.empty(); }
};

// Row-major layouts, n points and k fields. Unrequested members are undefined tensors.
struct Jets {
  at::Tensor values;     // n×k
  at::Tensor gradients;  // n×k×D
  at::Tensor second;     // n×k×P, P = request.pairs.size()
  at::Tensor laplacian;  // n×k
};

}  // namespace nivp
