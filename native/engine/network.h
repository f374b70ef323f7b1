// The Neural IVP network: embedding → swish/tanh MLP → scalar, one subnetwork per field,
// times the zero-Dirichlet boundary factor. Parameters live in one flat vector θ.
//
// θ layout (docs/api.md §6, "Parameter layout"): field-major; within a field, linear layers in order
// l = 0..depth, each as its weight W_l (out×in, row-major) followed by its bias b_l (out).
// Layer sizes: inputFeatures → width (depth times) → 1.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/jets.h"
#include "engine/network_config.h"
#include "engine/workspace_pool.h"

namespace nivp {

struct LinearLayer {
  int64_t in = 0, out = 0;
  int64_t weightOffset = 0, biasOffset = 0;  // relative to the field's first parameter
};

// The values of one subnetwork's channels at a layer: value c×w and, when requested, first
// tangents D×c×w, second-order pair channels P×c×w and a Laplacian channel c×w. (For the
// embedding itself, `tangent` and `pairs` hold per-axis first and second derivatives,
// c×2(L+1)×D, since feature (t, k, i) depends on x_i alone.)
struct Channels {
  at::Tensor value, tangent, pairs, lap;
};

// Receives, chunk by chunk, the value channel of a forward sweep: what the Jacobian caches need.
class ForwardTap {
 public:
  virtual ~ForwardTap() = default;
  // One chunk (rows [row0, row0 + c)) of one field: each linear layer's input (c×in_l), each
  // hidden layer's σ'(z_l) (c×width) and the output's slope ∂u/∂m (c×1, see Network::output).
  virtual void chunk(int64_t field, int64_t row0, const std::vector<at::Tensor>& inputs,
                     const std::vector<at::Tensor>& slopes, const at::Tensor& outputSlope) = 0;
};

// A field's values at a chunk from its subnetwork's output m, and their slope ∂u/∂m (c×1 each).
struct FieldOutput {
  at::Tensor value, slope;
};

class Network {
 public:
  explicit Network(NetworkConfig config);

  const NetworkConfig& config() const { return config_; }
  const std::vector<LinearLayer>& layers() const { return layers_; }
  int64_t parameterCount() const { return fieldParameters_ * config_.fields; }
  int64_t fieldParameterCount() const { return fieldParameters_; }
  int64_t fieldOffset(int64_t field) const { return field * fieldParameters_; }
  at::TensorOptions options() const {
    return at::TensorOptions().dtype(config_.dtype).device(config_.device);
  }

  // PyTorch's default Linear initialisation, U(-1/sqrt(in), 1/sqrt(in)), drawn on the CPU in
  // float64 from `seed` so that a seed gives the same θ on every device.
  at::Tensor initialParameters(uint64_t seed) const;

  // Views of θ's blocks (no copies).
  at::Tensor weight(const at::Tensor& theta, int64_t field, int64_t layer) const;
  at::Tensor bias(const at::Tensor& theta, int64_t field, int64_t layer) const;

  // The point mapped to [-1, 1]^D, and ds_i/dx_i.
  at::Tensor scaled(const at::Tensor& points) const;
  const at::Tensor& axisScale() const { return axisScale_; }

  // Values and requested derivatives at points (n×D), chunked over the rows.
  // `tap`, when given, receives each chunk's value channel (the Jacobian caches share the sweep).
  Jets forward(const at::Tensor& theta, const at::Tensor& points, const JetRequest& request,
               ForwardTap* tap = nullptr) const;

  // The embedding features of scaled points (c×inputFeatures), value channel only.
  at::Tensor features(const at::Tensor& s) const;

  // Value channel only, for one field at a chunk of scaled points (c×D): m without boundary factor.
  // When `inputs`/`slopes` are given they receive each linear layer's input and each hidden
  // pre-activation's σ'(z), the caches of the Jacobian products.
  at::Tensor subnetworkValue(const at::Tensor& theta, int64_t field, const at::Tensor& s,
                             std::vector<at::Tensor>* inputs, std::vector<at::Tensor>* slopes) const;

  // The boundary factor B(s) (c×1), ones when there is no Dirichlet boundary.
  at::Tensor boundaryFactor(const at::Tensor& s) const;

  // Field `field`'s u from its subnetwork's output m (c×1) and the boundary factor B (c×1):
  // o + c·B·m, or c·B·e^m under Output::Exp, c its output scale and o its offset; the slope is c·B,
  // or u itself.
  FieldOutput output(const at::Tensor& m, const at::Tensor& B, int64_t field) const;

  // Values (n×k, one column per field) less each field's output offset: the part of u the
  // subnetworks carry, which errors, μ's scale and the sampling measure are read on.
  at::Tensor variation(const at::Tensor& values) const;

  // Where this network's linearisations and products take their n-sized buffers from (shared by
  // copies of the network).
  const std::shared_ptr<WorkspacePool>& workspace() const { return workspace_; }

 private:
  Channels embed(const at::Tensor& s, const JetRequest& request) const;
  Channels firstLayer(const Channels& e, const at::Tensor& W, const at::Tensor& b,
                      const JetRequest& request) const;
  void forwardChunk(const at::Tensor& theta, const at::Tensor& s, const JetRequest& request, Jets& out,
                    int64_t row0, ForwardTap* tap) const;
  // ∂u/∂m at field `field`'s values u: u itself under Output::Exp, else its output scale times the
  // boundary factor B (times ones where B is undefined: no Dirichlet boundary).
  at::Tensor outputSlope(const at::Tensor& u, const at::Tensor& B, int64_t field) const;

  NetworkConfig config_;
  std::vector<LinearLayer> layers_;
  int64_t fieldParameters_ = 0;
  at::Tensor lower_, axisScale_;  // D
  at::Tensor frequencies_;        // (L+1)×D: 2^k π/2, or 2^k π along a periodic axis
  at::Tensor dirichletAxes_;      // D: 1 along a Dirichlet axis, else 0; undefined when all are or none
  at::Tensor outputOffsets_;      // k: the fields' offsets o; undefined when every one is 0
  at::Tensor octaveWeights_;      // L+1: embeddingScale · 2^(-decay·k)
  std::shared_ptr<WorkspacePool> workspace_ = std::make_shared<WorkspacePool>();
};

}  // namespace nivp
