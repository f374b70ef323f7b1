#include "engine/network.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "engine/activation.h"
#include "engine/boundary.h"
#include "engine/runtime.h"
#include "solvers/dense.h"

namespace nivp {

namespace {

[[noreturn]] void invalid(const std::string& field, const std::string& why) {
  throw std::invalid_argument("network." + field + ": " + why);
}

// Linear layer on every channel: z = a Wᵀ + b for the value, z = a Wᵀ for derivatives.
Channels linear(const Channels& a, const at::Tensor& W, const at::Tensor& b) {
  const at::Tensor Wt = W.t();
  Channels z;
  z.value = at::addmm(b, a.value, Wt);
  if (a.tangent.defined()) z.tangent = at::matmul(a.tangent, Wt);
  if (a.pairs.defined()) z.pairs = at::matmul(a.pairs, Wt);
  if (a.lap.defined()) z.lap = at::mm(a.lap, Wt);
  return z;
}

// Forward Taylor mode through a = σ(z):
//   ȧ_i = σ' ż_i,  ä_ij = σ'' ż_i ż_j + σ' z̈_ij,  Δa = σ'' Σ_i ż_i² + σ' Δz.
Channels activateChannels(Activation kind, const Channels& z, const JetRequest& request, at::Tensor* slope) {
  const bool second = !request.pairs.empty() || request.laplacian;
  const ActivationJet act = activate(kind, z.value, second);
  if (slope) *slope = act.first;
  Channels a;
  a.value = act.value;
  if (!z.tangent.defined()) return a;
  if (z.pairs.defined()) {
    a.pairs = at::empty_like(z.pairs);
    for (size_t p = 0; p < request.pairs.size(); ++p) {
      const auto [i, j] = request.pairs[p];
      a.pairs[p] = act.second * z.tangent[i] * z.tangent[j] + act.first * z.pairs[p];
    }
  }
  if (z.lap.defined()) a.lap = act.second * z.tangent.square().sum(0) + act.first * z.lap;
  a.tangent = z.tangent * act.first;
  return a;
}

}  // namespace

bool NetworkConfig::hasOutputOffset() const {
  for (const double o : outputOffset) {
    if (o != 0.0) return true;
  }
  return false;
}

void NetworkConfig::validate() const {
  if (dim < 1 || dim > 64) invalid("dim", "must be an integer in 1..64, got " + std::to_string(dim));
  if (fields < 1) invalid("fields", "must be at least 1, got " + std::to_string(fields));
  if (width < 1) invalid("width", "must be at least 1, got " + std::to_string(width));
  if (depth < 1) invalid("depth", "must be at least 1, got " + std::to_string(depth));
  if (embedding && (frequencies < 0 || frequencies > 30))
    invalid("frequencies", "must be in 0..30, got " + std::to_string(frequencies));
  if (!std::isfinite(decay)) invalid("decay", "must be finite");
  if (!std::isfinite(embeddingScale) || embeddingScale <= 0)
    invalid("embeddingScale", "must be finite and > 0");
  if (static_cast<int64_t>(lower.size()) != dim || static_cast<int64_t>(upper.size()) != dim)
    invalid("domain", "lower and upper need " + std::to_string(dim) + " entries");
  for (int64_t i = 0; i < dim; ++i) {
    if (!std::isfinite(lower[i]) || !std::isfinite(upper[i]) || !(lower[i] < upper[i]))
      invalid("domain", "axis " + std::to_string(i) + " needs finite lower < upper");
  }
  if (!outputOffset.empty()) {
    if (static_cast<int64_t>(outputOffset.size()) != fields)
      invalid("outputOffset", "needs one entry per field (" + std::to_string(fields) + ")");
    for (const double o : outputOffset) {
      if (!std::isfinite(o)) invalid("outputOffset", "entries must be finite");
    }
    if (hasOutputOffset() && (anyDirichlet() || output != Output::Linear))
      invalid("outputOffset",
              "must be 0 under a Dirichlet factor or the exp output, which fix u on the faces or its sign");
  }
  const auto axisFlags = [&](const std::vector<bool>& flags, const char* field) {
    if (flags.size() != 1 && static_cast<int64_t>(flags.size()) != dim)
      invalid(field, "needs one entry, or one per axis (" + std::to_string(dim) + "), got " +
                         std::to_string(flags.size()));
  };
  axisFlags(dirichlet, "dirichlet");
  axisFlags(periodic, "periodic");
  if (anyPeriodic() && !embedding)
    invalid("periodic", "needs the embedding, through which alone the network repeats");
  for (int64_t i = 0; i < dim; ++i) {
    if (periodicAlong(i) && dirichletAlong(i))
      invalid("periodic", "axis " + std::to_string(i) + " cannot be both periodic and Dirichlet");
  }
  if (!outputScale.empty()) {
    if (static_cast<int64_t>(outputScale.size()) != fields)
      invalid("outputScale", "needs one entry per field (" + std::to_string(fields) + ")");
    for (const double c : outputScale) {
      if (!std::isfinite(c) || !(c > 0)) invalid("outputScale", "entries must be finite and > 0");
    }
  }
  if (dtype != at::kDouble && dtype != at::kFloat) invalid("dtype", "must be float64 or float32");
  if (chunkRows < 1) invalid("chunkRows", "must be at least 1");
  if (memoryBudgetBytes < (int64_t{1} << 20)) invalid("memoryBudget", "must be at least 1 MiB");
}

int64_t NetworkConfig::passRows(int64_t bytesPerRow, int64_t cacheRows) const {
  const int64_t fit = memoryBudgetBytes / std::max<int64_t>(bytesPerRow, 1);
  return std::max<int64_t>(1, batchedPasses() ? fit : std::min(fit, cacheRows));
}

Network::Network(NetworkConfig config) : config_(std::move(config)) {
  config_.validate();
  int64_t in = config_.inputFeatures(), offset = 0;
  for (int64_t l = 0; l <= config_.depth; ++l) {
    LinearLayer layer;
    layer.in = in;
    layer.out = l < config_.depth ? config_.width : 1;
    layer.weightOffset = offset;
    offset += layer.in * layer.out;
    layer.biasOffset = offset;
    offset += layer.out;
    layers_.push_back(layer);
    in = layer.out;
  }
  fieldParameters_ = offset;

  const auto opts = options();
  const int64_t D = config_.dim;
  lower_ = at::empty({D}, at::kDouble);
  axisScale_ = at::empty({D}, at::kDouble);
  for (int64_t i = 0; i < D; ++i) {
    lower_[i] = config_.lower[i];
    axisScale_[i] = 2.0 / (config_.upper[i] - config_.lower[i]);
  }
  lower_ = lower_.to(opts);
  axisScale_ = axisScale_.to(opts);
  const int64_t octaves = config_.frequencies + 1;
  frequencies_ = at::empty({octaves, D}, at::kDouble);
  octaveWeights_ = at::empty({octaves}, at::kDouble);
  for (int64_t k = 0; k < octaves; ++k) {
    for (int64_t i = 0; i < D; ++i)
      frequencies_[k][i] = std::ldexp(config_.periodicAlong(i) ? M_PI : M_PI / 2, static_cast<int>(k));
    octaveWeights_[k] = config_.embeddingScale * std::pow(2.0, -config_.decay * static_cast<double>(k));
  }
  frequencies_ = frequencies_.to(opts);
  octaveWeights_ = octaveWeights_.to(opts);
  if (config_.hasOutputOffset())
    outputOffsets_ = at::tensor(config_.outputOffset, at::TensorOptions().dtype(at::kDouble)).to(opts);
  if (config_.anyDirichlet() && !config_.everyAxisDirichlet()) {
    dirichletAxes_ = at::empty({D}, at::kDouble);
    for (int64_t i = 0; i < D; ++i) dirichletAxes_[i] = config_.dirichletAlong(i) ? 1.0 : 0.0;
    dirichletAxes_ = dirichletAxes_.to(opts);
  }
}

at::Tensor Network::initialParameters(uint64_t seed) const {
  // θ is drawn on the host before it moves to the device. Refused up front when it cannot fit in
  // the machine's memory: where the kernel overcommits, the allocation itself would succeed and
  // drawing the numbers would fill the memory page by page before anything failed.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t count = parameterCount();
  const int64_t bytes = count > kMax / 8 ? kMax : count * static_cast<int64_t>(sizeof(double));
  const int64_t physical = deviceMemory(at::kCPU).total;
  if (physical > 0 && bytes > physical)
    throw MemoryBudgetError("network.width/depth: θ has " + std::to_string(count) + " parameters, " +
                                formatBytes(bytes) + " in float64, more than this machine's " +
                                formatBytes(physical) + " of memory",
                            bytes, physical);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor theta = at::empty({parameterCount()}, at::kDouble);
  for (int64_t a = 0; a < config_.fields; ++a) {
    for (const LinearLayer& layer : layers_) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(layer.in));
      theta.narrow(0, fieldOffset(a) + layer.weightOffset, layer.in * layer.out + layer.out)
          .uniform_(-bound, bound, gen);
    }
  }
  return theta.to(options());
}

at::Tensor Network::weight(const at::Tensor& theta, int64_t field, int64_t layer) const {
  const LinearLayer& L = layers_[layer];
  return theta.narrow(0, fieldOffset(field) + L.weightOffset, L.in * L.out).view({L.out, L.in});
}

at::Tensor Network::bias(const at::Tensor& theta, int64_t field, int64_t layer) const {
  const LinearLayer& L = layers_[layer];
  return theta.narrow(0, fieldOffset(field) + L.biasOffset, L.out);
}

at::Tensor Network::scaled(const at::Tensor& points) const { return (points - lower_) * axisScale_ - 1; }

at::Tensor Network::boundaryFactor(const at::Tensor& s) const {
  if (!config_.anyDirichlet()) return at::ones({s.size(0), 1}, s.options());
  const at::Tensor s2 = dirichletAxes_.defined() ? s.square() * dirichletAxes_ : s.square();
  return (1 - s2).prod(1, /*keepdim=*/true);
}

FieldOutput Network::output(const at::Tensor& m, const at::Tensor& B, int64_t field) const {
  const double c = config_.outputScaleOf(field), o = config_.outputOffsetOf(field);
  const at::Tensor Bc = c == 1.0 ? B : B * c;
  if (config_.output == Output::Exp) {
    const at::Tensor u = Bc * at::exp(m);
    return {u, u};
  }
  // Linear: ∂u/∂m is c·B itself.
  at::Tensor u = Bc * m;
  if (o != 0.0) u = u + o;
  return {u, Bc};
}

at::Tensor Network::variation(const at::Tensor& values) const {
  if (!outputOffsets_.defined()) return values;
  const bool same =
      values.scalar_type() == outputOffsets_.scalar_type() && values.device() == outputOffsets_.device();
  return values - (same ? outputOffsets_ : outputOffsets_.to(values.options()));
}

at::Tensor Network::outputSlope(const at::Tensor& u, const at::Tensor& B, int64_t field) const {
  if (config_.output == Output::Exp) return u;
  const double c = config_.outputScaleOf(field);
  if (!B.defined()) return at::full_like(u, c);
  return c == 1.0 ? B : B * c;
}

namespace {

// The jets of e^m from those of m: ∂_i e^m = e^m ∂_i m, ∂_ij e^m = e^m (∂_ij m + ∂_i m ∂_j m),
// Δe^m = e^m (Δm + |∇m|²).
Channels exponentiate(const Channels& m, const JetRequest& request) {
  Channels y;
  y.value = at::exp(m.value);
  if (!request.needsTangents()) return y;
  y.tangent = m.tangent * y.value;
  if (!request.pairs.empty()) {
    y.pairs = at::empty_like(m.pairs);
    for (size_t p = 0; p < request.pairs.size(); ++p) {
      const auto [i, j] = request.pairs[p];
      const auto q = static_cast<int64_t>(p);
      y.pairs[q] = (m.pairs[q] + m.tangent[i] * m.tangent[j]) * y.value;
    }
  }
  if (request.laplacian) y.lap = (m.lap + m.tangent.square().sum(0)) * y.value;
  return y;
}

// Every requested channel times c.
Channels scaleChannels(Channels y, double c) {
  for (at::Tensor* t : {&y.value, &y.tangent, &y.pairs, &y.lap}) {
    if (t->defined()) *t = *t * c;
  }
  return y;
}

}  // namespace

// Embedding features in the order (sin|cos, octave k, axis i): index = (t·(L+1) + k)·D + i.
Channels Network::embed(const at::Tensor& s, const JetRequest& request) const {
  Channels e;
  if (!config_.embedding) {
    e.value = s;
    return e;
  }
  const int64_t c = s.size(0), D = config_.dim, octaves = config_.frequencies + 1;
  const at::Tensor arg = s.unsqueeze(1) * frequencies_.view({1, octaves, D});
  const at::Tensor w = octaveWeights_.view({1, octaves, 1});
  const at::Tensor sn = at::sin(arg) * w, cs = at::cos(arg) * w;
  const at::Tensor e3 = at::cat({sn, cs}, 1);  // c × 2(L+1) × D
  e.value = e3.reshape({c, -1});
  if (request.needsTangents()) {
    // ∂/∂x_i of the features of axis i only: ω_k g_i (cos, −sin); second: −(ω_k g_i)² e.
    const at::Tensor wg = (frequencies_.view({1, octaves, D}) * axisScale_.view({1, 1, D})).repeat({1, 2, 1});
    e.tangent = at::cat({cs, -sn}, 1) * wg;  // c × 2(L+1) × D, per-axis derivative
    if (!request.pairs.empty() || request.laplacian) e.pairs = -e3 * wg.square();
  }
  return e;
}

at::Tensor Network::features(const at::Tensor& s) const { return embed(s, JetRequest{}).value; }

// Layer 0 exploits that the embedding's derivative along x_i touches only axis i's features.
Channels Network::firstLayer(const Channels& e, const at::Tensor& W, const at::Tensor& b,
                             const JetRequest& request) const {
  Channels z;
  z.value = at::addmm(b, e.value, W.t());
  if (!request.needsTangents()) return z;
  const int64_t c = e.value.size(0), D = config_.dim, w = W.size(0);
  const auto P = static_cast<int64_t>(request.pairs.size());
  if (!config_.embedding) {
    // e = s, so ∂z/∂x_i = g_i W[:, i] at every point, and second derivatives vanish.
    z.tangent = (W.t() * axisScale_.view({D, 1})).unsqueeze(1).expand({D, c, w}).contiguous();
    if (P > 0) z.pairs = at::zeros({P, c, w}, z.value.options());
    if (request.laplacian) z.lap = at::zeros({c, w}, z.value.options());
    return z;
  }
  const at::Tensor Wp = W.view({w, -1, D}).permute({2, 1, 0});  // D × 2(L+1) × w
  z.tangent = at::bmm(e.tangent.permute({2, 0, 1}), Wp);        // D × c × w
  if (P > 0) {
    z.pairs = at::zeros({P, c, w}, z.value.options());
    for (int64_t p = 0; p < P; ++p) {
      const auto [i, j] = request.pairs[p];
      if (i == j) z.pairs[p] = at::mm(e.pairs.select(2, i), Wp[i]);
    }
  }
  if (request.laplacian) z.lap = at::mm(e.pairs.reshape({c, -1}), W.t());
  return z;
}

at::Tensor Network::subnetworkValue(const at::Tensor& theta, int64_t field, const at::Tensor& s,
                                    std::vector<at::Tensor>* inputs, std::vector<at::Tensor>* slopes) const {
  at::Tensor h = embed(s, JetRequest{}).value;
  for (int64_t l = 0; l <= config_.depth; ++l) {
    if (inputs) inputs->push_back(h);
    const at::Tensor z = at::addmm(bias(theta, field, l), h, weight(theta, field, l).t());
    if (l == config_.depth) return z;
    if (slopes) {
      const ActivationJet act = activate(config_.activation, z, false);
      slopes->push_back(act.first);
      h = act.value;
    } else {
      h = activateValue(config_.activation, z);
    }
  }
  return h;  // unreachable: depth >= 1
}

void Network::forwardChunk(const at::Tensor& theta, const at::Tensor& s, const JetRequest& request, Jets& out,
                           int64_t row0, ForwardTap* tap) const {
  const int64_t c = s.size(0);
  const Channels e = embed(s, request);
  const bool dirichlet = config_.anyDirichlet();
  const BoundaryJets B = dirichlet ? boundaryJets(s, axisScale_, dirichletAxes_, request) : BoundaryJets{};
  std::vector<at::Tensor> inputs, slopes;
  for (int64_t a = 0; a < config_.fields; ++a) {
    if (tap) {
      inputs.assign(1, e.value);
      slopes.clear();
    }
    Channels z = firstLayer(e, weight(theta, a, 0), bias(theta, a, 0), request);
    for (int64_t l = 1; l <= config_.depth; ++l) {
      at::Tensor slope;
      const Channels h = activateChannels(config_.activation, z, request, tap ? &slope : nullptr);
      if (tap) {
        inputs.push_back(h.value);
        slopes.push_back(slope);
      }
      z = linear(h, weight(theta, a, l), bias(theta, a, l));
    }
    // z is now the subnetwork output m (every channel has a trailing width of 1).
    if (config_.output == Output::Exp) z = exponentiate(z, request);
    if (const double scale = config_.outputScaleOf(a); scale != 1.0) z = scaleChannels(std::move(z), scale);
    Channels y = dirichlet ? applyBoundary(B, z, request) : z;
    if (const double o = config_.outputOffsetOf(a); o != 0.0) y.value = y.value + o;
    out.values.narrow(0, row0, c).select(1, a).copy_(y.value.squeeze(1));
    if (request.gradient) out.gradients.narrow(0, row0, c).select(1, a).copy_(y.tangent.squeeze(2).t());
    if (!request.pairs.empty()) out.second.narrow(0, row0, c).select(1, a).copy_(y.pairs.squeeze(2).t());
    if (request.laplacian) out.laplacian.narrow(0, row0, c).select(1, a).copy_(y.lap.squeeze(1));
    if (tap)
      tap->chunk(a, row0, inputs, slopes, outputSlope(y.value, dirichlet ? B.jets.value : at::Tensor(), a));
  }
}

Jets Network::forward(const at::Tensor& theta, const at::Tensor& points, const JetRequest& request,
                      ForwardTap* tap) const {
  const int64_t n = points.size(0), k = config_.fields, D = config_.dim;
  const auto opts = options();
  Jets jets;
  jets.values = at::empty({n, k}, opts);
  if (request.gradient) jets.gradients = at::empty({n, k, D}, opts);
  if (!request.pairs.empty())
    jets.second = at::empty({n, k, static_cast<int64_t>(request.pairs.size())}, opts);
  if (request.laplacian) jets.laplacian = at::empty({n, k}, opts);
  const at::Tensor s = scaled(points.to(opts));
  // Tangent channels multiply the chunk's memory by about (1 + D + P).
  const int64_t channels =
      1 + (request.needsTangents() ? D : 0) + static_cast<int64_t>(request.pairs.size()) + 1;
  const int64_t perRow = channels * std::max<int64_t>(config_.width, config_.inputFeatures()) * 4 *
                         static_cast<int64_t>(at::elementSize(config_.dtype));
  const int64_t rows = config_.passRows(perRow, config_.chunkRows);
  for (int64_t row0 = 0; row0 < n; row0 += rows)
    forwardChunk(theta, s.narrow(0, row0, std::min(rows, n - row0)), request, jets, row0, tap);
  return jets;
}

}  // namespace nivp
