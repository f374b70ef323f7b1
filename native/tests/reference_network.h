// An independent, deliberately plain implementation of the network for tests: written
// straight from the paper's formulas with autograd-capable torch ops, sharing no code with
// native/engine.
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "engine/network.h"

namespace nivp::testing {

// y(x; θ) for every field, n×k; differentiable in both x and θ.
inline torch::Tensor referenceForward(const NetworkConfig& cfg, const torch::Tensor& theta,
                                      const torch::Tensor& x) {
  const int64_t n = x.size(0), D = cfg.dim;
  std::vector<torch::Tensor> sCols;
  for (int64_t i = 0; i < D; ++i)
    sCols.push_back(2 * (x.select(1, i) - cfg.lower[i]) / (cfg.upper[i] - cfg.lower[i]) - 1);
  const torch::Tensor s = torch::stack(sCols, 1);
  torch::Tensor features;
  if (cfg.embedding) {
    std::vector<torch::Tensor> feats;
    for (int trig = 0; trig < 2; ++trig)
      for (int64_t k = 0; k <= cfg.frequencies; ++k)
        for (int64_t i = 0; i < D; ++i) {
          const double omega =
              std::pow(2.0, static_cast<double>(k)) * (cfg.periodicAlong(i) ? M_PI : M_PI / 2);
          const double weight = cfg.embeddingScale * std::pow(2.0, -cfg.decay * static_cast<double>(k));
          const torch::Tensor arg = s.select(1, i) * omega;
          feats.push_back(weight * (trig == 0 ? torch::sin(arg) : torch::cos(arg)));
        }
    features = torch::stack(feats, 1);
  } else {
    features = s;
  }
  torch::Tensor boundary = torch::ones({n}, x.options());
  for (int64_t i = 0; i < D; ++i)
    if (cfg.dirichletAlong(i)) boundary = boundary * (1 - s.select(1, i) * s.select(1, i));
  std::vector<torch::Tensor> outputs;
  int64_t offset = 0;
  for (int64_t a = 0; a < cfg.fields; ++a) {
    torch::Tensor h = features;
    int64_t in = features.size(1);
    for (int64_t l = 0; l <= cfg.depth; ++l) {
      const int64_t out = l < cfg.depth ? cfg.width : 1;
      const torch::Tensor W = theta.narrow(0, offset, out * in).view({out, in});
      offset += out * in;
      const torch::Tensor b = theta.narrow(0, offset, out);
      offset += out;
      h = torch::matmul(h, W.t()) + b;
      if (l < cfg.depth) h = cfg.activation == Activation::Tanh ? torch::tanh(h) : h * torch::sigmoid(h);
      in = out;
    }
    const torch::Tensor m = h.squeeze(1);
    outputs.push_back(boundary * (cfg.output == Output::Exp ? torch::exp(m) : m) * cfg.outputScaleOf(a));
  }
  return torch::stack(outputs, 1);
}

}  // namespace nivp::testing
