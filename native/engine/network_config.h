// What a network is: the paper's architecture (section 4.1, appendix C) as plain data.
#pragma once
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/option_defaults.h"

namespace nivp {

enum class Activation { Swish, Tanh };

constexpr Activation activationNamed(std::string_view name) {
  return name == "tanh" ? Activation::Tanh : Activation::Swish;
}

// How the subnetwork's output m becomes the field: u = B·m, or u = B·e^m for a positive field
// (a narrow Gaussian bump is then a quadratic m, which a raw-coordinate MLP fits and moves well).
enum class Output { Linear, Exp };

constexpr Output outputNamed(std::string_view name) { return name == "exp" ? Output::Exp : Output::Linear; }

struct NetworkConfig {
  int64_t dim = 1;     // spatial dimension D
  int64_t fields = 1;  // k, one subnetwork each
  int64_t width = defaults::network::width;
  int64_t depth = defaults::network::depth;  // hidden layers
  Activation activation = activationNamed(defaults::network::activation);
  // Sinusoidal embedding of eq. (5): octaves k = 0..frequencies, each damped by 2^(-decay·k),
  // all multiplied by embeddingScale. Without it the network sees the scaled point s itself.
  // Octave k's frequency is 2^k·π/2 in s_i, or 2^k·π along a periodic axis.
  bool embedding = defaults::network::embedding;
  int64_t frequencies = defaults::network::frequencies;
  double decay = defaults::network::decay;
  double embeddingScale = defaults::network::embeddingScale;
  Output output = outputNamed(defaults::network::output);
  // The boundary along each axis: one entry for every axis, or one per axis. Zero-Dirichlet
  // faces: the output is multiplied by the product of (1 - s_i^2) over such axes. A periodic axis:
  // every octave's period divides the box's width along it, so the network (which sees x only
  // through the embedding) repeats with the box along that axis. Neither: no condition.
  std::vector<bool> dirichlet = {true};
  std::vector<bool> periodic = {false};
  // Per field, the factor c_a of u_a = c_a·B·m (c_a·B·e^m): the subnetwork fits u_a/c_a, of size 1
  // whatever the units of u_a, so the fit's damping and the projection's regularisation see the
  // same parameter geometry at any amplitude. Empty: 1 for every field.
  std::vector<double> outputScale;
  // Per field, the constant o_a of u_a = o_a + c_a·B·m: a field that is a large constant plus a
  // small variation (a temperature in kelvin) has the subnetwork fit the variation, and the fit's
  // error, μ's scale and the sampling measure read u − o, not u. Linear output without a
  // Dirichlet factor only. Empty: 0 for every field.
  std::vector<double> outputOffset;
  std::vector<double> lower, upper;  // the box; s = 2(x - lower)/(upper - lower) - 1
  at::ScalarType dtype = at::kDouble;
  at::Device device = at::kCPU;
  // How the sample dimension is cut into passes. Cache: passes of at most chunkRows rows (fewer
  // for some sweeps), so that a pass's temporaries stay in a core's cache and very tall GEMMs are
  // avoided. Batch: the whole batch in one pass whenever its temporaries fit memoryBudgetBytes,
  // since on a GPU every pass costs a fixed number of kernel launches whose overhead exceeds a
  // cache-sized pass's arithmetic. Auto: Batch on CUDA, Cache on a CPU.
  enum class Chunking { Auto, Cache, Batch };
  Chunking chunking = Chunking::Auto;
  int64_t chunkRows = 2048;
  // The bytes one pass's temporaries may take; every rule shrinks its passes to fit.
  int64_t memoryBudgetBytes = defaults::top::memoryBudget;

  int64_t inputFeatures() const { return embedding ? 2 * (frequencies + 1) * dim : dim; }
  double outputScaleOf(int64_t field) const {
    return outputScale.empty() ? 1.0 : outputScale[static_cast<size_t>(field)];
  }
  double outputOffsetOf(int64_t field) const {
    return outputOffset.empty() ? 0.0 : outputOffset[static_cast<size_t>(field)];
  }
  bool hasOutputOffset() const;
  bool dirichletAlong(int64_t axis) const { return alongAxis(dirichlet, axis); }
  bool periodicAlong(int64_t axis) const { return alongAxis(periodic, axis); }
  bool anyDirichlet() const { return std::find(dirichlet.begin(), dirichlet.end(), true) != dirichlet.end(); }
  bool anyPeriodic() const { return std::find(periodic.begin(), periodic.end(), true) != periodic.end(); }
  bool everyAxisDirichlet() const {
    return std::find(dirichlet.begin(), dirichlet.end(), false) == dirichlet.end();
  }
  // Whether passes take the whole batch (the Batch rule, or Auto on a CUDA device).
  bool batchedPasses() const {
    return chunking == Chunking::Batch || (chunking == Chunking::Auto && device.is_cuda());
  }
  // Rows per pass when one row's temporaries take bytesPerRow: what memoryBudgetBytes allows, and
  // under the Cache rule at most cacheRows. At least 1.
  int64_t passRows(int64_t bytesPerRow, int64_t cacheRows) const;
  // Throws std::invalid_argument naming the offending field.
  void validate() const;

 private:
  static bool alongAxis(const std::vector<bool>& flags, int64_t axis) {
    return flags.size() == 1 ? flags[0] : flags[static_cast<size_t>(axis)];
  }
};

}  // namespace nivp
