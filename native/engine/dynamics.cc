#include "engine/dynamics.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "common/launches.h"
#include "engine/gradient_rows.h"
#include "engine/linearization.h"
#include "solvers/dense.h"
#include "solvers/operator.h"
#include "solvers/pcg.h"

namespace nivp {

namespace {

// The jets a program's field terms read must be requested (second-order pairs are checked by
// Program::validate against the request's pair list).
void checkJetsCover(const Program& program, const JetRequest& jets) {
  for (size_t k = 0; k < program.nodes.size(); ++k) {
    const PlanNode& node = program.nodes[k];
    if (node.op != PlanOp::Field) continue;
    const char* missing = nullptr;
    if (node.term == JetTerm::D && !jets.gradient) missing = "a gradient";
    if (node.term == JetTerm::Lap && !jets.laplacian) missing = "the Laplacian";
    if (missing)
      throw std::invalid_argument("rhs.nodes[" + std::to_string(k) + "]: reads " + missing +
                                  " but the jet request does not include it");
  }
}

// mean(u²) over every field and every process's points (n in all), or 1 when that is 0 or not
// finite (nothing to scale by).
double meanSquare(const at::Tensor& values, int64_t n, Communicator* comm) {
  at::Tensor sum = values.square().sum().reshape({1});
  if (comm) sumOverRanks(comm, {sum});
  const double m = sum.item<double>() / (static_cast<double>(n) * static_cast<double>(values.size(1)));
  return std::isfinite(m) && m > 0 ? m : 1.0;
}

// Whether the prepared statics can stand in for the static nodes (a hand-made SampleSet may
// leave them empty: then everything is evaluated).
bool staticsUsable(const Program& program, const StaticValues& statics) {
  if (statics.values.size() != program.nodes.size()) return false;
  for (size_t k = 0; k < program.nodes.size(); ++k)
    if (program.isStatic[k] && !statics.values[k].defined()) return false;
  return true;
}

}  // namespace

Dynamics::Dynamics(std::shared_ptr<const Network> network, ProgramEvaluator rhs, JetRequest jets,
                   LinearSolverConfig config)
    : network_(std::move(network)),
      // Rebuilt over the request's own pair list, so that the program indexes Jets::second in
      // the order network.forward fills it, whatever list `rhs` was built with.
      rhs_(rhs.program(), jets.pairs),
      jets_(std::move(jets)),
      config_(config) {
  if (!network_) throw std::invalid_argument("Dynamics: network is null");
  const NetworkConfig& nc = network_->config();
  const Program& program = rhs_.program();
  program.validate("rhs", nc.dim, nc.fields, jets_.pairs);
  if (static_cast<int64_t>(program.outputs.size()) != nc.fields)
    throw std::invalid_argument("rhs.outputs: expected one output per field (" + std::to_string(nc.fields) +
                                "), got " + std::to_string(program.outputs.size()));
  checkJetsCover(program, jets_);
  if (std::any_of(config_.gradientWeights.begin(), config_.gradientWeights.end(),
                  [](double b) { return b > 0; })) {
    StencilRhs stencil = stencilRhs(program, jets_, config_.gradientWeights);
    stencilJets_ = std::move(stencil.jets);
    stencilRhs_.emplace(std::move(stencil.program), stencilJets_.pairs);
  }
}

SampleSet Dynamics::samples(const at::Tensor& points, const at::Tensor& weights) const {
  const int64_t D = network_->config().dim;
  if (!points.defined() || points.dim() != 2 || points.size(1) != D || points.size(0) < 1)
    throw std::invalid_argument("samples: points must have shape [n, " + std::to_string(D) + "] with n >= 1");
  SampleSet set;
  set.points = points.to(network_->options()).contiguous();
  set.statics = rhs_.prepare(set.points);
  if (weights.defined()) {
    if (weights.numel() != set.points.size(0))
      throw std::invalid_argument("samples: expected one weight per point");
    set.weights = weights.reshape({-1}).to(network_->options());
  }
  return set;
}

namespace {

// Seconds between marks of a steady clock.
class StageClock {
 public:
  StageClock() { last_ = start_ = now(); }
  // Seconds since the previous mark (or the start), then a new mark.
  double lap() {
    const auto t = now();
    const double s = std::chrono::duration<double>(t - last_).count();
    last_ = t;
    return s;
  }
  double total() const { return std::chrono::duration<double>(last_ - start_).count(); }

 private:
  static std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace

DynamicsResult Dynamics::evaluate(const at::Tensor& theta, double t, const SampleSet& samples,
                                  const at::Tensor& warmStart, at::Generator& gen,
                                  const std::function<bool()>& cancelled, PreconditionerCache* reuse) const {
  const Network& net = *network_;
  const NetworkConfig& nc = net.config();
  const auto opts = net.options();
  const int64_t p = net.parameterCount(), pa = net.fieldParameterCount(), k = nc.fields;
  if (!theta.defined() || theta.numel() != p)
    throw std::invalid_argument("theta: expected " + std::to_string(p) + " parameters");
  const at::Tensor& X = samples.points;
  if (!X.defined() || X.dim() != 2 || X.size(1) != nc.dim || X.size(0) < 1)
    throw std::invalid_argument("samples.points: expected shape [n, " + std::to_string(nc.dim) + "], n >= 1");
  if (warmStart.defined() && warmStart.numel() != p)
    throw std::invalid_argument("warmStart: expected " + std::to_string(p) + " values");
  const int64_t n = samples.total > 0 ? samples.total : X.size(0);
  // Sample-parallel: this process's sums over its own points, completed over all processes.
  Communicator* const comm = comm_ && comm_->worldSize() > 1 ? comm_.get() : nullptr;
  const double localShare = static_cast<double>(X.size(0)) / static_cast<double>(n);
  const bool dense = config_.method == LinearSolverConfig::Method::Dense;
  const auto gradientWeight = [this](int64_t a) {
    return a < static_cast<int64_t>(config_.gradientWeights.size()) ? config_.gradientWeights[a] : 0.0;
  };
  const bool graded = stencilRhs_.has_value();  // some field has a positive weight
  // Before any work, in particular before a J is built (the gradient rows add 2D·n rows).
  if (dense)
    checkDenseBudget(X.size(0) * (graded ? 1 + 2 * nc.dim : 1), pa, nc.dtype, config_.memoryBudgetBytes);
  const auto poll = [&]() {
    if (cancelled && cancelled()) throw Cancelled();
  };
  poll();

  StageClock clock;
  std::optional<LaunchCounter> launches;
  if (countLaunches_) launches.emplace();
  DynamicsResult result;
  StageSeconds& seconds = result.seconds;
  const at::Tensor th = theta.reshape({p}).to(opts);
  const at::Tensor points = X.to(opts);
  const Program& program = rhs_.program();
  const StaticValues* statics = staticsUsable(program, samples.statics) ? &samples.statics : nullptr;

  const at::Tensor rowScale = samples.weights.defined() ? samples.weights.sqrt() : at::Tensor();
  std::optional<Linearization> linearization;
  if (program.usesFields()) {
    // One forward sweep for the jets and the Jacobian caches.
    Jets jets;
    linearization.emplace(net, th, points, jets_, jets, rowScale);
    seconds.jets = clock.lap();
    result.f = rhs_.evaluate(points, t, &jets, statics);
  } else {
    result.f = rhs_.evaluate(points, t, nullptr, statics);
  }
  result.f = result.f.to(opts);
  seconds.plan = clock.lap();
  std::optional<GradientRows> gradient;
  if (graded) {
    gradient.emplace(GradientRows::linearize(net, th, points, config_.stencilStep, *stencilRhs_, stencilJets_,
                                             t, rowScale));
    seconds.jets += clock.lap();
  }

  at::Tensor finite = at::logical_and(at::isfinite(result.f).all(), at::isfinite(th).all());
  if (gradient) finite = at::logical_and(finite, at::isfinite(gradient->gradientF()).all());
  if (comm) {  // every process must take the same branch
    at::Tensor failures = at::logical_not(finite).to(opts.dtype(at::kDouble)).reshape({1});
    sumOverRanks(comm, {failures});
    finite = failures.eq(0);
  }
  if (!finite.item<bool>()) {
    result.thetaDot = at::full({p}, std::numeric_limits<double>::quiet_NaN(), opts);
    result.residual = std::numeric_limits<double>::quiet_NaN();
    result.converged = false;
    seconds.total = clock.total();
    if (launches) result.launches = launches->counts();
    return result;
  }

  if (!linearization) linearization.emplace(net, th, points, rowScale);
  const Linearization& lin = *linearization;
  const double mu = config_.muRelative ? config_.mu * meanSquare(lin.values(), n, comm) : config_.mu;
  // Importance weights: J's rows and f scaled by √w (the residual below is then the weighted one).
  const at::Tensor fw = rowScale.defined() ? result.f * rowScale.unsqueeze(1) : result.f;
  // Mixed precision: the products run on a float32 copy of the caches; CG never sees float32.
  std::optional<Linearization> lin32;
  if (!dense && config_.mixedPrecision && lin.dtype() == at::kDouble) lin32.emplace(lin.castTo(at::kFloat));
  seconds.linearization = clock.lap();
  result.thetaDot = at::empty({p}, opts);
  at::Tensor misfit = at::zeros({}, opts);  // Σ (Jθ̇ − f)², accumulated on the device
  const double invN = 1.0 / static_cast<double>(n);
  if (reuse && static_cast<int64_t>(reuse->fields.size()) != k) reuse->fields.assign(k, KeptPreconditioner{});
  for (int64_t a = 0; a < k; ++a) {
    poll();
    const at::Tensor fa = fw.select(1, a).unsqueeze(1).contiguous();  // n×1
    const double beta = gradientWeight(a);
    at::Tensor xa;
    at::Tensor Jx;  // J_a θ̇_a, n×1
    if (dense) {
      const at::Tensor Ja = lin.fieldJacobian(a);
      if (comm || beta > 0) {
        at::Tensor M = at::mm(Ja.t(), Ja), F = at::mm(Ja.t(), fa);
        if (beta > 0) {
          const at::Tensor Jk = gradient->fieldJacobian(a);
          const at::Tensor gk = gradient->gradientF().select(1, a).unsqueeze(1);
          M.add_(at::mm(Jk.t(), Jk), beta);
          F.add_(at::mm(Jk.t(), gk), beta);
        }
        M.mul_(invN);
        F.mul_(invN);
        sumOverRanks(comm, {M, F});
        xa = denseSolveMatrix(M, F, mu).x;
      } else {
        xa = denseSolve(Ja, fa, mu).x;  // p_a×1
      }
      Jx = at::mm(Ja, xa);
      seconds.cg += clock.lap();
    } else {
      // M_a alone feeds the Nyström sketch; μ is folded into CG's operator (in place, one pass
      // fewer than PcgOptions::shift). Sample-parallel: each process's sums scaled to the global
      // 1/n, then summed.
      const auto product = [&lin, &lin32, &gradient, a, beta, comm, localShare, invN](const at::Tensor& V,
                                                                                      double shift) {
        at::Tensor out;
        if (beta > 0) {
          out = lin.fieldMvm(a, V, 0.0).mul_(localShare);
          out.add_(gradient->fieldGramProduct(a, V), beta * invN);
        } else if (lin32) {
          out = lin32->fieldMvm(a, V.to(at::kFloat), 0.0).mul_(localShare).to(V.scalar_type());
        } else if (!comm) {
          return lin.fieldMvm(a, V, shift);
        } else {
          out = lin.fieldMvm(a, V, 0.0).mul_(localShare);
        }
        if (comm) sumOverRanks(comm, {out});
        return shift != 0 ? out.add_(V, shift) : out;
      };
      SpdOperator Ma{pa, opts, [&product](const at::Tensor& V) { return product(V, 0.0); }};
      SpdOperator A{pa, opts, [&product, mu](const at::Tensor& V) { return product(V, mu); }};
      // The block's preconditioning state: its mode (sampled rows, or the full sketch once sampled
      // rows fell short) lasts for the cache's life; the preconditioner itself only with reuse.
      KeptPreconditioner fresh;
      KeptPreconditioner* P = reuse ? &reuse->fields[a] : &fresh;
      const bool kept = config_.reusePreconditioner && P->preconditioner != nullptr && config_.rank > 0;
      const auto rebuild = [&]() {
        const bool fullSketch = P->fullSketch;
        // Sample-parallel runs keep the full sketch (each process's sampled rows would give each
        // its own preconditioner, where CG's replicated vectors need one).
        *P = buildPreconditioner(lin, a, Ma, config_, mu, gen, fullSketch || comm != nullptr,
                                 gradient ? &*gradient : nullptr, beta);
        P->fullSketch = fullSketch;
        if (P->preconditioner) ++result.preconditionersBuilt;
        seconds.preconditioner += clock.lap();
      };
      if (!kept) {
        seconds.cg += clock.lap();
        rebuild();
      }
      poll();
      at::Tensor F = lin.fieldVjp(a, fa).mul_(invN);  // p_a×1
      if (beta > 0) F.add_(gradient->fieldTarget(a), beta * invN);
      sumOverRanks(comm, {F});
      at::Tensor x0;
      if (warmStart.defined()) {
        x0 = warmStart.reshape({p}).narrow(0, net.fieldOffset(a), pa).to(opts).unsqueeze(1);
        if (!at::isfinite(x0).all().item<bool>()) x0 = at::Tensor();
      }
      PcgOptions po;
      po.tol = config_.tol;
      po.maxIters = config_.maxIters;
      if (cancelled) po.progress = [&cancelled](int64_t, double) { return !cancelled(); };
      // A kept preconditioner gets the iterations it needed when fresh plus what a rebuild costs; a
      // fresh one from sampled rows what the full sketch would cost (engine/preconditioning.h).
      double cap = static_cast<double>(config_.maxIters);
      if (kept) {
        cap = static_cast<double>(P->freshIterations) + std::max(2.0, P->rebuildIterations);
      } else if (P->sampled) {
        cap = std::max(2.0, P->escalateIterations);
      }
      po.maxIters = std::min<int64_t>(config_.maxIters, static_cast<int64_t>(std::ceil(cap)));
      const auto runCg = [&](const at::Tensor& start) {
        std::optional<LaunchCounter> counter;
        if (countLaunches_) counter.emplace();
        PcgResult out = pcg(A, F, start, P->preconditioner.get(), po);
        if (counter) result.cgLaunches += counter->counts();
        return out;
      };
      PcgResult solved = runCg(x0);
      if (solved.status == PcgStatus::Cancelled) throw Cancelled();
      int64_t iterations = solved.iterations;
      if (!solved.converged && iterations < config_.maxIters && P->preconditioner) {
        // The cap was hit: a kept preconditioner is stale, and sampled rows do not describe this
        // block's M well enough (from now on it gets the full sketch). Continue from where CG got.
        if (!kept && P->sampled) P->fullSketch = true;
        seconds.cg += clock.lap();
        rebuild();
        po.maxIters = config_.maxIters - iterations;
        solved = runCg(solved.x);
        if (solved.status == PcgStatus::Cancelled) throw Cancelled();
        iterations += solved.iterations;
        P->freshIterations = solved.iterations;
      } else if (!kept) {
        P->freshIterations = solved.iterations;
      } else {
        ++P->age;
      }
      result.preconditionerRank = std::max(result.preconditionerRank, P->rank);
      result.preconditionerAge = std::max(result.preconditionerAge, P->age);
      result.cgIterations += iterations;
      result.converged = result.converged && solved.converged;
      if (!config_.reusePreconditioner) P->preconditioner = nullptr;
      xa = std::move(solved.x);
      Jx = lin.fieldJvp(a, xa);
      seconds.cg += clock.lap();
    }
    result.thetaDot.narrow(0, net.fieldOffset(a), pa).copy_(xa.reshape({pa}));
    misfit.add_((Jx - fa).square().sum());
  }
  at::Tensor sums = at::stack({misfit, fw.square().sum()});
  sumOverRanks(comm, {sums});
  const at::Tensor host = toHost(sums);
  const double num = host.data_ptr<double>()[0], den = host.data_ptr<double>()[1];
  if (den > 0) {
    result.residual = std::sqrt(num / den);
  } else {
    result.residual = num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  seconds.cg += clock.lap();
  seconds.total = clock.total();
  if (launches) result.launches = launches->counts();
  return result;
}

double Dynamics::residual(const at::Tensor& theta, double t, const SampleSet& samples,
                          at::Generator& gen) const {
  return evaluate(theta, t, samples, at::Tensor(), gen).residual;
}

}  // namespace nivp
