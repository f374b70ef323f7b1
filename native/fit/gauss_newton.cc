#include "fit/gauss_newton.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/cancelled.h"
#include "engine/linearization.h"
#include "solvers/nystrom.h"
#include "solvers/operator.h"
#include "solvers/pcg.h"

namespace nivp {

const char* toString(FitStop stop) {
  switch (stop) {
    case FitStop::Tolerance:
      return "tol";
    case FitStop::Budget:
      return "budget";
    case FitStop::Steps:
      return "steps";
    case FitStop::Stalled:
      return "stalled";
  }
  return "unknown";
}

double FieldErrors::relative() const {
  const double total = denominator.sum().item<double>();
  if (!(total > 0)) return std::sqrt(numerator.sum().item<double>());
  // Each field against its own size, so that a field a thousandth of another's is fitted to the
  // tolerance too, not to a millionth of its weight in a pooled sum; a field that is zero (one from
  // rest) has no size of its own and is held to the others'.
  const at::Tensor own = denominator.gt(kZeroFieldShare * total);
  const at::Tensor scale = at::where(own, denominator, at::full_like(denominator, total));
  return std::sqrt((numerator / scale).max().item<double>());
}

FieldErrors fieldErrors(const Network& network, const at::Tensor& theta, const Batch& batch,
                        Communicator* comm) {
  const at::Tensor y = network.forward(theta, batch.points.to(network.options()), JetRequest{}).values;
  const at::Tensor t = batch.values.to(y.options());
  at::Tensor sums = at::stack({(y - t).square(), network.variation(t).square()});  // 2×n×k, u − o's size
  // Importance-drawn points carry w = p/q, so that the sums estimate the integrals over the box.
  if (batch.weights.defined()) sums.mul_(batch.weights.to(y.options()).view({1, -1, 1}));
  sums = sums.sum(1);  // 2×k
  sumOverRanks(comm, {sums});
  sums = sums.to(at::kCPU, at::kDouble);
  FieldErrors e;
  e.numerator = sums[0].clone();
  e.denominator = sums[1].clone();
  return e;
}

namespace {

using Clock = std::chrono::steady_clock;

// The Nyström approximation Â = U Λ̂ Uᵀ of M_a, applied as the preconditioner of M_a + λI for any
// λ > 0 (Frangella et al. eq. (5.3), as solvers/nystrom.h): one sketch serves every damping tried
// on the same linearization.
class DampedNystrom : public Preconditioner {
 public:
  DampedNystrom(const NystromPreconditioner& base, double lambda) : U_(base.U()) {
    const at::Tensor eig = base.eigenvalues();
    const at::Tensor smallest = eig.narrow(0, eig.size(0) - 1, 1);
    scale_ = ((smallest + lambda) / (eig + lambda) - 1.0).unsqueeze(1);
  }
  at::Tensor apply(const at::Tensor& r) const override {
    const at::Tensor block = r.dim() == 1 ? r.unsqueeze(1) : r;
    at::Tensor out = at::addmm(block, U_, at::mm(U_.t(), block).mul_(scale_));
    return r.dim() == 1 ? out.squeeze(1) : out;
  }

 private:
  at::Tensor U_, scale_;
};

// One field block's Levenberg–Marquardt state.
struct Block {
  double lambda = 0;  // 0 until the first sketch sets the scale
  double nu = 2;
  double scale = 0;  // λ_max(M_a) estimate at the first iteration
};

bool finite(double x) { return std::isfinite(x); }

}  // namespace

DampedStep dampedStep(const SpdOperator& M, const at::Tensor& gradient, double lambda,
                      const NystromPreconditioner* sketch, double cgTol, int64_t cgMaxIters,
                      const std::function<bool()>& cancelled) {
  const int64_t pa = M.size;
  SpdOperator A{pa, M.options, [&M, lambda](const at::Tensor& V) { return at::add(M.apply(V), V, lambda); }};
  std::unique_ptr<DampedNystrom> P;
  if (sketch && !sketch->degenerate() && sketch->rank() > 0)
    P = std::make_unique<DampedNystrom>(*sketch, lambda);
  PcgOptions po;
  po.tol = cgTol;
  po.maxIters = cgMaxIters;
  if (cancelled) po.progress = [&cancelled](int64_t, double) { return !cancelled(); };
  const PcgResult solved = pcg(A, gradient.reshape({pa, 1}).neg(), at::Tensor(), P.get(), po);
  if (solved.status == PcgStatus::Cancelled) throw Cancelled();
  DampedStep step;
  step.cgIterations = solved.iterations;
  step.delta = solved.x.reshape({pa});
  if (!at::isfinite(step.delta).all().item<bool>()) {
    step.predicted = std::numeric_limits<double>::quiet_NaN();
    return step;
  }
  const at::Tensor Md = M.apply(step.delta.unsqueeze(1)).reshape({pa});
  step.predicted = -(gradient.reshape({pa}) * step.delta).sum().item<double>() -
                   0.5 * (step.delta * Md).sum().item<double>();
  return step;
}

namespace {

// One Gauss–Newton fit. Each iteration draws its points and linearises there (`linearizeOn`),
// takes one damped step per field block (`stepBlock`), keeps each block's best θ_a on the held-out
// set (`keepBest`) and applies the stopping rules (`stops`).
class GaussNewtonFit {
 public:
  GaussNewtonFit(const Network& network, at::Tensor& theta, const BatchSource& source, const Batch& heldOut,
                 const GaussNewtonOptions& options, at::Generator& gen, Communicator* comm)
      : network_(network),
        theta_(theta),
        source_(source),
        heldOut_(heldOut),
        options_(options),
        gen_(gen),
        comm_(comm != nullptr && comm->worldSize() > 1 ? comm : nullptr),
        opts_(network.options()),
        k_(network.config().fields),
        pa_(network.fieldParameterCount()),
        rank_(std::min(options.rank, pa_)),
        blocks_(k_),
        best_(fieldErrors(network, theta, heldOut, comm_)),
        bestTheta_(theta.clone()),
        samples_(options.samples) {
    report_.error = best_.relative();
    report_.samples = samples_;
    patienceMark_ = report_.error;
  }

  GaussNewtonReport run() {
    if (options_.tol > 0 && report_.error <= options_.tol) {
      stop(FitStop::Tolerance, "the starting point already meets the tolerance");
      return report_;
    }
    if (options_.maxIterations <= 0) {
      stop(FitStop::Steps, "no iterations allowed");
      return report_;
    }
    for (int64_t iteration = 0;; ++iteration) {
      // What the coming iteration is expected to take: the last one, twice that on a doubled batch.
      if (iteration > 0) lastIterationSeconds_ = (elapsed() - iterationStart_) * (grew_ ? 2 : 1);
      iterationStart_ = elapsed();
      if (iteration >= options_.maxIterations) {
        stop(FitStop::Steps, "reached the iteration cap");
        break;
      }
      poll();
      if (grew_ || iteration % std::max<int64_t>(options_.resampleEvery, 1) == 0)
        batch_ = source_(samples_, gen_);
      grew_ = false;
      const Iteration it = linearizeOn(batch_);
      if (it.outOfTime) {
        stop(FitStop::Budget, "ran out of time");
        break;
      }
      bool anyNonFinite = false;
      for (int64_t a = 0; a < k_; ++a) {
        poll();
        const double phi = it.sumSquares[a] / (2 * it.n);
        if (!finite(phi)) {
          stop(FitStop::Stalled, "the network or the target is not finite on the fit's points");
          theta_.copy_(bestTheta_);
          return report_;
        }
        anyNonFinite = !stepBlock(it, a, phi) || anyNonFinite;
      }
      nonFiniteInARow_ = anyNonFinite ? nonFiniteInARow_ + 1 : 0;
      report_.iterations = iteration + 1;
      keepBest();
      if (stops()) break;
    }
    theta_.copy_(bestTheta_);
    return report_;
  }

 private:
  // An iteration's points and what is computed on them once.
  struct Iteration {
    at::Tensor points, rowScale, targets;
    at::Tensor s, B;  // the scaled points; the boundary factor (n×1)
    std::unique_ptr<const Linearization> lin;
    at::Tensor res;                  // √w (u − y), n×k
    std::vector<double> sumSquares;  // Σ res² per field, over all processes
    double n = 0;                    // points over all processes
    double share = 0;                // this process's share of them
    bool outOfTime = false;          // on any process
  };

  Iteration linearizeOn(const Batch& batch) const {
    Iteration it;
    it.points = batch.points.to(opts_);
    it.rowScale = batch.weights.defined() ? batch.weights.to(opts_).sqrt() : at::Tensor();
    it.targets = batch.values.to(opts_);
    it.s = network_.scaled(it.points);
    it.B = network_.boundaryFactor(it.s);
    it.lin = std::make_unique<const Linearization>(network_, theta_, it.points, it.rowScale);
    // r = √w·(y − u) per field (n×k), y the network's values.
    it.res = it.lin->values() - it.targets;
    if (it.rowScale.defined()) it.res.mul_(it.rowScale.unsqueeze(1));
    // One message for the iteration's scalars: Σ r² per field, the point count, and whether any
    // process is out of time (so that all stop together). Out of time when the budget is spent or
    // this iteration would overrun it: a budget is a limit, not a point after which one more
    // iteration starts.
    const double outOfTime =
        options_.maxSeconds > 0 && elapsed() + lastIterationSeconds_ >= options_.maxSeconds ? 1.0 : 0.0;
    at::Tensor scalars = at::cat(
        {it.res.square().sum(0), at::tensor({static_cast<double>(it.points.size(0)), outOfTime}, opts_)});
    sumOverRanks(comm_, {scalars});
    scalars = scalars.to(at::kCPU, at::kDouble);
    const double* h = scalars.data_ptr<double>();
    it.sumSquares.assign(h, h + k_);
    it.n = h[k_];
    it.share = static_cast<double>(it.points.size(0)) / it.n;
    it.outOfTime = h[k_ + 1] > 0;
    return it;
  }

  // Φ_a at θ' on the iteration's points: Σ (√w (y_a − u_a))² / 2n, summed over the processes.
  double objective(const Iteration& it, const at::Tensor& th, int64_t a) const {
    const at::Tensor m = network_.subnetworkValue(th, a, it.s, nullptr, nullptr);
    at::Tensor r = network_.output(m, it.B, a).value.squeeze(1) - it.targets.select(1, a);
    if (it.rowScale.defined()) r = r * it.rowScale;
    at::Tensor sum = r.square().sum().reshape({1});
    sumOverRanks(comm_, {sum});
    return sum.item<double>() / (2 * it.n);
  }

  // Block a's Levenberg–Marquardt step: damped solves until one lowers Φ_a as the ratio test asks
  // (at most maxTries). False when a ratio was not finite.
  bool stepBlock(const Iteration& it, int64_t a, double phi) {
    Block& blk = blocks_[a];
    at::Tensor g = it.lin->fieldVjp(a, it.res.select(1, a).unsqueeze(1));  // p_a×1
    sumOverRanks(comm_, {g});
    g.div_(it.n);
    // M_a = J_aᵀJ_a/n over all points: this process's average times its share, summed.
    const Linearization* lin = it.lin.get();
    SpdOperator Ma{pa_, opts_, [lin, a, comm = comm_, share = it.share](const at::Tensor& V) {
                     at::Tensor out = lin->fieldMvm(a, V, 0.0);
                     if (comm) sumOverRanks(comm, {out.mul_(share)});
                     return out;
                   }};
    // A fresh sketch every iteration: one kept for later iterations costs more CG iterations
    // than it saves (docs/fitting-and-sampling.md).
    std::unique_ptr<NystromPreconditioner> sketch;
    if (rank_ > 0) {
      sketch = std::make_unique<NystromPreconditioner>(Ma, rank_, blk.lambda > 0 ? blk.lambda : 1.0, gen_);
      if (sketch->degenerate() || sketch->rank() == 0) sketch.reset();
    }
    if (blk.scale == 0) setScale(blk, Ma, sketch.get());
    const at::Tensor thetaA = theta_.narrow(0, network_.fieldOffset(a), pa_);
    bool allFinite = true;
    for (int64_t attempt = 0; attempt < options_.maxTries; ++attempt) {
      poll();
      const DampedStep step = dampedStep(Ma, g, blk.lambda, sketch.get(), options_.cgTol, options_.cgMaxIters,
                                         options_.cancelled);
      report_.cgIterations += step.cgIterations;
      double rho = std::numeric_limits<double>::quiet_NaN();
      bool accepted = false;
      if (finite(step.predicted)) {
        at::Tensor trial = theta_.clone();
        trial.narrow(0, network_.fieldOffset(a), pa_).add_(step.delta);
        const double phiTrial = objective(it, trial, a);
        rho = (phi - phiTrial) / step.predicted;
        accepted = finite(phiTrial) && finite(rho) && step.predicted > 0 && rho > 0;
        if (accepted) thetaA.add_(step.delta);
      }
      if (!finite(rho)) allFinite = false;
      if (accepted) {
        const double c = 2 * rho - 1;
        blk.lambda *= std::max(options_.minDecrease, 1.0 - c * c * c);
        blk.lambda = std::max(blk.lambda, 1e-15 * blk.scale);
        blk.nu = 2;
        break;
      }
      ++report_.rejected;
      blk.lambda *= blk.nu;
      blk.nu *= 2;
    }
    return allFinite;
  }

  // The scale of M_a, from which λ starts: the sketch's largest eigenvalue, else a Rayleigh quotient.
  void setScale(Block& blk, const SpdOperator& Ma, const NystromPreconditioner* sketch) {
    double scale = sketch ? sketch->eigenvalues()[0].item<double>() : 0.0;
    if (!(scale > 0)) {
      const at::Tensor v = at::randn({pa_, 1}, gen_, at::TensorOptions().dtype(at::kDouble)).to(opts_);
      scale = (v * Ma.apply(v)).sum().item<double>() / v.square().sum().item<double>();
    }
    blk.scale = finite(scale) && scale > 0 ? scale : 1.0;
    blk.lambda = options_.initialDamping * blk.scale;
  }

  // The held-out error; each block keeps its best θ_a.
  void keepBest() {
    const FieldErrors now = fieldErrors(network_, theta_, heldOut_, comm_);
    const auto nowNum = now.numerator.accessor<double, 1>();
    auto bestNum = best_.numerator.accessor<double, 1>();
    for (int64_t a = 0; a < k_; ++a) {
      if (finite(nowNum[a]) && nowNum[a] < bestNum[a]) {
        bestNum[a] = nowNum[a];
        bestTheta_.narrow(0, network_.fieldOffset(a), pa_)
            .copy_(theta_.narrow(0, network_.fieldOffset(a), pa_));
      }
    }
    report_.error = best_.relative();
  }

  // The rules after an iteration; true when the fit ends there. A stall first doubles the batch
  // (up to maxSamples): a stall at n points is the sampling-noise floor of n points.
  bool stops() {
    if (options_.progress && !options_.progress(report_.iterations, report_.error)) {
      report_.cancelled = true;
      stop(FitStop::Stalled, "stopped by the caller");
      return true;
    }
    if (options_.tol > 0 && report_.error <= options_.tol) {
      stop(FitStop::Tolerance, "reached the tolerance");
      return true;
    }
    if (nonFiniteInARow_ >= kNonFiniteLimit) {
      stop(FitStop::Stalled, "Gauss–Newton steps kept producing non-finite values");
      return true;
    }
    if (report_.error < 0.99 * patienceMark_) {
      patienceMark_ = report_.error;
      sinceImprovement_ = 0;
      return false;
    }
    if (++sinceImprovement_ < options_.patience) return false;
    if (samples_ < options_.maxSamples) {
      samples_ = std::min(2 * samples_, options_.maxSamples);
      report_.samples = samples_;
      grew_ = true;
      patienceMark_ = report_.error;
      sinceImprovement_ = 0;
      return false;
    }
    stop(FitStop::Stalled,
         samples_ > options_.samples
             ? "the held-out error stopped improving at " + std::to_string(samples_) + " points per iteration"
             : std::string("the held-out error stopped improving"));
    return true;
  }

  void stop(FitStop why, std::string message) {
    report_.stopped = why;
    report_.message = std::move(message);
  }
  void poll() const {
    if (options_.cancelled && options_.cancelled()) throw Cancelled();
  }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  static constexpr int64_t kNonFiniteLimit = 3;  // iterations in a row with a non-finite ratio

  const Network& network_;
  at::Tensor& theta_;
  const BatchSource& source_;
  const Batch& heldOut_;
  const GaussNewtonOptions& options_;
  at::Generator& gen_;
  Communicator* const comm_;
  const at::TensorOptions opts_;
  const int64_t k_, pa_, rank_;
  const Clock::time_point start_ = Clock::now();
  std::vector<Block> blocks_;
  FieldErrors best_;
  at::Tensor bestTheta_;
  GaussNewtonReport report_;
  Batch batch_;
  int64_t samples_;
  bool grew_ = false;
  double iterationStart_ = 0, lastIterationSeconds_ = 0;
  double patienceMark_ = 0;
  int64_t sinceImprovement_ = 0, nonFiniteInARow_ = 0;
};

}  // namespace

GaussNewtonReport fitGaussNewton(const Network& network, at::Tensor& theta, const BatchSource& source,
                                 const Batch& heldOut, const GaussNewtonOptions& options, at::Generator& gen,
                                 Communicator* comm) {
  return GaussNewtonFit(network, theta, source, heldOut, options, gen, comm).run();
}

}  // namespace nivp
