// Activation functions with the first two derivatives that Taylor-mode propagation needs.
#pragma once
#include <ATen/ATen.h>

#include "engine/network_config.h"

namespace nivp {

struct ActivationJet {
  at::Tensor value, first, second;  // σ(z), σ'(z), σ''(z); `second` only when asked for
};

ActivationJet activate(Activation kind, const at::Tensor& z, bool withSecond);
// σ(z) alone, and σ(z) with σ'(z), the cheap paths for the Jacobian caches.
at::Tensor activateValue(Activation kind, const at::Tensor& z);
// σ(z) into `value` and σ'(z) into `slope` (both shaped like z, contiguous, not aliasing z): no
// allocation and four passes over cache-sized chunks, for the Jacobian caches' forward sweep.
void activateInto(Activation kind, const at::Tensor& z, at::Tensor& value, at::Tensor& slope);

}  // namespace nivp
