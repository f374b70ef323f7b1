// What a network is: the paper's architecture (section 4.1, appendix C) as plain data.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace nivp {

enum class Activation { Swish, Tanh };

struct NetworkConfig {
  int64_t dim = 1;     // spatial dimension D
  int64_t fields = 1;  // k, one subnetwork each
  int64_t width = 100;
  int64_t depth = 3;  // hidden layers
  Activation activation = Activation::Swish;
  // Sinusoidal embedding of eq. (5): octaves k = 0..frequencies, each damped by 2^(-decay·k),
  // all multiplied by embeddingScale. Without it the network sees the scaled point s itself.
  bool embedding = true;
  int64_t frequencies = 5;
  double decay = 1.0;
  double embeddingScale = 1.5;
  // Zero-Dirichlet boundaries: the output is multiplied by prod_i (1 - s_i^2).
  bool dirichlet = true;
  std::vector<double> lower, upper;  // the box; s = 2(x - lower)/(upper - lower) - 1
  at::ScalarType dtype = at::kDouble;
  at::Device device = at::kCPU;
  // Rows of the sample dimension processed at once (very tall GEMMs run slower), and
  // the bytes a chunk's temporaries may take; block products shrink the chunk to fit.
  int64_t chunkRows = 2048;
  int64_t memoryBudgetBytes = int64_t{2} << 30;

  int64_t inputFeatures() const { return embedding ? 2 * (frequencies + 1) * dim : dim; }
  // Throws std::invalid_argument naming the offending field.
  void validate() const;
};

}  // namespace nivp
