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
// With importance weights (rowScale = √w) the values are first scaled by √w, so that Σ w u²/n
// estimates the mean over the domain, not over the proposal that crowds the points where |u| is.
double meanSquare(const at::Tensor& values, const at::Tensor& rowScale, int64_t n, Communicator* comm) {
  const at::Tensor scaled = rowScale.defined() ? values * rowScale.unsqueeze(1) : values;
  at::Tensor sum = scaled.square().sum().reshape({1});
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

// What one evaluation carries from step to step.
struct Dynamics::Evaluation {
  Evaluation(const Dynamics& d, const at::Tensor& theta, const SampleSet& samples)
      : comm(d.comm_ && d.comm_->worldSize() > 1 ? d.comm_.get() : nullptr),
        n(samples.total > 0 ? samples.total : samples.points.size(0)),
        localShare(static_cast<double>(samples.points.size(0)) / static_cast<double>(n)),
        invN(1.0 / static_cast<double>(n)),
        theta(theta.reshape({d.network_->parameterCount()}).to(d.network_->options())),
        points(samples.points.to(d.network_->options())),
        rowScale(samples.weights.defined() ? samples.weights.sqrt() : at::Tensor()) {
    if (d.countLaunches_) launches.emplace();
  }
  // Sample-parallel: this process's sums over its own points, completed over all processes.
  Communicator* const comm;
  const int64_t n;          // points of the whole set
  const double localShare;  // this process's share of them
  const double invN;
  const at::Tensor theta, points, rowScale;  // rowScale: √w with importance weights (undefined: 1)
  StageClock clock;
  std::optional<LaunchCounter> launches;
  DynamicsResult result;
  std::optional<Linearization> lin, lin32;  // lin32: the float32 caches of mixed precision
  std::optional<GradientRows> gradient;
  at::Tensor fw;  // f with its rows scaled like J's (by √w)
  double mu = 0;
  at::Tensor misfit;  // Σ (Jθ̇ − f)², accumulated on the device
};

// The reference implementation's v_fn: estimate M, build the preconditioner, form F, solve.
DynamicsResult Dynamics::evaluate(const at::Tensor& theta, double t, const SampleSet& samples,
                                  const at::Tensor& warmStart, at::Generator& gen,
                                  const std::function<bool()>& cancelled, PreconditionerCache* reuse) const {
  checkArguments(theta, samples, warmStart);
  const auto poll = [&cancelled]() {
    if (cancelled && cancelled()) throw Cancelled();
  };
  poll();
  Evaluation ev(*this, theta, samples);
  linearize(ev, t, samples);
  if (!allFinite(ev)) return finish(ev, /*solved=*/false);
  prepareSolve(ev);
  const int64_t k = network_->config().fields;
  if (reuse && static_cast<int64_t>(reuse->fields.size()) != k)
    reuse->fields.assign(k, BlockPreconditioning{});
  for (int64_t a = 0; a < k; ++a) {
    poll();
    if (config_.method == LinearSolverConfig::Method::Dense) {
      solveDense(ev, a);
    } else {
      BlockPreconditioning fresh;
      solvePcg(ev, a, warmStart, gen, cancelled, reuse ? reuse->fields[a] : fresh);
    }
  }
  return finish(ev, /*solved=*/true);
}

void Dynamics::checkArguments(const at::Tensor& theta, const SampleSet& samples,
                              const at::Tensor& warmStart) const {
  const NetworkConfig& nc = network_->config();
  const int64_t p = network_->parameterCount();
  if (!theta.defined() || theta.numel() != p)
    throw std::invalid_argument("theta: expected " + std::to_string(p) + " parameters");
  const at::Tensor& X = samples.points;
  if (!X.defined() || X.dim() != 2 || X.size(1) != nc.dim || X.size(0) < 1)
    throw std::invalid_argument("samples.points: expected shape [n, " + std::to_string(nc.dim) + "], n >= 1");
  if (warmStart.defined() && warmStart.numel() != p)
    throw std::invalid_argument("warmStart: expected " + std::to_string(p) + " values");
  // Before any work, in particular before a J is built (the gradient rows add 2K·n rows).
  if (config_.method == LinearSolverConfig::Method::Dense)
    checkDenseBudget(
        X.size(0) * (stencilRhs_ ? 1 + 2 * directionCount(config_.stencilDirections, nc.dim) : 1),
        network_->fieldParameterCount(), nc.dtype, config_.memoryBudgetBytes);
}

// f at the samples and, when f reads the network's jets, J's caches from the same forward sweep.
void Dynamics::sweepSamples(Evaluation& ev, double t, const SampleSet& samples) const {
  const Program& program = rhs_.program();
  const StaticValues* statics = staticsUsable(program, samples.statics) ? &samples.statics : nullptr;
  StageSeconds& seconds = ev.result.seconds;
  if (program.usesFields()) {
    Jets jets;
    ev.lin.emplace(*network_, ev.theta, ev.points, jets_, jets, ev.rowScale);
    seconds.jets = ev.clock.lap();
    ev.result.f = rhs_.evaluate(ev.points, t, &jets, statics);
  } else {
    ev.result.f = rhs_.evaluate(ev.points, t, nullptr, statics);
  }
  ev.result.f = ev.result.f.to(network_->options());
  seconds.plan = ev.clock.lap();
}

// The sweep and, with gradient rows, f and J's caches again at the stencil points.
void Dynamics::linearize(Evaluation& ev, double t, const SampleSet& samples) const {
  sweepSamples(ev, t, samples);
  if (stencilRhs_) {
    ev.gradient.emplace(GradientRows::linearize(*network_, ev.theta, ev.points, config_.stencilStep,
                                                config_.stencilDirections, *stencilRhs_, stencilJets_, t,
                                                ev.rowScale));
    ev.result.seconds.jets += ev.clock.lap();
  }
}

// Whether f, θ (and the stencil's ∂_k f) are finite, the same answer on every process.
bool Dynamics::allFinite(Evaluation& ev) const {
  at::Tensor finite = at::logical_and(at::isfinite(ev.result.f).all(), at::isfinite(ev.theta).all());
  if (ev.gradient) finite = at::logical_and(finite, at::isfinite(ev.gradient->gradientF()).all());
  if (ev.comm) {
    at::Tensor failures = at::logical_not(finite).to(network_->options().dtype(at::kDouble)).reshape({1});
    sumOverRanks(ev.comm, {failures});
    finite = failures.eq(0);
  }
  return finite.item<bool>();
}

// The caches when no jets were read, μ, the weighted f and the float32 caches of mixed precision.
void Dynamics::prepareSolve(Evaluation& ev) const {
  const auto opts = network_->options();
  weighCaches(ev);
  ev.mu = config_.muRelative
              ? config_.mu * meanSquare(network_->variation(ev.lin->values()), ev.rowScale, ev.n, ev.comm)
              : config_.mu;
  const bool pcg = config_.method == LinearSolverConfig::Method::Pcg;
  if (pcg && config_.mixedPrecision && ev.lin->dtype() == at::kDouble)
    ev.lin32.emplace(ev.lin->castTo(at::kFloat));
  ev.result.seconds.linearization = ev.clock.lap();
  ev.result.thetaDot = at::empty({network_->parameterCount()}, opts);
  ev.misfit = at::zeros({}, opts);
}

// J's caches when the sweep read no jets, and f with its rows scaled like J's by √w (importance
// weights: the residual is then the weighted one).
void Dynamics::weighCaches(Evaluation& ev) const {
  if (!ev.lin) ev.lin.emplace(*network_, ev.theta, ev.points, ev.rowScale);
  ev.fw = ev.rowScale.defined() ? ev.result.f * ev.rowScale.unsqueeze(1) : ev.result.f;
}

double Dynamics::blockMu(const Evaluation& ev, int64_t field) const {
  const NetworkConfig& cfg = network_->config();
  if (!config_.muRelative || cfg.outputScale.empty()) return ev.mu;
  double meanSquare = 0;
  for (const double c : cfg.outputScale) meanSquare += c * c;
  meanSquare /= static_cast<double>(cfg.outputScale.size());
  const double c = cfg.outputScaleOf(field);
  return ev.mu * (c * c / meanSquare);
}

double Dynamics::gradientWeight(int64_t field) const {
  return field < static_cast<int64_t>(config_.gradientWeights.size()) ? config_.gradientWeights[field] : 0.0;
}

// f_a's column (rows scaled like J's), n×1.
namespace {
at::Tensor fieldColumn(const at::Tensor& fw, int64_t field) {
  return fw.select(1, field).unsqueeze(1).contiguous();
}
}  // namespace

void Dynamics::storeBlock(Evaluation& ev, int64_t field, const at::Tensor& x, const at::Tensor& Jx,
                          const at::Tensor& fa) const {
  const int64_t pa = network_->fieldParameterCount();
  ev.result.thetaDot.narrow(0, network_->fieldOffset(field), pa).copy_(x.reshape({pa}));
  ev.misfit.add_((Jx - fa).square().sum());
}

// (M_a + μI) x = F_a by Cholesky on the explicit J_a (and the stencil's rows when graded).
void Dynamics::solveDense(Evaluation& ev, int64_t a) const {
  const Linearization& lin = *ev.lin;
  const at::Tensor fa = fieldColumn(ev.fw, a);
  const double beta = gradientWeight(a);
  const at::Tensor Ja = lin.fieldJacobian(a);
  at::Tensor xa;
  if (ev.comm || beta > 0) {
    at::Tensor M = at::mm(Ja.t(), Ja), F = at::mm(Ja.t(), fa);
    if (beta > 0) {
      const at::Tensor Jk = ev.gradient->fieldJacobian(a);
      const at::Tensor gk = ev.gradient->gradientF().select(1, a).unsqueeze(1);
      M.add_(at::mm(Jk.t(), Jk), beta);
      F.add_(at::mm(Jk.t(), gk), beta);
    }
    M.mul_(ev.invN);
    F.mul_(ev.invN);
    sumOverRanks(ev.comm, {M, F});
    xa = denseSolveMatrix(M, F, blockMu(ev, a)).x;
  } else {
    xa = denseSolve(Ja, fa, blockMu(ev, a)).x;  // p_a×1
  }
  storeBlock(ev, a, xa, at::mm(Ja, xa), fa);
  ev.result.seconds.cg += ev.clock.lap();
}

// (M_a + μI) x = F_a by CG, preconditioned and warm-started (engine/preconditioning.h's policy).
void Dynamics::solvePcg(Evaluation& ev, int64_t a, const at::Tensor& warmStart, at::Generator& gen,
                        const std::function<bool()>& cancelled, BlockPreconditioning& state) const {
  const Network& net = *network_;
  const int64_t pa = net.fieldParameterCount();
  const auto opts = net.options();
  const Linearization& lin = *ev.lin;
  const double beta = gradientWeight(a), mu = blockMu(ev, a);
  StageSeconds& seconds = ev.result.seconds;
  // M_a alone feeds the Nyström sketch; μ is folded into CG's operator (in place, one pass fewer
  // than PcgOptions::shift). Sample-parallel: each process's sums scaled to the global 1/n, then
  // summed.
  const auto product = [&ev, &lin, a, beta](const at::Tensor& V, double shift) {
    at::Tensor out;
    if (beta > 0) {
      out = lin.fieldMvm(a, V, 0.0).mul_(ev.localShare);
      out.add_(ev.gradient->fieldGramProduct(a, V), beta * ev.invN);
    } else if (ev.lin32) {
      out = ev.lin32->fieldMvm(a, V.to(at::kFloat), 0.0).mul_(ev.localShare).to(V.scalar_type());
    } else if (!ev.comm) {
      return lin.fieldMvm(a, V, shift);
    } else {
      out = lin.fieldMvm(a, V, 0.0).mul_(ev.localShare);
    }
    if (ev.comm) sumOverRanks(ev.comm, {out});
    return shift != 0 ? out.add_(V, shift) : out;
  };
  const SpdOperator Ma{pa, opts, [&product](const at::Tensor& V) { return product(V, 0.0); }};
  const SpdOperator A{pa, opts, [&product, mu](const at::Tensor& V) { return product(V, mu); }};
  const at::Tensor fa = fieldColumn(ev.fw, a);
  at::Tensor F = lin.fieldVjp(a, fa).mul_(ev.invN);  // p_a×1
  if (beta > 0) F.add_(ev.gradient->fieldTarget(a), beta * ev.invN);
  sumOverRanks(ev.comm, {F});
  at::Tensor x0;
  if (warmStart.defined()) {
    x0 = warmStart.reshape({net.parameterCount()}).narrow(0, net.fieldOffset(a), pa).to(opts).unsqueeze(1);
    if (!at::isfinite(x0).all().item<bool>()) x0 = at::Tensor();
  }
  const auto build = [&](bool fullSketch, int64_t rank) {
    seconds.cg += ev.clock.lap();
    KeptPreconditioner built = buildPreconditioner(lin, a, Ma, config_, rank, mu, gen, fullSketch,
                                                   ev.gradient ? &*ev.gradient : nullptr, beta);
    seconds.preconditioner += ev.clock.lap();
    return built;
  };
  const auto cg = [&](const at::Tensor& start, const Preconditioner* P, int64_t maxIters) {
    if (cancelled && cancelled()) throw Cancelled();
    PcgOptions po;
    po.tol = config_.tol;
    po.maxIters = maxIters;
    if (cancelled) po.progress = [&cancelled](int64_t, double) { return !cancelled(); };
    std::optional<LaunchCounter> counter;
    if (countLaunches_) counter.emplace();
    PcgResult out = pcg(A, F, start, P, po);
    if (counter) ev.result.cgLaunches += counter->counts();
    if (out.status == PcgStatus::Cancelled) throw Cancelled();
    return out;
  };
  const BlockSolve block = solvePreconditioned(state, config_, ev.comm != nullptr, build, cg, x0);
  DynamicsResult& result = ev.result;
  result.preconditionersBuilt += block.built;
  result.preconditionerRank = std::max(result.preconditionerRank, state.kept.rank);
  result.preconditionerAge = std::max(result.preconditionerAge, state.kept.age);
  result.cgIterations += block.iterations;
  result.converged = result.converged && block.solved.converged;
  storeBlock(ev, a, block.solved.x, lin.fieldJvp(a, block.solved.x), fa);
  seconds.cg += ev.clock.lap();
}

// sqrt(Σ misfit / Σ f²) over all processes' points, in one host read: 0 for f = 0 matched exactly,
// ∞ for f = 0 missed, NaN when Σ f² is not finite (and, through the quotient, when the misfit is NaN).
double Dynamics::relativeResidual(Evaluation& ev, const at::Tensor& misfit) const {
  at::Tensor sums = at::stack({misfit, ev.fw.square().sum()});
  sumOverRanks(ev.comm, {sums});
  const at::Tensor host = toHost(sums);
  const double num = host.data_ptr<double>()[0], den = host.data_ptr<double>()[1];
  if (!std::isfinite(den)) return std::numeric_limits<double>::quiet_NaN();
  if (den > 0) return std::sqrt(num / den);
  return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
}

// The relative residual over all fields, the totals, and the launch counts: the result.
DynamicsResult Dynamics::finish(Evaluation& ev, bool solved) const {
  DynamicsResult& result = ev.result;
  if (!solved) {  // f or θ not finite: no solve was attempted
    result.thetaDot =
        at::full({network_->parameterCount()}, std::numeric_limits<double>::quiet_NaN(), network_->options());
    result.residual = std::numeric_limits<double>::quiet_NaN();
    result.converged = false;
  } else {
    result.residual = relativeResidual(ev, ev.misfit);
    result.seconds.cg += ev.clock.lap();
  }
  result.seconds.total = ev.clock.total();
  if (ev.launches) result.launches = ev.launches->counts();
  return std::move(result);
}

at::Tensor Dynamics::rightHandSide(const at::Tensor& theta, double t, const at::Tensor& points) const {
  const at::Tensor x = points.to(network_->options()).contiguous();
  if (!rhs_.program().usesFields()) return rhs_.evaluate(x, t, nullptr, nullptr).to(network_->options());
  const Jets jets = network_->forward(theta, x, jets_);
  return rhs_.evaluate(x, t, &jets, nullptr).to(network_->options());
}

double Dynamics::residual(const at::Tensor& theta, double t, const SampleSet& samples,
                          at::Generator& gen) const {
  return evaluate(theta, t, samples, at::Tensor(), gen).residual;
}

double Dynamics::heldOutResidual(const at::Tensor& theta, double t, const at::Tensor& thetaDot,
                                 const SampleSet& samples) const {
  checkArguments(theta, samples, thetaDot);
  Evaluation ev(*this, theta, samples);
  sweepSamples(ev, t, samples);
  weighCaches(ev);
  const at::Tensor v = thetaDot.reshape({network_->parameterCount(), 1}).to(network_->options());
  const at::Tensor Jv = ev.lin->jvp(v).squeeze(2);  // n×k, rows scaled like fw
  return relativeResidual(ev, (Jv - ev.fw).square().sum());
}

}  // namespace nivp
