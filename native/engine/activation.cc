#include "engine/activation.h"

namespace nivp {

ActivationJet activate(Activation kind, const at::Tensor& z, bool withSecond) {
  ActivationJet jet;
  if (kind == Activation::Tanh) {
    const at::Tensor t = at::tanh(z);
    jet.value = t;
    jet.first = 1 - t * t;
    if (withSecond) jet.second = -2 * t * jet.first;
    return jet;
  }
  // swish(z) = z·σ(z); swish' = σ(1 + z(1 − σ)); swish'' = σ(1 − σ)(2 + z(1 − 2σ)).
  const at::Tensor sig = at::sigmoid(z);
  const at::Tensor oneMinus = 1 - sig;
  jet.value = z * sig;
  jet.first = sig * (1 + z * oneMinus);
  if (withSecond) jet.second = sig * oneMinus * (2 + z * (1 - 2 * sig));
  return jet;
}

at::Tensor activateValue(Activation kind, const at::Tensor& z) {
  return kind == Activation::Tanh ? at::tanh(z) : z * at::sigmoid(z);
}

void activateInto(Activation kind, const at::Tensor& z, at::Tensor& value, at::Tensor& slope) {
  if (kind == Activation::Tanh) {
    at::tanh_out(value, z);
    slope.fill_(1).addcmul_(value, value, -1);  // 1 − t²
    return;
  }
  // swish' = σ + swish·(1 − σ) = σ − swish·σ + swish.
  at::sigmoid_out(slope, z);
  at::mul_out(value, z, slope);
  slope.addcmul_(value, slope, -1).add_(value);
}

}  // namespace nivp
