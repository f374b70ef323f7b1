#include "sampling/importance.h"

#include <algorithm>
#include <cmath>

namespace nivp {

namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr int64_t kChunkRows = 4096;

// Standard normal CDF.
at::Tensor normalCdf(const at::Tensor& z) { return (z / kSqrt2).erf_().add_(1.0).mul_(0.5); }

// Rounds of the adaptive pilot at most. Each moves the pilot onto a higher power of the mass; a
// pilot that has not reached β = 1 by then keeps the last round's broader proposal, whose
// weights are as exact as any other's.
constexpr int kAdaptRounds = 10;

// Kish's effective sample size of weights given by their logarithms.
double effectiveSize(const at::Tensor& logWeights) {
  const at::Tensor w = (logWeights - logWeights.max()).exp();
  return w.sum().square().item<double>() / w.square().sum().item<double>();
}

// The largest β in [0, 1] whose weights exp(logW + β·logMass) keep an effective size of `target`
// (1 when β = 1 does; the size falls as β grows, so bisection finds it).
double temperature(const at::Tensor& logW, const at::Tensor& logMass, double target) {
  if (effectiveSize(logW + logMass) >= target) return 1;
  double lo = 0, hi = 1;
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    (effectiveSize(logW + mid * logMass) >= target ? lo : hi) = mid;
  }
  return lo;
}

// Moves the last ⌊share·m⌋ centres to their images: each shifted by half the box's width along a
// random non-empty set of axes, towards the interior.
void placeImages(at::Tensor& centres, const at::Tensor& lo, const at::Tensor& hi, double share,
                 at::Generator& gen) {
  const int64_t m = centres.size(0), D = centres.size(1);
  const int64_t images = static_cast<int64_t>(std::floor(share * static_cast<double>(m)));
  if (images < 1) return;
  const auto real = at::TensorOptions().dtype(at::kDouble);
  at::Tensor mask = at::rand({images, D}, gen, real).lt(0.5);
  const at::Tensor none = mask.logical_not().all(1);
  const at::Tensor axis = at::randint(D, {images}, gen, at::TensorOptions().dtype(at::kLong));
  mask.logical_or_(at::one_hot(axis, D).to(at::kBool).logical_and_(none.unsqueeze(1)));
  at::Tensor c = centres.narrow(0, m - images, images);
  const at::Tensor half = (hi - lo) * 0.5, mid = (hi + lo) * 0.5;
  const at::Tensor shift = at::where(c.lt(mid), half, -half);
  c.add_(shift * mask.to(at::kDouble));
}

}  // namespace

std::optional<KernelMixture> KernelMixture::fromPilot(const std::vector<double>& lower,
                                                      const std::vector<double>& upper,
                                                      const at::Tensor& pilotPoints, const at::Tensor& massIn,
                                                      const ImportanceConfig& config, at::Generator& gen) {
  const at::Tensor mass = massIn.to(at::kCPU, at::kDouble).reshape({-1});
  const at::Tensor points = pilotPoints.to(at::kCPU, at::kDouble);
  const double total = mass.sum().item<double>();
  if (!std::isfinite(total) || !(total > 0) || (mass < 0).any().item<bool>() || config.kernels < 1) return {};
  const int64_t D = points.size(1), m = config.kernels;
  KernelMixture q;
  q.lower_ = lower;
  q.upper_ = upper;
  q.uniformShare_ = config.uniformShare;
  const at::Tensor rows = at::multinomial(mass, m, /*replacement=*/true, gen);
  q.centres_ = points.index_select(0, rows).contiguous();
  // Scott's rule per axis, kept between 1/200 and 1 box width.
  const at::Tensor spread = m > 1 ? q.centres_.std(0) : at::zeros({D}, at::kDouble);
  const double factor = std::pow(static_cast<double>(m), -1.0 / (static_cast<double>(D) + 4.0));
  const at::Tensor lo = at::tensor(lower, at::kDouble), hi = at::tensor(upper, at::kDouble);
  const at::Tensor width = hi - lo;
  q.bandwidth_ = at::maximum(at::minimum(spread * factor, width), width * 0.005);
  placeImages(q.centres_, lo, hi, config.imageShare, gen);
  const at::Tensor a = (lo - q.centres_) / q.bandwidth_, b = (hi - q.centres_) / q.bandwidth_;
  q.cdfLow_ = normalCdf(a);
  q.cdfMass_ = normalCdf(b) - q.cdfLow_;
  return q;
}

std::optional<KernelMixture> KernelMixture::adapt(const std::vector<double>& lower,
                                                  const std::vector<double>& upper,
                                                  const std::function<at::Tensor(const at::Tensor&)>& mass,
                                                  const ImportanceConfig& config, PointSequence sequence,
                                                  at::Generator& gen) {
  at::Tensor points = boxPoints(config.pilot, lower, upper, sequence, gen);
  at::Tensor logW = at::zeros({config.pilot}, at::kDouble);  // log p/q: 0 for uniform points
  const double target = std::max(1.0, static_cast<double>(std::min(config.kernels, config.pilot)) / 4);
  std::optional<KernelMixture> q;
  for (int round = 0; round < kAdaptRounds; ++round) {
    const at::Tensor m = mass(points).to(at::kCPU, at::kDouble).reshape({-1});
    const double total = m.sum().item<double>();
    if (!std::isfinite(total) || !(total > 0) || (m < 0).any().item<bool>()) return q;
    const at::Tensor logMass = m.clamp_min(1e-300).log();
    const double beta = temperature(logW, logMass, target);
    const at::Tensor logCentres = logW + beta * logMass;
    // The rounds before the last move the pilot onto the mass; only the proposal kept needs images.
    const bool last = beta == 1 || round == kAdaptRounds - 1;
    ImportanceConfig roundConfig = config;
    if (!last) roundConfig.imageShare = 0;
    q = fromPilot(lower, upper, points, (logCentres - logCentres.max()).exp(), roundConfig, gen);
    if (!q || beta == 1) return q;
    const WeightedPoints drawn = q->sample(config.pilot, sequence, gen);
    points = drawn.points;
    logW = drawn.weights.log();
  }
  return q;
}

int64_t KernelMixture::uniformCount(int64_t n) const {
  return std::min<int64_t>(n, static_cast<int64_t>(std::ceil(uniformShare_ * static_cast<double>(n))));
}

WeightedPoints KernelMixture::sample(int64_t n, PointSequence sequence, at::Generator& gen) const {
  const int64_t D = centres_.size(1), m = centres_.size(0), nu = uniformCount(n);
  const at::Tensor u = unitCubePoints(n, D, sequence, gen);
  const at::Tensor lo = at::tensor(lower_, at::kDouble), hi = at::tensor(upper_, at::kDouble);
  at::Tensor x = at::empty({n, D}, at::kDouble);
  x.narrow(0, 0, nu).copy_(lo + u.narrow(0, 0, nu) * (hi - lo));
  if (n > nu) {
    // Point nu + i goes to kernel i mod m; inverse CDF of the truncated Gaussian per axis.
    const at::Tensor kernel = at::arange(n - nu, at::TensorOptions().dtype(at::kLong)).remainder_(m);
    const at::Tensor c = centres_.index_select(0, kernel);
    const at::Tensor p =
        cdfLow_.index_select(0, kernel) + u.narrow(0, nu, n - nu) * cdfMass_.index_select(0, kernel);
    const at::Tensor z = p.mul(2.0).sub_(1.0).clamp_(-1.0 + 1e-16, 1.0 - 1e-16).erfinv_().mul_(kSqrt2);
    x.narrow(0, nu, n - nu).copy_(at::maximum(at::minimum(c + z * bandwidth_, hi), lo));
  }
  WeightedPoints out;
  out.points = x;
  out.weights = relativeDensity(x, n).reciprocal_();
  return out;
}

at::Tensor KernelMixture::relativeDensity(const at::Tensor& pointsIn, int64_t n) const {
  const at::Tensor points = pointsIn.to(at::kCPU, at::kDouble);
  const int64_t m = centres_.size(0), nu = uniformCount(n), rest = n - nu;
  // Component weights: the exact fractions of a set of n.
  const at::Tensor counts = at::full({m}, static_cast<double>(rest / m), at::kDouble);
  if (rest % m > 0) counts.narrow(0, 0, rest % m).add_(1.0);
  double volume = 1;
  for (size_t i = 0; i < lower_.size(); ++i) volume *= upper_[i] - lower_[i];
  const at::Tensor share = counts.mul(volume / static_cast<double>(n)).unsqueeze(1);  // m×1
  // log K_j(x) = −½‖(x − c_j)/σ‖² − Σ_d log(σ_d √(2π) Z_jd), the squared norm as one GEMM.
  const at::Tensor cs = centres_ / bandwidth_;
  const at::Tensor logNorm =
      (bandwidth_.log().sum() + 0.5 * std::log(2 * M_PI) * static_cast<double>(centres_.size(1))) +
      cdfMass_.log().sum(1);                                                          // m
  const at::Tensor offset = cs.square().sum(1).mul(-0.5).sub_(logNorm).unsqueeze(0);  // 1×m
  at::Tensor out = at::empty({points.size(0)}, at::kDouble);
  for (int64_t row0 = 0; row0 < points.size(0); row0 += kChunkRows) {
    const int64_t rows = std::min(kChunkRows, points.size(0) - row0);
    const at::Tensor xs = points.narrow(0, row0, rows) / bandwidth_;
    at::Tensor logK = at::addmm(offset, xs, cs.t());  // x̃·c̃ᵀ − ½‖c̃‖² − log norm
    logK.sub_(xs.square().sum(1, /*keepdim=*/true).mul_(0.5));
    out.narrow(0, row0, rows).copy_(at::mm(logK.exp_(), share).squeeze(1));
  }
  return out.add_(static_cast<double>(nu) / static_cast<double>(n));
}

}  // namespace nivp
