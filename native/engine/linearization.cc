#include "engine/linearization.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/activation.h"

namespace nivp {

namespace {

constexpr int64_t kExplicitColumns = 8;
// Rows per chunk of the construction sweep: small enough that a chunk's temporaries stay in a
// core's cache at the usual widths.
constexpr int64_t kConstructionRows = 512;

void expectShape(const at::Tensor& t, std::vector<int64_t> shape, const char* what) {
  if (t.sizes().vec() != shape) {
    std::string want = "[", got = "[";
    // Appends, not `(i ? "," : "") + ...`: g++ 12 flags that with a false -Wstringop-overflow in C++20.
    for (size_t i = 0; i < shape.size(); ++i) want.append(i ? "," : "").append(std::to_string(shape[i]));
    for (int64_t i = 0; i < t.dim(); ++i) got.append(i ? "," : "").append(std::to_string(t.size(i)));
    throw std::invalid_argument(std::string(what) + ": expected shape " + want + "], got " + got + "]");
  }
}

// Rows [row0, row0 + rows) of t: t itself when that is all of it, so that a whole-batch pass (the
// CUDA rule) dispatches no slicing operator per layer and product.
at::Tensor rowsOf(const at::Tensor& t, int64_t row0, int64_t rows) {
  return row0 == 0 && rows == t.size(0) ? t : t.narrow(0, row0, rows);
}

// The row scale as an n×1 column in the caches' dtype (undefined stays undefined). Every row of J
// is δ_l[i] ⊗ h_{l−1}[i] summed over layers, so scaling the output sensitivity (and with it every
// δ_l) scales the row.
at::Tensor rowScaleColumn(const at::Tensor& rowScale, int64_t n, const at::TensorOptions& opts) {
  if (!rowScale.defined()) return rowScale;
  expectShape(rowScale, {n}, "rowScale");
  return rowScale.to(opts).unsqueeze(1);
}

}  // namespace

Linearization::Linearization(const Network& network, const at::Tensor& theta, const at::Tensor& points,
                             const at::Tensor& rowScale)
    : network_(network), opts_(network.options()), n_(points.size(0)) {
  const NetworkConfig& cfg = network.config();
  expectShape(theta, {network.parameterCount()}, "theta");
  if (points.dim() != 2 || points.size(1) != cfg.dim) throw std::invalid_argument("points: expected n×D");
  const at::Tensor th = theta.to(opts_);
  const at::Tensor s = network.scaled(points.to(opts_));
  const at::Tensor scale = rowScaleColumn(rowScale, n_, opts_);
  const auto& layers = network.layers();
  const auto depth = static_cast<int64_t>(layers.size()) - 1;
  allocateCaches();
  values_ = at::empty({n_, cfg.fields}, opts_);
  const at::Tensor& features = caches_.front().inputs.front();
  // One forward and one backward sweep per chunk of rows, in place into the caches: a chunk's
  // temporaries (pre-activations, slopes) stay in cache and nothing n-sized is allocated twice.
  const int64_t rows = std::max<int64_t>(1, std::min(n_, constructionRows()));
  at::Tensor Z = at::empty({rows, cfg.width}, opts_);
  std::vector<at::Tensor> slopeBuffers, slopes(depth);
  for (int64_t l = 0; l < depth; ++l) slopeBuffers.push_back(at::empty({rows, layers[l].out}, opts_));
  for (int64_t row0 = 0; row0 < n_; row0 += rows) {
    const int64_t c = std::min(rows, n_ - row0);
    const at::Tensor sc = s.narrow(0, row0, c);
    features.narrow(0, row0, c).copy_(network.features(sc));
    const at::Tensor B = network.boundaryFactor(sc);  // c×1
    for (int64_t l = 0; l < depth; ++l) slopes[l] = slopeBuffers[l].narrow(0, 0, c);
    for (int64_t a = 0; a < cfg.fields; ++a) {
      FieldCache& cache = caches_[a];
      for (int64_t l = 0; l < depth; ++l) {
        at::Tensor z = Z.narrow(0, 0, c);
        at::Tensor h = cache.inputs[l + 1].narrow(0, row0, c);
        at::addmm_out(z, network.bias(th, a, l), cache.inputs[l].narrow(0, row0, c),
                      network.weight(th, a, l).t());
        activateInto(cfg.activation, z, h, slopes[l]);
      }
      const at::Tensor m = at::addmm(network.bias(th, a, depth), cache.inputs[depth].narrow(0, row0, c),
                                     network.weight(th, a, depth).t());
      const FieldOutput u = network.output(m, B, a);
      values_.narrow(0, row0, c).select(1, a).copy_(u.value.squeeze(1));
      backwardChunk(th, a, row0, slopes, scale.defined() ? u.slope * scale.narrow(0, row0, c) : u.slope);
    }
  }
}

Linearization::Linearization(const Network& network, const at::Tensor& theta, const at::Tensor& points,
                             const JetRequest& request, Jets& jets, const at::Tensor& rowScale)
    : network_(network), opts_(network.options()), n_(points.size(0)) {
  const NetworkConfig& cfg = network.config();
  expectShape(theta, {network.parameterCount()}, "theta");
  if (points.dim() != 2 || points.size(1) != cfg.dim) throw std::invalid_argument("points: expected n×D");
  const at::Tensor th = theta.to(opts_);
  const at::Tensor scale = rowScaleColumn(rowScale, n_, opts_);
  allocateCaches();
  // The jets' value channel is this linearisation's forward sweep: copy its layer inputs and run
  // the backward sweep on each chunk while its slopes are at hand.
  struct Tap : ForwardTap {
    Linearization& lin;
    const at::Tensor& theta;
    const at::Tensor& scale;
    Tap(Linearization& l, const at::Tensor& t, const at::Tensor& r) : lin(l), theta(t), scale(r) {}
    void chunk(int64_t field, int64_t row0, const std::vector<at::Tensor>& inputs,
               const std::vector<at::Tensor>& slopes, const at::Tensor& outputSlope) override {
      const int64_t c = outputSlope.size(0);
      FieldCache& cache = lin.caches_[field];
      if (field == 0) cache.inputs.front().narrow(0, row0, c).copy_(inputs.front());  // shared by the fields
      for (size_t l = 1; l < inputs.size(); ++l) cache.inputs[l].narrow(0, row0, c).copy_(inputs[l]);
      lin.backwardChunk(theta, field, row0, slopes,
                        scale.defined() ? outputSlope * scale.narrow(0, row0, c) : outputSlope);
    }
  } tap(*this, th, scale);
  jets = network.forward(th, points.to(opts_), request, &tap);
  values_ = jets.values;
}

void Linearization::allocateCaches() {
  const NetworkConfig& cfg = network_.config();
  const auto& layers = network_.layers();
  WorkspacePool& pool = *network_.workspace();
  caches_.assign(cfg.fields, FieldCache{});
  // The embedding does not depend on the field: one tensor shared by every field's cache.
  const at::Tensor features = pool.empty({n_, cfg.inputFeatures()}, opts_);
  for (FieldCache& cache : caches_) {
    cache.inputs.push_back(features);
    for (size_t l = 1; l < layers.size(); ++l) cache.inputs.push_back(pool.empty({n_, layers[l].in}, opts_));
    for (const LinearLayer& L : layers) cache.sensitivities.push_back(pool.empty({n_, L.out}, opts_));
  }
}

Linearization::~Linearization() {
  std::vector<at::Tensor> buffers;
  for (FieldCache& cache : caches_) {
    for (at::Tensor& t : cache.inputs) buffers.push_back(std::move(t));
    for (at::Tensor& t : cache.sensitivities) buffers.push_back(std::move(t));
  }
  if (!buffers.empty()) network_.workspace()->recycle(std::move(buffers));
}

// δ_last = ∂u/∂m (B·m: B; B·e^m: u), then δ_l = (δ_{l+1} W_{l+1}) ⊙ σ'(z_l), for rows [row0, row0 + c).
void Linearization::backwardChunk(const at::Tensor& theta, int64_t field, int64_t row0,
                                  const std::vector<at::Tensor>& slopes, const at::Tensor& outputSlope) {
  const int64_t c = outputSlope.size(0);
  FieldCache& cache = caches_[field];
  const auto depth = static_cast<int64_t>(cache.sensitivities.size()) - 1;
  cache.sensitivities[depth].narrow(0, row0, c).copy_(outputSlope);
  for (int64_t l = depth - 1; l >= 0; --l) {
    at::Tensor delta = cache.sensitivities[l].narrow(0, row0, c);
    at::mm_out(delta, cache.sensitivities[l + 1].narrow(0, row0, c), network_.weight(theta, field, l + 1));
    delta.mul_(slopes[l]);
  }
}

int64_t Linearization::constructionRows() const {
  const NetworkConfig& cfg = network_.config();
  // Per row: the pre-activation, one slope per hidden layer and the widest cached input.
  const int64_t perRow = (cfg.depth + 2) * std::max(cfg.width, cfg.inputFeatures()) *
                         static_cast<int64_t>(at::elementSize(dtype()));
  return cfg.passRows(perRow, std::min<int64_t>(cfg.chunkRows, kConstructionRows));
}

Linearization Linearization::castTo(at::ScalarType dtype) const {
  Linearization out(*this);
  out.opts_ = opts_.dtype(dtype);
  out.values_ = values_.to(dtype);
  const at::Tensor features = caches_.front().inputs.front().to(dtype);  // shared by the fields
  for (FieldCache& cache : out.caches_) {
    for (size_t l = 1; l < cache.inputs.size(); ++l) cache.inputs[l] = cache.inputs[l].to(dtype);
    cache.inputs.front() = features;
    for (at::Tensor& d : cache.sensitivities) d = d.to(dtype);
  }
  return out;
}

Linearization Linearization::selectRows(const at::Tensor& index, const at::Tensor& scale,
                                        at::ScalarType dtype) const {
  if (index.dim() != 1 || index.size(0) < 1)
    throw std::invalid_argument("selectRows: index must be 1-D, non-empty");
  Linearization out(*this);
  out.opts_ = opts_.dtype(dtype);
  out.n_ = index.size(0);
  const at::Tensor idx = index.to(at::TensorOptions().dtype(at::kLong).device(opts_.device()));
  const auto pick = [&](const at::Tensor& t) { return t.index_select(0, idx).to(out.opts_); };
  out.values_ = pick(values_);
  const at::Tensor features = pick(caches_.front().inputs.front());
  const at::Tensor s = scale.defined() ? scale.to(out.opts_).unsqueeze(1) : at::Tensor();
  for (FieldCache& cache : out.caches_) {
    for (size_t l = 1; l < cache.inputs.size(); ++l) cache.inputs[l] = pick(cache.inputs[l]);
    cache.inputs.front() = features;
    // J's row is δ ⊗ h, so scaling δ scales the row.
    for (at::Tensor& d : cache.sensitivities) d = s.defined() ? pick(d).mul_(s) : pick(d);
  }
  return out;
}

Linearization Linearization::stackRows(const Linearization& top, const Linearization& bottom) {
  if (&top.network_ != &bottom.network_ || top.dtype() != bottom.dtype() ||
      top.opts_.device() != bottom.opts_.device())
    throw std::invalid_argument("stackRows: both linearisations must share the network, dtype and device");
  Linearization out(top);
  out.n_ = top.n_ + bottom.n_;
  out.values_ = at::cat({top.values_, bottom.values_});
  const at::Tensor features =
      at::cat({top.caches_.front().inputs.front(), bottom.caches_.front().inputs.front()});
  for (size_t a = 0; a < out.caches_.size(); ++a) {
    FieldCache& cache = out.caches_[a];
    const FieldCache& lower = bottom.caches_[a];
    for (size_t l = 1; l < cache.inputs.size(); ++l)
      cache.inputs[l] = at::cat({cache.inputs[l], lower.inputs[l]});
    cache.inputs.front() = features;
    for (size_t l = 0; l < cache.sensitivities.size(); ++l)
      cache.sensitivities[l] = at::cat({cache.sensitivities[l], lower.sensitivities[l]});
  }
  return out;
}

at::Tensor Linearization::fieldGram(int64_t field) const {
  const FieldCache& cache = caches_[field];
  at::Tensor G = at::zeros({n_, n_}, opts_);
  for (size_t l = 0; l < cache.inputs.size(); ++l) {
    const at::Tensor& h = cache.inputs[l];
    const at::Tensor& delta = cache.sensitivities[l];
    G.addcmul_(at::mm(delta, delta.t()), at::addmm(at::ones({}, opts_), h, h.t()));
  }
  return G;
}

int64_t Linearization::chunkRows(int64_t r) const {
  const NetworkConfig& cfg = network_.config();
  // Per row: the widest layer's product of r columns, plus its weighted copy.
  const int64_t perRow =
      2 * std::max(cfg.width, cfg.inputFeatures()) * r * static_cast<int64_t>(at::elementSize(dtype()));
  return cfg.passRows(perRow, cfg.chunkRows);
}

// (J V)_i = Σ_l Σ_o δ_l[i,o] ((h_{l−1} V_Wᵀ)[i,o] + V_b[o]), for r columns at once.
void Linearization::jvpChunk(const FieldCache& cache, const at::Tensor& V, int64_t row0, int64_t rows,
                             at::Tensor acc) const {
  const auto& layers = network_.layers();
  const int64_t r = V.size(1);
  acc.zero_();
  for (size_t l = 0; l < layers.size(); ++l) {
    const LinearLayer& L = layers[l];
    const at::Tensor h = rowsOf(cache.inputs[l], row0, rows);
    const at::Tensor delta = rowsOf(cache.sensitivities[l], row0, rows);
    const at::Tensor VW = V.narrow(0, L.weightOffset, L.out * L.in);
    const at::Tensor Vb = V.narrow(0, L.biasOffset, L.out);  // out×r
    if (r == 1) {
      const at::Tensor Z = at::addmm(Vb.view({1, L.out}), h, VW.view({L.out, L.in}).t());
      acc.add_((Z.mul_(delta)).sum(1, /*keepdim=*/true));
    } else {
      // A[i_in, o·r + q] = V[o·in + i_in, q]
      const at::Tensor A = VW.view({L.out, L.in, r}).permute({1, 0, 2}).reshape({L.in, L.out * r});
      at::Tensor Z = at::mm(h, A).view({rows, L.out, r});
      Z.add_(Vb.unsqueeze(0)).mul_(delta.unsqueeze(2));
      acc.add_(Z.sum(1));
    }
  }
}

// Jᵀu for W_l is (u ⊙ δ_l)ᵀ h_{l−1}, for b_l it is Σ_i u_i δ_l[i]: accumulated into out (p_a×r).
void Linearization::vjpChunk(const FieldCache& cache, const at::Tensor& u, int64_t row0, int64_t rows,
                             at::Tensor& out) const {
  const auto& layers = network_.layers();
  const int64_t r = u.size(1);
  for (size_t l = 0; l < layers.size(); ++l) {
    const LinearLayer& L = layers[l];
    const at::Tensor h = rowsOf(cache.inputs[l], row0, rows);
    const at::Tensor delta = rowsOf(cache.sensitivities[l], row0, rows);
    at::Tensor gW = out.narrow(0, L.weightOffset, L.out * L.in);
    at::Tensor gb = out.narrow(0, L.biasOffset, L.out);
    if (r == 1) {
      const at::Tensor G = delta * u;  // rows×out
      at::Tensor gWm = gW.view({L.out, L.in});
      gWm.addmm_(G.t(), h);
      gb.add_(G.sum(0).unsqueeze(1));
    } else {
      const at::Tensor G = (delta.unsqueeze(2) * u.unsqueeze(1)).reshape({rows, L.out * r});
      const at::Tensor prod =
          at::mm(G.t(), h).view({L.out, r, L.in}).permute({0, 2, 1}).reshape({L.out * L.in, r});
      gW.add_(prod);
      gb.add_(G.sum(0).view({L.out, r}));
    }
  }
}

Linearization::VectorWorkspace Linearization::vectorWorkspace(int64_t rows) const {
  VectorWorkspace ws{PooledBuffers(network_.workspace()), {}, {}, {}};
  int64_t widest = 1;
  for (const LinearLayer& L : network_.layers()) {
    ws.perLayer.push_back(ws.memory.empty({rows, L.out}, opts_));
    widest = std::max(widest, L.out);
  }
  ws.onesOut = at::ones({widest}, opts_);
  ws.onesRows = at::ones({rows}, opts_);
  return ws;
}

// r = 1: Z_l = h V_Wᵀ + V_b into a reused buffer, then (J v)_i += Σ_o δ_l[i,o] Z_l[i,o].
void Linearization::jvpChunk1(const FieldCache& cache, const at::Tensor& v, int64_t row0, int64_t rows,
                              at::Tensor acc, VectorWorkspace& ws) const {
  const auto& layers = network_.layers();
  at::Tensor sum = acc.view({rows});
  sum.zero_();
  for (size_t l = 0; l < layers.size(); ++l) {
    const LinearLayer& L = layers[l];
    at::Tensor Z = rowsOf(ws.perLayer[l], 0, rows);
    at::addmm_out(Z, v.narrow(0, L.biasOffset, L.out).view({1, L.out}), rowsOf(cache.inputs[l], row0, rows),
                  v.narrow(0, L.weightOffset, L.out * L.in).view({L.out, L.in}).t());
    Z.mul_(rowsOf(cache.sensitivities[l], row0, rows));
    sum.addmv_(Z, rowsOf(ws.onesOut, 0, L.out));
  }
}

// r = 1: G_l = δ_l ⊙ u into a reused buffer; ∇W_l += G_lᵀ h, ∇b_l += G_lᵀ 1.
void Linearization::vjpChunk1(const FieldCache& cache, const at::Tensor& u, int64_t row0, int64_t rows,
                              at::Tensor& out, VectorWorkspace& ws) const {
  const auto& layers = network_.layers();
  for (size_t l = 0; l < layers.size(); ++l) {
    const LinearLayer& L = layers[l];
    at::Tensor G = rowsOf(ws.perLayer[l], 0, rows);
    at::mul_out(G, rowsOf(cache.sensitivities[l], row0, rows), u);
    out.narrow(0, L.weightOffset, L.out * L.in)
        .view({L.out, L.in})
        .addmm_(G.t(), rowsOf(cache.inputs[l], row0, rows));
    out.narrow(0, L.biasOffset, L.out).view({L.out}).addmv_(G.t(), rowsOf(ws.onesRows, 0, rows));
  }
}

at::Tensor Linearization::fieldJvp(int64_t field, const at::Tensor& V) const {
  expectShape(V, {network_.fieldParameterCount(), V.dim() == 2 ? V.size(1) : -1}, "V");
  const at::Tensor Vc = V.contiguous();
  at::Tensor out = at::empty({n_, V.size(1)}, opts_);
  const int64_t rows = chunkRows(V.size(1));
  VectorWorkspace ws = V.size(1) == 1 ? vectorWorkspace(std::min(rows, n_)) : VectorWorkspace{};
  for (int64_t row0 = 0; row0 < n_; row0 += rows) {
    const int64_t c = std::min(rows, n_ - row0);
    if (V.size(1) == 1) {
      jvpChunk1(caches_[field], Vc, row0, c, out.narrow(0, row0, c), ws);
    } else {
      jvpChunk(caches_[field], Vc, row0, c, out.narrow(0, row0, c));
    }
  }
  return out;
}

at::Tensor Linearization::fieldVjp(int64_t field, const at::Tensor& U) const {
  expectShape(U, {n_, U.dim() == 2 ? U.size(1) : -1}, "U");
  const at::Tensor Uc = U.contiguous();
  at::Tensor out = at::zeros({network_.fieldParameterCount(), U.size(1)}, opts_);
  const int64_t rows = chunkRows(U.size(1));
  VectorWorkspace ws = U.size(1) == 1 ? vectorWorkspace(std::min(rows, n_)) : VectorWorkspace{};
  for (int64_t row0 = 0; row0 < n_; row0 += rows) {
    const int64_t c = std::min(rows, n_ - row0);
    if (U.size(1) == 1) {
      vjpChunk1(caches_[field], rowsOf(Uc, row0, c), row0, c, out, ws);
    } else {
      vjpChunk(caches_[field], Uc.narrow(0, row0, c), row0, c, out);
    }
  }
  return out;
}

void Linearization::fillJacobianRows(const FieldCache& cache, int64_t row0, int64_t rows,
                                     at::Tensor out) const {
  const auto& layers = network_.layers();
  for (size_t l = 0; l < layers.size(); ++l) {
    const LinearLayer& L = layers[l];
    const at::Tensor h = rowsOf(cache.inputs[l], row0, rows);
    const at::Tensor delta = rowsOf(cache.sensitivities[l], row0, rows);
    at::Tensor W = out.narrow(1, L.weightOffset, L.out * L.in).view({rows, L.out, L.in});
    at::mul_out(W, delta.unsqueeze(2), h.unsqueeze(1));
    out.narrow(1, L.biasOffset, L.out).copy_(delta);
  }
}

at::Tensor Linearization::fieldMvmExplicit(int64_t field, const at::Tensor& V) const {
  const NetworkConfig& cfg = network_.config();
  const int64_t pa = network_.fieldParameterCount(), r = V.size(1);
  // A J chunk of at most 1/8 of the budget, and under the Cache rule of at most 64 MiB so that it
  // stays near the cache.
  const int64_t bytesPerRow = pa * static_cast<int64_t>(at::elementSize(dtype()));
  const int64_t cacheRows = std::min<int64_t>(cfg.chunkRows, (int64_t{64} << 20) / bytesPerRow);
  const int64_t rows = std::min(n_, cfg.passRows(8 * bytesPerRow, cacheRows));
  at::Tensor J = at::empty({rows, pa}, opts_);
  at::Tensor Z = at::empty({rows, r}, opts_);
  at::Tensor out = at::zeros({pa, r}, opts_);
  for (int64_t row0 = 0; row0 < n_; row0 += rows) {
    const int64_t c = std::min(rows, n_ - row0);
    at::Tensor Jc = J.narrow(0, 0, c), Zc = Z.narrow(0, 0, c);
    fillJacobianRows(caches_[field], row0, c, Jc);
    at::mm_out(Zc, Jc, V);
    out.addmm_(Jc.t(), Zc);
  }
  return out;
}

at::Tensor Linearization::fieldMvm(int64_t field, const at::Tensor& V, double mu) const {
  expectShape(V, {network_.fieldParameterCount(), V.dim() == 2 ? V.size(1) : -1}, "V");
  const at::Tensor Vc = V.contiguous();
  const int64_t r = V.size(1), rows = chunkRows(r);
  // Past a few columns the explicit-chunk form wins (docs/results.md).
  if (r >= kExplicitColumns) {
    at::Tensor out = fieldMvmExplicit(field, Vc).mul_(1.0 / static_cast<double>(n_));
    if (mu != 0) out.add_(Vc, mu);
    return out;
  }
  at::Tensor Jv = at::empty({std::min(rows, n_), r}, opts_);
  VectorWorkspace ws = r == 1 ? vectorWorkspace(std::min(rows, n_)) : VectorWorkspace{};
  at::Tensor out = at::zeros({network_.fieldParameterCount(), r}, opts_);
  // Chunk by chunk, J V then Jᵀ(J V) while the chunk's caches are still in cache.
  for (int64_t row0 = 0; row0 < n_; row0 += rows) {
    const int64_t c = std::min(rows, n_ - row0);
    at::Tensor JvChunk = rowsOf(Jv, 0, c);
    if (r == 1) {
      jvpChunk1(caches_[field], Vc, row0, c, JvChunk, ws);
      vjpChunk1(caches_[field], JvChunk, row0, c, out, ws);
    } else {
      jvpChunk(caches_[field], Vc, row0, c, JvChunk);
      vjpChunk(caches_[field], JvChunk, row0, c, out);
    }
  }
  out.mul_(1.0 / static_cast<double>(n_));
  if (mu != 0) out.add_(Vc, mu);
  return out;
}

at::Tensor Linearization::fieldJacobian(int64_t field) const {
  // Written in place: the dense solve's memory estimate counts J once.
  at::Tensor J = at::empty({n_, network_.fieldParameterCount()}, opts_);
  fillJacobianRows(caches_[field], 0, n_, J);
  return J;
}

namespace {
at::Tensor fieldRows(const Network& net, const at::Tensor& V, int64_t a) {
  return V.narrow(0, net.fieldOffset(a), net.fieldParameterCount());
}
}  // namespace

at::Tensor Linearization::jvp(const at::Tensor& V) const {
  expectShape(V, {network_.parameterCount(), V.dim() == 2 ? V.size(1) : -1}, "V");
  const int64_t k = network_.config().fields;
  at::Tensor out = at::empty({n_, k, V.size(1)}, opts_);
  for (int64_t a = 0; a < k; ++a) out.select(1, a).copy_(fieldJvp(a, fieldRows(network_, V, a)));
  return out;
}

at::Tensor Linearization::vjp(const at::Tensor& W) const {
  const int64_t k = network_.config().fields;
  expectShape(W, {n_, k, W.dim() == 3 ? W.size(2) : -1}, "W");
  at::Tensor out = at::empty({network_.parameterCount(), W.size(2)}, opts_);
  for (int64_t a = 0; a < k; ++a) fieldRows(network_, out, a).copy_(fieldVjp(a, W.select(1, a)));
  return out;
}

at::Tensor Linearization::mvm(const at::Tensor& V, double mu) const {
  expectShape(V, {network_.parameterCount(), V.dim() == 2 ? V.size(1) : -1}, "V");
  if (network_.config().fields == 1) return fieldMvm(0, V, mu);  // no copy through a block view
  at::Tensor out = at::empty_like(V);
  for (int64_t a = 0; a < network_.config().fields; ++a)
    fieldRows(network_, out, a).copy_(fieldMvm(a, fieldRows(network_, V, a), mu));
  return out;
}

}  // namespace nivp
