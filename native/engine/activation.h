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

}  // namespace nivp
