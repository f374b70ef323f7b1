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
  const double num = numerator.sum().item<double>(), den = denominator.sum().item<double>();
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

FieldErrors fieldErrors(const Network& network, const at::Tensor& theta, const Batch& batch,
                        Communicator* comm) {
  const at::Tensor y = network.forward(theta, batch.points.to(network.options()), JetRequest{}).values;
  const at::Tensor t = batch.values.to(y.options());
  at::Tensor sums = at::stack({(y - t).square().sum(0), t.square().sum(0)});  // 2×k
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

GaussNewtonReport fitGaussNewton(const Network& network, at::Tensor& theta, const BatchSource& source,
                                 const Batch& heldOut, const GaussNewtonOptions& options, at::Generator& gen,
                                 Communicator* comm) {
  if (comm != nullptr && comm->worldSize() <= 1) comm = nullptr;
  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  const auto poll = [&] {
    if (options.cancelled && options.cancelled()) throw Cancelled();
  };
  const NetworkConfig& cfg = network.config();
  const auto opts = network.options();
  const int64_t k = cfg.fields, pa = network.fieldParameterCount();
  const int64_t rank = std::min(options.rank, pa);

  GaussNewtonReport report;
  std::vector<Block> blocks(k);
  FieldErrors best = fieldErrors(network, theta, heldOut, comm);
  at::Tensor bestTheta = theta.clone();
  report.error = best.relative();
  double patienceMark = report.error;
  int64_t sinceImprovement = 0;
  int64_t nonFiniteInARow = 0;
  constexpr int64_t kNonFiniteLimit = 3;

  const auto finish = [&](FitStop why, std::string message) {
    report.stopped = why;
    report.message = std::move(message);
  };
  if (options.tol > 0 && report.error <= options.tol) {
    finish(FitStop::Tolerance, "the starting point already meets the tolerance");
    return report;
  }
  if (options.maxIterations <= 0) {
    finish(FitStop::Steps, "no iterations allowed");
    return report;
  }

  Batch batch;
  int64_t samples = options.samples;
  report.samples = samples;
  bool grew = false;
  double iterationStart = 0, lastIterationSeconds = 0;
  for (int64_t iteration = 0;; ++iteration) {
    // What the coming iteration is expected to take: the last one, twice that on a doubled batch.
    if (iteration > 0) lastIterationSeconds = (elapsed() - iterationStart) * (grew ? 2 : 1);
    iterationStart = elapsed();
    if (iteration >= options.maxIterations) {
      finish(FitStop::Steps, "reached the iteration cap");
      break;
    }
    poll();
    if (grew || iteration % std::max<int64_t>(options.resampleEvery, 1) == 0) batch = source(samples, gen);
    grew = false;
    const at::Tensor points = batch.points.to(opts);
    const at::Tensor rowScale = batch.weights.defined() ? batch.weights.to(opts).sqrt() : at::Tensor();
    const at::Tensor targets = batch.values.to(opts);
    const at::Tensor s = network.scaled(points);
    at::Tensor B = network.boundaryFactor(s).squeeze(1);  // n
    if (rowScale.defined()) B = B * rowScale;
    const Linearization lin(network, theta, points, rowScale);
    // r = √w·(y − u) per field (n×k), y = B·m the network's values.
    at::Tensor res = lin.values() - targets;
    if (rowScale.defined()) res.mul_(rowScale.unsqueeze(1));
    // One message for the iteration's scalars: Σ r² per field, the point count, and whether any
    // process is out of time (so that all stop together).
    // Out of time when the budget is spent or this iteration would overrun it: a budget is a
    // limit, not a point after which one more iteration starts.
    const double outOfTime =
        options.maxSeconds > 0 && elapsed() + lastIterationSeconds >= options.maxSeconds ? 1.0 : 0.0;
    at::Tensor scalars =
        at::cat({res.square().sum(0), at::tensor({static_cast<double>(points.size(0)), outOfTime}, opts)});
    sumOverRanks(comm, {scalars});
    scalars = scalars.to(at::kCPU, at::kDouble);
    if (scalars[k + 1].item<double>() > 0) {
      finish(FitStop::Budget, "ran out of time");
      break;
    }
    const double n = scalars[k].item<double>();                    // points over all processes
    const double share = static_cast<double>(points.size(0)) / n;  // this process's share of them
    // Φ_a at θ' on these points: Σ (√w (B m_a − u_a))² / 2n, summed over the processes.
    const auto objective = [&](const at::Tensor& th, int64_t a) {
      const at::Tensor m = network.subnetworkValue(th, a, s, nullptr, nullptr).squeeze(1);
      at::Tensor wt = targets.select(1, a);
      if (rowScale.defined()) wt = wt * rowScale;
      at::Tensor sum = (B * m - wt).square().sum().reshape({1});
      sumOverRanks(comm, {sum});
      return sum.item<double>() / (2 * n);
    };

    bool anyNonFinite = false;
    for (int64_t a = 0; a < k; ++a) {
      poll();
      Block& blk = blocks[a];
      const double phi = scalars[a].item<double>() / (2 * n);
      if (!finite(phi)) {
        finish(FitStop::Stalled, "the network or the target is not finite on the fit's points");
        theta.copy_(bestTheta);
        return report;
      }
      at::Tensor g = lin.fieldVjp(a, res.select(1, a).unsqueeze(1));  // p_a×1
      sumOverRanks(comm, {g});
      g.div_(n);
      // M_a = J_aᵀJ_a/n over all points: this process's average times its share, summed.
      SpdOperator Ma{pa, opts, [&lin, a, comm, share](const at::Tensor& V) {
                       at::Tensor out = lin.fieldMvm(a, V, 0.0);
                       if (comm) sumOverRanks(comm, {out.mul_(share)});
                       return out;
                     }};
      // A fresh sketch every iteration: one kept for later iterations costs more CG iterations
      // than it saves (docs/fitting-and-sampling.md).
      std::unique_ptr<NystromPreconditioner> sketch;
      if (rank > 0) {
        sketch = std::make_unique<NystromPreconditioner>(Ma, rank, blk.lambda > 0 ? blk.lambda : 1.0, gen);
        if (sketch->degenerate() || sketch->rank() == 0) sketch.reset();
      }
      if (blk.scale == 0) {
        // The scale of M_a: the sketch's largest eigenvalue, else a Rayleigh quotient.
        double scale = sketch ? sketch->eigenvalues()[0].item<double>() : 0.0;
        if (!(scale > 0)) {
          const at::Tensor v = at::randn({pa, 1}, gen, at::TensorOptions().dtype(at::kDouble)).to(opts);
          scale = (v * Ma.apply(v)).sum().item<double>() / v.square().sum().item<double>();
        }
        blk.scale = finite(scale) && scale > 0 ? scale : 1.0;
        blk.lambda = options.initialDamping * blk.scale;
      }
      const at::Tensor thetaA = theta.narrow(0, network.fieldOffset(a), pa);
      for (int64_t attempt = 0; attempt < options.maxTries; ++attempt) {
        poll();
        const DampedStep step =
            dampedStep(Ma, g, blk.lambda, sketch.get(), options.cgTol, options.cgMaxIters, options.cancelled);
        report.cgIterations += step.cgIterations;
        bool accepted = false;
        double rho = std::numeric_limits<double>::quiet_NaN();
        if (finite(step.predicted)) {
          at::Tensor trial = theta.clone();
          trial.narrow(0, network.fieldOffset(a), pa).add_(step.delta);
          const double phiTrial = objective(trial, a);
          rho = (phi - phiTrial) / step.predicted;
          if (finite(phiTrial) && finite(rho) && step.predicted > 0 && rho > 0) {
            thetaA.add_(step.delta);
            accepted = true;
          }
        }
        if (!finite(rho)) anyNonFinite = true;
        if (accepted) {
          const double c = 2 * rho - 1;
          blk.lambda *= std::max(options.minDecrease, 1.0 - c * c * c);
          blk.lambda = std::max(blk.lambda, 1e-15 * blk.scale);
          blk.nu = 2;
          break;
        }
        ++report.rejected;
        blk.lambda *= blk.nu;
        blk.nu *= 2;
      }
    }
    nonFiniteInARow = anyNonFinite ? nonFiniteInARow + 1 : 0;
    report.iterations = iteration + 1;

    // Held-out error; each block keeps its best θ_a.
    const FieldErrors now = fieldErrors(network, theta, heldOut, comm);
    const auto nowNum = now.numerator.accessor<double, 1>();
    auto bestNum = best.numerator.accessor<double, 1>();
    for (int64_t a = 0; a < k; ++a) {
      if (finite(nowNum[a]) && nowNum[a] < bestNum[a]) {
        bestNum[a] = nowNum[a];
        bestTheta.narrow(0, network.fieldOffset(a), pa).copy_(theta.narrow(0, network.fieldOffset(a), pa));
      }
    }
    report.error = best.relative();
    if (options.progress && !options.progress(report.iterations, report.error)) {
      report.cancelled = true;
      finish(FitStop::Stalled, "stopped by the caller");
      break;
    }
    if (options.tol > 0 && report.error <= options.tol) {
      finish(FitStop::Tolerance, "reached the tolerance");
      break;
    }
    if (nonFiniteInARow >= kNonFiniteLimit) {
      finish(FitStop::Stalled, "Gauss–Newton steps kept producing non-finite values");
      break;
    }
    if (report.error < 0.99 * patienceMark) {
      patienceMark = report.error;
      sinceImprovement = 0;
    } else if (++sinceImprovement >= options.patience) {
      if (samples < options.maxSamples) {
        samples = std::min(2 * samples, options.maxSamples);
        report.samples = samples;
        grew = true;
        patienceMark = report.error;
        sinceImprovement = 0;
        continue;
      }
      finish(FitStop::Stalled, samples > options.samples
                                   ? "the held-out error stopped improving at " + std::to_string(samples) +
                                         " points per iteration"
                                   : std::string("the held-out error stopped improving"));
      break;
    }
  }
  theta.copy_(bestTheta);
  return report;
}

}  // namespace nivp
