// Tests of the Neural IVP dynamics (engine/dynamics.h) on two small real problems built by hand:
// the heat equation u_t = 0.1·Δu (one field) and a variable-speed wave system
// φ_t = ψ, ψ_t = c²(x)·Δφ with c²(x) = 0.5 + 0.25·sin(3x₀) (two fields, static nodes).
// The truths are independent of the code under test: the right-hand side from autograd on the
// plain reference network, θ̇ from an explicit least-squares solve with at::linalg_solve, the
// residual recomputed from J·θ̇ and f, allocation sizes from a spying CPU allocator.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/dynamics.h"
#include "engine/linearization.h"
#include "engine/session.h"
#include "reference_network.h"
#include "solvers/dense.h"
#include "test_support.h"

namespace nivp {
namespace {

using testing::Clock;
using testing::seconds;
using testing::seeded;
constexpr auto relErr = testing::relativeError;

constexpr int64_t kSamples = 3000;

// ---------------------------------------------------------------------------------------------
// The problems.

PlanNode node(PlanOp op, int64_t a = -1, int64_t b = -1) {
  PlanNode n;
  n.op = op;
  n.a = a;
  n.b = b;
  return n;
}
PlanNode constant(double value) {
  PlanNode n = node(PlanOp::Const);
  n.value = value;
  return n;
}
PlanNode field(int64_t f, JetTerm term) {
  PlanNode n = node(PlanOp::Field);
  n.field = f;
  n.term = term;
  return n;
}
PlanNode coordinate(int64_t axis) {
  PlanNode n = node(PlanOp::X);
  n.axis = axis;
  return n;
}

struct Problem {
  std::string name;
  NetworkConfig cfg;
  Program program;
  JetRequest jets;
  std::shared_ptr<const Network> net;
  at::Tensor theta;   // float64
  at::Tensor points;  // n×2 float64
};

NetworkConfig netConfig(int64_t fields, int64_t width, int64_t depth, at::ScalarType dtype) {
  NetworkConfig cfg;
  cfg.dim = 2;
  cfg.fields = fields;
  cfg.width = width;
  cfg.depth = depth;
  cfg.embedding = true;
  cfg.frequencies = 3;  // 16 features
  cfg.dirichlet = {true};
  cfg.lower = {0.0, -1.0};
  cfg.upper = {1.0, 1.0};
  cfg.dtype = dtype;
  return cfg;
}

at::Tensor uniformPoints(const NetworkConfig& cfg, int64_t n, uint64_t seed) {
  at::Tensor x = at::rand({n, cfg.dim}, seeded(seed), at::TensorOptions().dtype(at::kDouble));
  for (int64_t i = 0; i < cfg.dim; ++i) x.select(1, i).mul_(cfg.upper[i] - cfg.lower[i]).add_(cfg.lower[i]);
  return x;
}

// u_t = 0.1·Δu. p = 16·36+36 + 36·36+36 + 37 = 1981.
Problem heat(at::ScalarType dtype = at::kDouble) {
  Problem pr;
  pr.name = "heat";
  pr.cfg = netConfig(1, 36, 2, dtype);
  pr.program.nodes = {field(0, JetTerm::Lap), constant(0.1), node(PlanOp::Mul, 0, 1)};
  pr.program.isStatic = {false, true, false};
  pr.program.outputs = {2};
  pr.jets.laplacian = true;
  pr.net = std::make_shared<const Network>(pr.cfg);
  pr.theta = pr.net->initialParameters(7).to(at::kDouble);
  pr.points = uniformPoints(pr.cfg, kSamples, 11);
  return pr;
}

// φ_t = ψ, ψ_t = (0.5 + 0.25·sin(3x₀))·Δφ. p = 2 × (16·28+28 + 2·(28·28+28) + 29) = 2 × 2129.
Problem wave(at::ScalarType dtype = at::kDouble) {
  Problem pr;
  pr.name = "wave";
  pr.cfg = netConfig(2, 28, 3, dtype);
  pr.program.nodes = {
      field(1, JetTerm::Value),  // 0: ψ
      field(0, JetTerm::Lap),    // 1: Δφ
      coordinate(0),             // 2: x₀
      constant(3.0),             // 3
      node(PlanOp::Mul, 3, 2),   // 4: 3x₀
      node(PlanOp::Sin, 4),      // 5
      constant(0.25),            // 6
      node(PlanOp::Mul, 6, 5),   // 7
      constant(0.5),             // 8
      node(PlanOp::Add, 8, 7),   // 9: c²(x)
      node(PlanOp::Mul, 9, 1),   // 10: c²Δφ
  };
  pr.program.isStatic = {false, false, true, true, true, true, true, true, true, true, false};
  pr.program.outputs = {0, 10};
  pr.jets.laplacian = true;
  pr.net = std::make_shared<const Network>(pr.cfg);
  pr.theta = pr.net->initialParameters(5).to(at::kDouble);
  pr.points = uniformPoints(pr.cfg, kSamples, 13);
  return pr;
}

Dynamics makeDynamics(const Problem& pr, LinearSolverConfig linear) {
  return Dynamics(pr.net, ProgramEvaluator(pr.program, pr.jets.pairs), pr.jets, linear);
}

// μ as given and a preconditioner built for each solve (the paper's forms, which the truths below
// are written for); the tests of μ in units of u and of kept preconditioners ask for them.
LinearSolverConfig pcgConfig(double tol, double mu, int64_t rank = 200, int64_t maxIters = 1000) {
  LinearSolverConfig c;
  c.method = LinearSolverConfig::Method::Pcg;
  c.muRelative = false;
  c.reusePreconditioner = false;
  c.tol = tol;
  c.mu = mu;
  c.rank = rank;
  c.maxRank = 0;  // a fixed rank: growth has its own tests (test_preconditioning.cc)
  c.maxIters = maxIters;
  return c;
}

// The paper's preconditioner: a randomized Nyström sketch of the full M, built for every solve.
LinearSolverConfig freshNystrom(double tol, double mu = 1e-6) {
  LinearSolverConfig c = pcgConfig(tol, mu);
  c.sketchRows = 0;
  c.reusePreconditioner = false;
  return c;
}

// PCG that keeps preconditioners across evaluations.
LinearSolverConfig reuseConfig(double tol, double mu = 1e-6) {
  LinearSolverConfig c = pcgConfig(tol, mu);
  c.reusePreconditioner = true;
  return c;
}

LinearSolverConfig denseConfig(double mu) {
  LinearSolverConfig c;
  c.method = LinearSolverConfig::Method::Dense;
  c.muRelative = false;
  c.mu = mu;
  return c;
}

// The right-hand side from autograd on the reference network (no engine code involved).
at::Tensor referenceRhs(const Problem& pr) {
  torch::Tensor x = pr.points.clone().requires_grad_(true);
  const torch::Tensor y = testing::referenceForward(pr.cfg, pr.theta, x);  // n×k
  const torch::Tensor g = torch::autograd::grad({y.select(1, 0).sum()}, {x}, {}, true, true)[0];
  torch::Tensor lap = torch::zeros({x.size(0)}, x.options());
  for (int64_t i = 0; i < pr.cfg.dim; ++i)
    lap = lap + torch::autograd::grad({g.select(1, i).sum()}, {x}, {}, true)[0].select(1, i);
  if (pr.name == "heat") return (0.1 * lap).unsqueeze(1).detach();
  const torch::Tensor c2 = 0.5 + 0.25 * torch::sin(3 * pr.points.select(1, 0));
  return torch::stack({y.select(1, 1), c2 * lap}, 1).detach();
}

// The independent truth per problem: explicit J_a (validated against autograd in
// test_linearization), f from autograd, and x_a = (J_aᵀJ_a/n + μI)⁻¹ J_aᵀ f_a/n by LU.
struct Truth {
  std::vector<at::Tensor> J;  // n×p_a per field
  at::Tensor f;               // n×k
};

Truth truthOf(const Problem& pr) {
  Truth tr;
  const Linearization lin(*pr.net, pr.theta, pr.points);
  for (int64_t a = 0; a < pr.cfg.fields; ++a) tr.J.push_back(lin.fieldJacobian(a));
  tr.f = referenceRhs(pr);
  return tr;
}

at::Tensor leastSquares(const Problem& pr, const Truth& tr, double mu) {
  const int64_t n = pr.points.size(0), pa = pr.net->fieldParameterCount();
  std::vector<at::Tensor> blocks;
  for (int64_t a = 0; a < pr.cfg.fields; ++a) {
    const at::Tensor& J = tr.J[a];
    const at::Tensor A = at::mm(J.t(), J) / static_cast<double>(n) + mu * at::eye(pa, J.options());
    const at::Tensor b = at::mv(J.t(), tr.f.select(1, a)) / static_cast<double>(n);
    blocks.push_back(at::linalg_solve(A, b));
  }
  return at::cat(blocks);
}

// sqrt(Σ(Jθ̇ − f)² / Σf²) from the explicit blocks.
double residualByHand(const Problem& pr, const Truth& tr, const at::Tensor& thetaDot) {
  const int64_t pa = pr.net->fieldParameterCount();
  double num = 0;
  for (int64_t a = 0; a < pr.cfg.fields; ++a) {
    const at::Tensor Jx = at::mv(tr.J[a], thetaDot.to(at::kDouble).narrow(0, a * pa, pa));
    num += (Jx - tr.f.select(1, a)).square().sum().item<double>();
  }
  return std::sqrt(num / tr.f.square().sum().item<double>());
}

// ‖Jᵀ(Jx − f)/n + μx‖ / ‖Jᵀf/n‖: zero exactly at the minimiser.
double normalEquationResidual(const Problem& pr, const Truth& tr, const at::Tensor& x, double mu) {
  const int64_t n = pr.points.size(0), pa = pr.net->fieldParameterCount();
  double num = 0, den = 0;
  for (int64_t a = 0; a < pr.cfg.fields; ++a) {
    const at::Tensor xa = x.narrow(0, a * pa, pa);
    const at::Tensor F = at::mv(tr.J[a].t(), tr.f.select(1, a)) / static_cast<double>(n);
    const at::Tensor g = at::mv(tr.J[a].t(), at::mv(tr.J[a], xa)) / static_cast<double>(n) + mu * xa - F;
    num += g.square().sum().item<double>();
    den += F.square().sum().item<double>();
  }
  return std::sqrt(num / den);
}

// The regularised objective Σ_a ‖J_a x_a − f_a‖²/(2n) + μ/2 ‖x‖².
double objective(const Problem& pr, const Truth& tr, const at::Tensor& x, double mu) {
  const int64_t n = pr.points.size(0), pa = pr.net->fieldParameterCount();
  double value = 0.5 * mu * x.square().sum().item<double>();
  for (int64_t a = 0; a < pr.cfg.fields; ++a) {
    const at::Tensor r = at::mv(tr.J[a], x.narrow(0, a * pa, pa)) - tr.f.select(1, a);
    value += r.square().sum().item<double>() / (2.0 * static_cast<double>(n));
  }
  return value;
}

// The suite's shared state, built on first use: the problems, their independent truths and the
// evaluations several tests inspect.
struct Shared {
  Problem heat = nivp::heat(), wave = nivp::wave();
  Truth heatTruth, waveTruth;
};

Shared& shared() {
  static Shared* s = [] {
    auto* out = new Shared;
    out->heatTruth = truthOf(out->heat);
    out->waveTruth = truthOf(out->wave);
    return out;
  }();
  return *s;
}

const Problem& problem(bool isWave) { return isWave ? shared().wave : shared().heat; }
const Truth& truth(bool isWave) { return isWave ? shared().waveTruth : shared().heatTruth; }

constexpr double kMu = 1e-6;  // the default μ: conditioning of these systems is mild enough
constexpr double kTightTol = 1e-12;

struct Timed {
  DynamicsResult result;
  double seconds = 0;
};

Timed timedEvaluate(const Problem& pr, const LinearSolverConfig& linear, uint64_t seed,
                    const at::Tensor& warmStart = {}) {
  const Dynamics dyn = makeDynamics(pr, linear);
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(seed);
  const auto t0 = Clock::now();
  Timed out;
  out.result = dyn.evaluate(pr.theta, 0.0, set, warmStart, gen);
  out.seconds = seconds(t0);
  return out;
}

// PCG (rank 200, tol 1e-12) and dense solutions at μ = 1e-6, once per problem.
const Timed& pcgSolution(bool isWave) {
  static Timed cache[2];
  static bool done[2] = {false, false};
  if (!done[isWave]) {
    cache[isWave] = timedEvaluate(problem(isWave), pcgConfig(kTightTol, kMu), 1);
    done[isWave] = true;
    std::printf("  [%s] PCG rank 200, tol 1e-12: %ld iterations, %.2f s\n", problem(isWave).name.c_str(),
                static_cast<long>(cache[isWave].result.cgIterations), cache[isWave].seconds);
  }
  return cache[isWave];
}

const Timed& denseSolution(bool isWave) {
  static Timed cache[2];
  static bool done[2] = {false, false};
  if (!done[isWave]) {
    cache[isWave] = timedEvaluate(problem(isWave), denseConfig(kMu), 1);
    done[isWave] = true;
    std::printf("  [%s] dense: %.2f s\n", problem(isWave).name.c_str(), cache[isWave].seconds);
  }
  return cache[isWave];
}

// Records the largest CPU allocation while installed. Allocator::allocate is const in libtorch
// 1.x and early 2.x, non-const in later 2.x releases (which also add the pure virtual copy_data):
// both are declared, without `override`, so that whichever the base declares is overridden and the
// other is a plain overload.
class SpyAllocator : public c10::Allocator {
 public:
  explicit SpyAllocator(c10::Allocator* base) : base_(base) {}
  c10::DataPtr allocate(size_t n) const {
    note(n);
    return base_->allocate(n);
  }
  c10::DataPtr allocate(size_t n) {
    note(n);
    return base_->allocate(n);
  }
  c10::DeleterFnPtr raw_deleter() const { return base_->raw_deleter(); }
  void copy_data(void* dest, const void* src, size_t count) const { std::memcpy(dest, src, count); }
  size_t largest() const { return largest_.load(); }
  void reset() { largest_ = 0; }

 private:
  void note(size_t n) const {
    size_t current = largest_.load();
    while (n > current && !largest_.compare_exchange_weak(current, n)) {
    }
  }
  c10::Allocator* base_;
  mutable std::atomic<size_t> largest_{0};
};

// Installs the spy for its lifetime. The spy itself lives forever: storages allocated while it
// was installed keep a pointer to it.
class SpyScope {
 public:
  SpyScope() : original_(c10::GetCPUAllocator()) {
    static SpyAllocator* spy = new SpyAllocator(original_);
    spy_ = spy;
    spy_->reset();
    c10::SetCPUAllocator(spy_, /*priority=*/255);
  }
  ~SpyScope() { c10::SetCPUAllocator(original_, /*priority=*/255); }
  size_t largest() const { return spy_->largest(); }

 private:
  c10::Allocator* original_;
  SpyAllocator* spy_ = nullptr;
};

// ---------------------------------------------------------------------------------------------

TEST(Dynamics, ProblemSizes) {
  EXPECT_EQ(problem(false).net->fieldParameterCount(), 1981);
  EXPECT_EQ(problem(true).net->fieldParameterCount(), 2129);
  EXPECT_EQ(problem(true).net->parameterCount(), 2 * 2129);
  EXPECT_EQ(problem(true).points.size(0), kSamples);
}

// f = rhs(jets) against autograd on the reference network; the static nodes (c²(x)) prepared
// once by samples() give the same f as a hand-made SampleSet without them.
TEST(Dynamics, RightHandSideMatchesAutograd) {
  for (bool isWave : {false, true}) {
    const Problem& pr = problem(isWave);
    const at::Tensor& f = pcgSolution(isWave).result.f;
    ASSERT_EQ(f.sizes(), (std::vector<int64_t>{kSamples, pr.cfg.fields}));
    EXPECT_LT(relErr(f, truth(isWave).f), 1e-11) << pr.name;
    // Statics left out: every node is evaluated; maxIters 0 skips the solve.
    const Dynamics dyn = makeDynamics(pr, pcgConfig(kTightTol, kMu, 0, 0));
    SampleSet bare;
    bare.points = pr.points;
    at::Generator gen = seeded(2);
    const DynamicsResult r = dyn.evaluate(pr.theta, 0.0, bare, {}, gen);
    EXPECT_LT(relErr(r.f, truth(isWave).f), 1e-11) << pr.name;
    EXPECT_EQ(r.cgIterations, 0);
    EXPECT_FALSE(r.converged);
    // The same values without a solve.
    EXPECT_LT(relErr(dyn.rightHandSide(pr.theta, 0.0, pr.points), truth(isWave).f), 1e-11) << pr.name;
  }
}

// refineStep with u_t = −u and one stage at y of weight h: the step's target is (1 − h)·u(y), which
// lies h/(1 − h) from u(y) in any weighted L2 norm and which the network holds exactly (its head
// scaled), so Gauss–Newton from y lands on it.
TEST(Session, RefineStepFitsTheStepsFunctionSpaceTarget) {
  SessionConfig config;
  config.network = netConfig(1, 16, 2, at::kDouble);
  config.rhs.nodes = {field(0, JetTerm::Value), constant(-1.0), node(PlanOp::Mul, 0, 1)};
  config.rhs.isStatic = {false, true, false};
  config.rhs.outputs = {2};
  config.samples = 500;
  config.seed = 4;
  Session session(config);
  const at::Tensor y = session.network().initialParameters(9);
  const double h = 0.1;
  SessionFitConfig fit;
  fit.maxIterations = 6;
  fit.tol = 0;
  fit.maxSeconds = 0;
  fit.headTuning = false;
  fit.errorSamples = 2000;
  fit.gaussNewton.samples = 500;
  const SessionFitResult r = session.refineStep(y, {StepStage{0.0, h, y}}, y, fit, {});
  EXPECT_NEAR(r.initialError, h / (1 - h), 1e-12);
  EXPECT_LT(r.relativeError, 1e-5);
  const at::Tensor x = uniformPoints(config.network, 300, 21);
  EXPECT_LT(relErr(session.evaluate(r.theta, x), (1 - h) * session.evaluate(y, x)), 1e-5);
}

// PCG (tol 1e-12, μ = 1e-6) against the dense Cholesky solve, both problems.
TEST(Dynamics, PcgMatchesDense) {
  for (bool isWave : {false, true}) {
    const Timed& pcg = pcgSolution(isWave);
    const Timed& dense = denseSolution(isWave);
    const double err = relErr(pcg.result.thetaDot, dense.result.thetaDot);
    std::printf("  [%s] |θ̇_pcg − θ̇_dense|/|θ̇_dense| = %.3g, residual %.6f\n", problem(isWave).name.c_str(),
                err, pcg.result.residual);
    EXPECT_LT(err, 1e-8);
    EXPECT_TRUE(pcg.result.converged);
    EXPECT_TRUE(dense.result.converged);
    EXPECT_EQ(dense.result.cgIterations, 0);
    EXPECT_GT(pcg.result.cgIterations, 0);
    EXPECT_NEAR(pcg.result.residual, dense.result.residual, 1e-10);
  }
}

// θ̇ is the minimiser of Σ‖J_aθ̇_a − f_a‖²/(2n) + μ‖θ̇‖²/2: it satisfies the normal equations,
// beats perturbed candidates, and (wave: both blocks; the explicit solve is the suite's most
// expensive step, so heat's single block is left to the checks above) equals an explicit
// least-squares solve by LU. The reported residual is the one recomputed from J·θ̇ and f.
TEST(Dynamics, ThetaDotMinimisesTheRegularisedResidual) {
  for (bool isWave : {false, true}) {
    const Problem& pr = problem(isWave);
    const Truth& tr = truth(isWave);
    const at::Tensor x = isWave ? leastSquares(pr, tr, kMu) : at::Tensor();
    for (const Timed* solved : {&pcgSolution(isWave), &denseSolution(isWave)}) {
      const char* method = solved == &pcgSolution(isWave) ? "pcg" : "dense";
      const at::Tensor& thetaDot = solved->result.thetaDot;
      const double normal = normalEquationResidual(pr, tr, thetaDot, kMu);
      const double byHand = residualByHand(pr, tr, thetaDot);
      std::printf("  [%s, %s] normal equations %.3g, residual %.12f reported vs %.12f by hand",
                  pr.name.c_str(), method, normal, solved->result.residual, byHand);
      if (isWave) std::printf(", |θ̇ − x_lstsq|/|x_lstsq| = %.3g", relErr(thetaDot, x));
      std::printf("\n");
      EXPECT_LT(normal, 1e-9) << pr.name << " " << method;
      EXPECT_NEAR(solved->result.residual, byHand, 1e-12 * byHand) << pr.name << " " << method;
      if (isWave) {
        EXPECT_LT(relErr(thetaDot, x), 1e-8) << method;
      }
      const double best = objective(pr, tr, thetaDot, kMu);
      at::Generator gen = seeded(9);
      for (int trial = 0; trial < 3; ++trial) {
        at::Tensor v = at::randn(thetaDot.sizes(), gen, thetaDot.options());
        v.mul_(1e-3 * thetaDot.norm().item<double>() / v.norm().item<double>());
        EXPECT_GT(objective(pr, tr, thetaDot + v, kMu), best) << pr.name << " " << method;
      }
    }
  }
}

// The Nyström sketch of the full M (rank 200) against plain CG (rank 0), tol 1e-12, μ 1e-6.
TEST(Dynamics, PreconditionerCutsIterations) {
  for (bool isWave : {false, true}) {
    const Problem& pr = problem(isWave);
    const Timed pre = timedEvaluate(pr, freshNystrom(kTightTol), 1);
    const Timed plain = timedEvaluate(pr, pcgConfig(kTightTol, kMu, 0), 1);
    std::printf("  [%s] tol 1e-12, μ 1e-6: plain CG %ld iterations (%.2f s), Nyström-200 %ld (%.2f s)\n",
                pr.name.c_str(), static_cast<long>(plain.result.cgIterations), plain.seconds,
                static_cast<long>(pre.result.cgIterations), pre.seconds);
    EXPECT_TRUE(plain.result.converged);
    EXPECT_TRUE(pre.result.converged);
    // Measured: heat 134 vs 3, wave 114 vs 4 (summed over the two blocks).
    EXPECT_GE(plain.result.cgIterations, 80);
    EXPECT_LE(pre.result.cgIterations, 4 * pr.cfg.fields);
    EXPECT_GE(plain.result.cgIterations, 10 * pre.result.cgIterations);
    EXPECT_LT(relErr(plain.result.thetaDot, pre.result.thetaDot), 1e-8);
  }
}

// μ tiny and a cap of 5: every block stops at the cap, reported, not thrown.
TEST(Dynamics, IllConditionedReportsNonConvergence) {
  const Problem& pr = problem(true);
  const Timed r = timedEvaluate(pr, pcgConfig(1e-14, 1e-13, 20, 5), 4);
  EXPECT_FALSE(r.result.converged);
  EXPECT_EQ(r.result.cgIterations, pr.cfg.fields * 5);
  EXPECT_TRUE(at::isfinite(r.result.thetaDot).all().item<bool>());
  EXPECT_TRUE(std::isfinite(r.result.residual));
  // The same cap with a comfortable μ converges: the cap, not the code, is what failed.
  const Timed ok = timedEvaluate(pr, pcgConfig(1e-8, 1e-2, 20, 5), 4);
  EXPECT_TRUE(ok.result.converged);
  EXPECT_LT(ok.result.cgIterations, pr.cfg.fields * 5);
}

// A tiny budget: MemoryBudgetError with the byte count, and no allocation anywhere near J's size.
TEST(Dynamics, DenseRefusesBeyondTheBudgetBeforeBuildingJ) {
  const Problem& pr = problem(false);
  const int64_t pa = pr.net->fieldParameterCount();
  const size_t jacobianBytes = static_cast<size_t>(kSamples * pa) * sizeof(double);
  LinearSolverConfig linear = denseConfig(kMu);
  linear.memoryBudgetBytes = 1000;
  const Dynamics dyn = makeDynamics(pr, linear);
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(5);
  {
    SpyScope spy;
    try {
      dyn.evaluate(pr.theta, 0.0, set, {}, gen);
      FAIL() << "expected MemoryBudgetError";
    } catch (const MemoryBudgetError& e) {
      const int64_t needed = denseSolveBytes(kSamples, pa, at::kDouble);
      EXPECT_EQ(e.neededBytes(), needed);
      EXPECT_EQ(e.budgetBytes(), 1000);
      EXPECT_NE(std::string(e.what()).find(std::to_string(needed) + " bytes"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("1000 bytes"), std::string::npos) << e.what();
    }
    EXPECT_LT(spy.largest(), jacobianBytes / 4);
  }
  {
    // The spy does see J-sized allocations: building J itself.
    const Linearization lin(*pr.net, pr.theta, pr.points);
    SpyScope spy;
    const at::Tensor J = lin.fieldJacobian(0);
    EXPECT_GE(spy.largest(), jacobianBytes);
  }
}

// Warm-started from the solution, each block converges at once (≤ 1 iteration).
TEST(Dynamics, WarmStartFromTheSolution) {
  const Problem& pr = problem(true);
  const Timed cold = timedEvaluate(pr, pcgConfig(1e-10, kMu, 0), 6);
  ASSERT_TRUE(cold.result.converged);
  const Timed warm = timedEvaluate(pr, pcgConfig(1e-10, kMu, 0), 7, cold.result.thetaDot);
  std::printf("  [wave] plain CG tol 1e-10: cold %ld iterations, warm-started %ld\n",
              static_cast<long>(cold.result.cgIterations), static_cast<long>(warm.result.cgIterations));
  EXPECT_TRUE(warm.result.converged);
  EXPECT_LE(warm.result.cgIterations, pr.cfg.fields);
  EXPECT_GE(cold.result.cgIterations, 20 * pr.cfg.fields);
  EXPECT_LT(relErr(warm.result.thetaDot, cold.result.thetaDot), 1e-6);
  // A non-finite warm start is ignored: the solve is the cold one, step for step.
  const at::Tensor junk = at::full_like(cold.result.thetaDot, std::numeric_limits<double>::quiet_NaN());
  const Timed fromJunk = timedEvaluate(pr, pcgConfig(1e-10, kMu, 0, 5), 6, junk);
  const Timed capped = timedEvaluate(pr, pcgConfig(1e-10, kMu, 0, 5), 6);
  EXPECT_EQ(fromJunk.result.cgIterations, 2 * 5);
  EXPECT_TRUE(at::equal(fromJunk.result.thetaDot, capped.result.thetaDot));
}

// float32 runs end to end (tol 1e-5, the float64 solution's μ and rank) and agrees loosely with
// float64 on the same θ and points: f to float32 rounding, θ̇ and the residual to the solve's
// accuracy (the test prints how far apart; docs/results.md).
TEST(Dynamics, Float32AgreesWithFloat64) {
  const Timed& r64 = pcgSolution(false);
  const Problem pr32 = heat(at::kFloat);
  const Timed r32 = timedEvaluate(pr32, pcgConfig(1e-5, kMu), 1);
  const double fErr = relErr(r32.result.f, r64.result.f),
               xErr = relErr(r32.result.thetaDot, r64.result.thetaDot);
  std::printf("  [heat] float32: f %.3g, θ̇ %.3g apart; residual %.7f vs %.7f; %ld iterations, %.2f s\n", fErr,
              xErr, r32.result.residual, r64.result.residual, static_cast<long>(r32.result.cgIterations),
              r32.seconds);
  EXPECT_EQ(r32.result.thetaDot.scalar_type(), at::kFloat);
  EXPECT_EQ(r32.result.f.scalar_type(), at::kFloat);
  EXPECT_TRUE(r32.result.converged);
  EXPECT_LT(fErr, 1e-5);
  EXPECT_LT(xErr, 2e-2);
  EXPECT_NEAR(r32.result.residual, r64.result.residual, 1e-4);
}

// ‖(M + μI)(x − y)‖ / ‖F‖ over all blocks, from the explicit Jacobian: two solves that each meet
// CG's relative-residual tolerance tol are within 2·tol of each other in this measure.
double residualGap(const Problem& pr, const Truth& tr, const at::Tensor& x, const at::Tensor& y, double mu) {
  const int64_t n = pr.points.size(0), pa = pr.net->fieldParameterCount();
  double num = 0, den = 0;
  for (int64_t a = 0; a < pr.cfg.fields; ++a) {
    const at::Tensor d = (x - y).to(at::kDouble).narrow(0, a * pa, pa);
    const at::Tensor g = at::mv(tr.J[a].t(), at::mv(tr.J[a], d)) / static_cast<double>(n) + mu * d;
    const at::Tensor F = at::mv(tr.J[a].t(), tr.f.select(1, a)) / static_cast<double>(n);
    num += g.square().sum().item<double>();
    den += F.square().sum().item<double>();
  }
  return std::sqrt(num / den);
}

// Mixed precision: float32 products, float64 CG. θ̇ must solve the float64 system to CG's tolerance
// (plus float32 rounding) and reach the same least-squares residual to 1e-5; f and θ̇ stay float64.
TEST(Dynamics, MixedPrecisionAgreesWithFloat64) {
  const Timed& r64 = pcgSolution(false);
  LinearSolverConfig mixed = pcgConfig(1e-5, kMu);
  mixed.mixedPrecision = true;
  const Timed rm = timedEvaluate(problem(false), mixed, 1);
  const LinearSolverConfig full = pcgConfig(1e-5, kMu);
  const Timed r64loose = timedEvaluate(problem(false), full, 1);
  const double xErr = relErr(rm.result.thetaDot, r64.result.thetaDot);
  const double looseErr = relErr(r64loose.result.thetaDot, r64.result.thetaDot);
  std::printf(
      "  [heat] mixed precision, tol 1e-5: θ̇ %.3g from the tight float64 solve (float64 at tol 1e-5: %.3g); "
      "residual %.7f vs %.7f; %ld iterations, %.2f s (float64 tol 1e-5: %ld, %.2f s)\n",
      xErr, looseErr, rm.result.residual, r64.result.residual, static_cast<long>(rm.result.cgIterations),
      rm.seconds, static_cast<long>(r64loose.result.cgIterations), r64loose.seconds);
  EXPECT_EQ(rm.result.thetaDot.scalar_type(), at::kDouble);
  EXPECT_EQ(rm.result.f.scalar_type(), at::kDouble);
  EXPECT_TRUE(rm.result.converged);
  // θ̇'s distance to the tight solve depends on M's conditioning (and so on the libtorch build's
  // rounding); the float64 system's residual does not: both solves meet tol 1e-5 on it, float32
  // products adding their rounding (~1e-7 relative) to the operator.
  const double gap = residualGap(problem(false), truth(false), rm.result.thetaDot, r64.result.thetaDot, kMu);
  const double looseGap =
      residualGap(problem(false), truth(false), r64loose.result.thetaDot, r64.result.thetaDot, kMu);
  std::printf("  [heat] residual gap to the tight solve: mixed %.3g, float64 at tol 1e-5 %.3g\n", gap,
              looseGap);
  EXPECT_LT(gap, 4e-5);
  EXPECT_NEAR(rm.result.residual, r64.result.residual, 1e-5);
}

// The default preconditioner (M estimated on a row sample) against the paper's fresh Nyström
// sketch of the full M: the same θ̇ to CG's tolerance, with far fewer iterations than plain CG.
TEST(Dynamics, SampledRowsPreconditionerMatchesAFreshSketch) {
  constexpr double tol = 1e-10;
  for (bool isWave : {false, true}) {
    const Problem& pr = problem(isWave);
    const Timed sampled = timedEvaluate(pr, pcgConfig(tol, kMu), 1);
    const Timed sketch = timedEvaluate(pr, freshNystrom(tol), 1);
    const Timed plain = timedEvaluate(pr, pcgConfig(tol, kMu, 0), 1);
    const double gap = residualGap(pr, truth(isWave), sampled.result.thetaDot, sketch.result.thetaDot, kMu);
    std::printf(
        "  [%s] tol 1e-10: sampled rows %ld iterations (%.2f s, rank %ld), fresh Nyström sketch %ld (%.2f "
        "s), "
        "plain CG %ld; residual gap %.2g\n",
        pr.name.c_str(), static_cast<long>(sampled.result.cgIterations), sampled.seconds,
        static_cast<long>(sampled.result.preconditionerRank), static_cast<long>(sketch.result.cgIterations),
        sketch.seconds, static_cast<long>(plain.result.cgIterations), gap);
    EXPECT_TRUE(sampled.result.converged);
    EXPECT_TRUE(sketch.result.converged);
    EXPECT_LT(gap, 2 * tol * (1 + 1e-6));
    EXPECT_LT(normalEquationResidual(pr, truth(isWave), sampled.result.thetaDot, kMu), 2 * tol);
    EXPECT_GT(sampled.result.preconditionerRank, 0);
    EXPECT_EQ(sampled.result.preconditionersBuilt, pr.cfg.fields);
    EXPECT_EQ(sampled.result.preconditionerAge, 0);
    EXPECT_GE(plain.result.cgIterations, 3 * sampled.result.cgIterations);
  }
}

// A kept preconditioner serves later evaluations (another θ along θ̇, other samples) and leaves θ̇
// as a fresh sketch gives it, to the tolerance; its age counts the solves it served.
TEST(Dynamics, KeptPreconditionerGivesTheSameThetaDot) {
  constexpr double tol = 1e-10;
  const Problem& pr = problem(true);  // two field blocks
  const Dynamics dyn = makeDynamics(pr, reuseConfig(tol));
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(5);
  PreconditionerCache cache;
  const DynamicsResult first = dyn.evaluate(pr.theta, 0.0, set, {}, gen, {}, &cache);
  ASSERT_EQ(cache.fields.size(), 2u);
  EXPECT_EQ(first.preconditionersBuilt, 2);
  const std::shared_ptr<const Preconditioner> kept0 = cache.fields[0].kept.preconditioner;
  ASSERT_NE(kept0, nullptr);
  // The next stage (θ moved along θ̇) on the same samples, then the next step's new samples.
  Problem nextStage = pr;
  nextStage.theta = pr.theta + 1e-3 * first.thetaDot;
  Problem nextStep = nextStage;
  nextStep.points = uniformPoints(pr.cfg, kSamples, 99);
  const Dynamics sketch = makeDynamics(pr, freshNystrom(tol));
  for (const Problem* stage : {&nextStage, &nextStep}) {
    const SampleSet points = dyn.samples(stage->points);
    const DynamicsResult reused = dyn.evaluate(stage->theta, 0.0, points, {}, gen, {}, &cache);
    const DynamicsResult fresh = sketch.evaluate(stage->theta, 0.0, points, {}, gen);
    const double gap = residualGap(*stage, truthOf(*stage), reused.thetaDot, fresh.thetaDot, kMu);
    std::printf(
        "  [wave] %s: kept preconditioner %ld iterations (%ld built, age %ld) vs %ld fresh; residual gap "
        "%.2g\n",
        stage == &nextStage ? "next stage" : "new samples", static_cast<long>(reused.cgIterations),
        static_cast<long>(reused.preconditionersBuilt), static_cast<long>(reused.preconditionerAge),
        static_cast<long>(fresh.cgIterations), gap);
    EXPECT_TRUE(reused.converged);
    EXPECT_LT(gap, 2 * tol * (1 + 1e-6));
    EXPECT_NEAR(reused.residual, fresh.residual, 1e-8);
  }
  if (cache.fields[0].kept.preconditioner == kept0) {
    EXPECT_EQ(cache.fields[0].kept.age, 2);
  }
  cache.clear();
  dyn.evaluate(pr.theta, 0.0, set, {}, gen, {}, &cache);
  EXPECT_NE(cache.fields[0].kept.preconditioner, kept0);  // cleared: built anew
}

// A kept preconditioner that no longer fits M hits its iteration cap; the solve continues from
// where it got with a fresh one and converges, and both parts' iterations are counted.
TEST(Dynamics, StaleKeptPreconditionerIsReplaced) {
  const Problem& pr = problem(true);
  const Dynamics dyn = makeDynamics(pr, reuseConfig(1e-10));
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(6);
  PreconditionerCache cache;
  ASSERT_TRUE(dyn.evaluate(pr.theta, 0.0, set, {}, gen, {}, &cache).converged);
  // Another network's preconditioners: nothing like these M blocks.
  const at::Tensor other = pr.net->initialParameters(123);
  PreconditionerCache foreign;
  dyn.evaluate(other, 0.0, set, {}, gen, {}, &foreign);
  for (BlockPreconditioning& block : foreign.fields)
    block.kept.freshIterations = 1;  // a cap of a few iterations
  const std::vector<BlockPreconditioning> before = foreign.fields;
  const DynamicsResult r = dyn.evaluate(pr.theta, 0.0, set, {}, gen, {}, &foreign);
  const DynamicsResult fresh = dyn.evaluate(pr.theta, 0.0, set, {}, gen);
  std::printf("  [wave] foreign kept preconditioners: %ld iterations, %ld rebuilt; fresh %ld\n",
              static_cast<long>(r.cgIterations), static_cast<long>(r.preconditionersBuilt),
              static_cast<long>(fresh.cgIterations));
  EXPECT_TRUE(r.converged);
  EXPECT_GE(r.preconditionersBuilt, 1);
  for (size_t a = 0; a < 2; ++a) {
    if (foreign.fields[a].kept.preconditioner != before[a].kept.preconditioner) {
      EXPECT_EQ(foreign.fields[a].kept.age, 0);
    }
  }
  EXPECT_LT(residualGap(pr, truth(true), r.thetaDot, fresh.thetaDot, kMu), 2e-10 * (1 + 1e-6));
}

// Sampled rows that describe M badly (5 rows for a rank-20 preconditioner): the solve reaches the
// full sketch's cost in iterations, continues with the full sketch, and the block keeps it.
TEST(Dynamics, PoorSampledRowsEscalateToTheFullSketch) {
  constexpr double tol = 1e-10;
  const Problem& pr = problem(false);
  LinearSolverConfig poor = pcgConfig(tol, kMu, 20);
  poor.sketchRows = 5;
  const Dynamics dyn = makeDynamics(pr, poor);
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(7);
  PreconditionerCache cache;
  const DynamicsResult first = dyn.evaluate(pr.theta, 0.0, set, {}, gen, {}, &cache);
  const DynamicsResult second = dyn.evaluate(pr.theta, 0.0, set, {}, gen, {}, &cache);
  LinearSolverConfig sketch = freshNystrom(tol);
  sketch.rank = 20;
  const Timed full = timedEvaluate(pr, sketch, 7);
  std::printf(
      "  [heat] 5 sampled rows, rank 20: %ld iterations (%ld built), then %ld; full sketch alone %ld\n",
      static_cast<long>(first.cgIterations), static_cast<long>(first.preconditionersBuilt),
      static_cast<long>(second.cgIterations), static_cast<long>(full.result.cgIterations));
  ASSERT_EQ(cache.fields.size(), 1u);
  EXPECT_TRUE(cache.fields[0].fullSketch);
  EXPECT_FALSE(cache.fields[0].kept.sampled);
  EXPECT_EQ(cache.fields[0].kept.preconditioner, nullptr);  // not kept without reuse; the mode is
  EXPECT_EQ(first.preconditionersBuilt, 2);
  EXPECT_EQ(second.preconditionersBuilt, 1);
  EXPECT_TRUE(first.converged);
  EXPECT_TRUE(second.converged);
  EXPECT_LT(second.cgIterations, first.cgIterations);
  for (const DynamicsResult* r : {&first, &second})
    EXPECT_LT(residualGap(pr, truth(false), r->thetaDot, full.result.thetaDot, kMu), 2 * tol * (1 + 1e-6));
}

// The per-stage seconds are non-negative and add up to the evaluation's total.
TEST(Dynamics, StageSecondsAddUp) {
  const Problem& pr = problem(false);
  const Dynamics dyn = makeDynamics(pr, pcgConfig(1e-8, kMu));
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(4);
  const auto t0 = Clock::now();
  const DynamicsResult r = dyn.evaluate(pr.theta, 0.0, set, {}, gen);
  const double wall = seconds(t0);
  const StageSeconds& s = r.seconds;
  for (double part : {s.jets, s.plan, s.linearization, s.preconditioner, s.cg}) EXPECT_GE(part, 0.0);
  EXPECT_GT(s.jets, 0.0);
  EXPECT_GT(s.linearization, 0.0);
  EXPECT_GT(s.preconditioner, 0.0);
  EXPECT_GT(s.cg, 0.0);
  EXPECT_NEAR(s.jets + s.plan + s.linearization + s.preconditioner + s.cg, s.total, 1e-9);
  EXPECT_LE(s.total, wall);
}

// `cancelled` is polled before each block and after every CG iteration; true throws Cancelled.
TEST(Dynamics, CancellationThrows) {
  const Problem& pr = problem(true);
  const Dynamics dyn = makeDynamics(pr, pcgConfig(kTightTol, kMu, 0));
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(8);
  int calls = 0;
  const std::function<bool()> cancelAtFifth = [&calls] { return ++calls >= 5; };
  try {
    dyn.evaluate(pr.theta, 0.0, set, {}, gen, cancelAtFifth);
    FAIL() << "expected Cancelled";
  } catch (const Cancelled& e) {
    EXPECT_STREQ(e.what(), "cancelled");
  }
  EXPECT_EQ(calls, 5);  // start, block 0, its preconditioner built, CG iterations 1–2
  // A callback that never cancels changes nothing: polled as above, the solve runs to its cap.
  const Dynamics capped = makeDynamics(pr, pcgConfig(kTightTol, kMu, 0, 10));
  calls = 0;
  const std::function<bool()> never = [&calls] {
    ++calls;
    return false;
  };
  const DynamicsResult r = capped.evaluate(pr.theta, 0.0, set, {}, gen, never);
  EXPECT_EQ(r.cgIterations, 2 * 10);
  EXPECT_EQ(calls, 1 + 2 * pr.cfg.fields + r.cgIterations);
  const DynamicsResult plain = capped.evaluate(pr.theta, 0.0, set, {}, gen);
  EXPECT_TRUE(at::equal(r.thetaDot, plain.thetaDot));
}

// A non-finite θ (or f) is returned, never thrown: θ̇ NaN, not converged, for both methods.
TEST(Dynamics, NonFiniteThetaIsReportedNotThrown) {
  const Problem& pr = problem(false);
  at::Tensor theta = pr.theta.clone();
  theta[17] = std::numeric_limits<double>::quiet_NaN();
  for (const LinearSolverConfig& linear : {pcgConfig(1e-8, kMu), denseConfig(kMu)}) {
    const Dynamics dyn = makeDynamics(pr, linear);
    const SampleSet set = dyn.samples(pr.points);
    at::Generator gen = seeded(3);
    DynamicsResult r;
    ASSERT_NO_THROW(r = dyn.evaluate(theta, 0.0, set, {}, gen));
    EXPECT_FALSE(r.converged);
    EXPECT_TRUE(std::isnan(r.residual));
    EXPECT_EQ(r.thetaDot.numel(), pr.net->parameterCount());
    EXPECT_TRUE(at::isnan(r.thetaDot).all().item<bool>());
    EXPECT_FALSE(at::isfinite(r.f).all().item<bool>());
  }
}

// Importance weights: θ̇ solves the weighted least squares Σ w_i (J_iθ̇ − f_i)²/(2n) + μ‖θ̇‖²/2
// (explicit J and autograd f, solved by LU), with PCG and dense alike; the residual is the weighted one.
TEST(Dynamics, WeightedSamplesSolveTheWeightedLeastSquares) {
  const Problem& pr = problem(false);
  const Truth& tr = truth(false);
  const int64_t n = pr.points.size(0), pa = pr.net->fieldParameterCount();
  const at::Tensor w = at::rand({n}, seeded(21), at::TensorOptions().dtype(at::kDouble)).mul_(1.8).add_(0.2);
  const at::Tensor& J = tr.J[0];
  const at::Tensor f = tr.f.select(1, 0);
  const at::Tensor A =
      at::mm(J.t() * w.unsqueeze(0), J) / static_cast<double>(n) + kMu * at::eye(pa, J.options());
  const at::Tensor truthDot = at::linalg_solve(A, at::mv(J.t(), w * f) / static_cast<double>(n));
  const at::Tensor misfit = at::mv(J, truthDot) - f;
  const double residual =
      std::sqrt((w * misfit.square()).sum().item<double>() / (w * f.square()).sum().item<double>());
  for (const LinearSolverConfig& linear : {pcgConfig(kTightTol, kMu), denseConfig(kMu)}) {
    const Dynamics dyn = makeDynamics(pr, linear);
    const SampleSet set = dyn.samples(pr.points, w);
    at::Generator gen = seeded(22);
    const DynamicsResult r = dyn.evaluate(pr.theta, 0.0, set, {}, gen);
    EXPECT_LT(relErr(r.thetaDot, truthDot), 1e-7);
    EXPECT_NEAR(r.residual, residual, 1e-8);
    EXPECT_LT(relErr(r.f, tr.f), 1e-10);  // f itself stays unweighted
  }
  const Dynamics dyn = makeDynamics(pr, pcgConfig(kTightTol, kMu));
  EXPECT_THROW(dyn.samples(pr.points, w.narrow(0, 0, n - 1)), std::invalid_argument);
}

// The held-out residual of a θ̇ solved on one point set, on another weighted set: the weighted
// sqrt(Σ w(J_B θ̇ − f_B)² / Σ w f_B²) from the explicit J_B and autograd f_B; on the solve's own
// points it is the residual the solve reported.
TEST(Dynamics, HeldOutResidualIsTheResidualOnOtherPoints) {
  for (const bool isWave : {false, true}) {
    const Problem& pr = problem(isWave);
    const at::Tensor thetaDot = pcgSolution(isWave).result.thetaDot;
    Problem other = pr;
    other.points = uniformPoints(pr.cfg, 300, 31);
    const Truth tr = truthOf(other);
    const int64_t n = other.points.size(0), pa = pr.net->fieldParameterCount();
    const at::Tensor w =
        at::rand({n}, seeded(32), at::TensorOptions().dtype(at::kDouble)).mul_(1.8).add_(0.2);
    double num = 0, den = 0;
    for (int64_t a = 0; a < pr.cfg.fields; ++a) {
      const at::Tensor misfit = at::mv(tr.J[a], thetaDot.narrow(0, a * pa, pa)) - tr.f.select(1, a);
      num += (w * misfit.square()).sum().item<double>();
      den += (w * tr.f.select(1, a).square()).sum().item<double>();
    }
    const Dynamics dyn = makeDynamics(pr, pcgConfig(kTightTol, kMu));
    const double heldOut = dyn.heldOutResidual(pr.theta, 0.0, thetaDot, dyn.samples(other.points, w));
    std::printf("  [%s] held-out residual %.6f (by hand %.6f), on the solve's points %.6f\n", pr.name.c_str(),
                heldOut, std::sqrt(num / den), pcgSolution(isWave).result.residual);
    EXPECT_NEAR(heldOut, std::sqrt(num / den), 1e-10 * std::sqrt(num / den)) << pr.name;
    const double own = dyn.heldOutResidual(pr.theta, 0.0, thetaDot, dyn.samples(pr.points));
    EXPECT_NEAR(own, pcgSolution(isWave).result.residual, 1e-10) << pr.name;
    const at::Tensor nan = at::full_like(thetaDot, std::numeric_limits<double>::quiet_NaN());
    EXPECT_TRUE(std::isnan(dyn.heldOutResidual(pr.theta, 0.0, nan, dyn.samples(other.points))));
  }
}

// μ in units of the solution under importance weights: μ·Σ w u²/(n·k), the domain's mean square
// that the weights estimate, not the mean over points crowded where |u| is large.
TEST(Dynamics, RelativeMuUsesTheWeightedMeanSquare) {
  const Problem& pr = problem(false);
  const int64_t n = pr.points.size(0);
  const at::Tensor w = at::rand({n}, seeded(23), at::TensorOptions().dtype(at::kDouble)).mul_(1.8).add_(0.2);
  const at::Tensor u = Linearization(*pr.net, pr.theta, pr.points).values();  // n×1
  const double weighted = (w.unsqueeze(1) * u.square()).sum().item<double>() / static_cast<double>(n);
  const double plain = u.square().mean().item<double>();
  ASSERT_GT(std::fabs(weighted / plain - 1), 1e-3);  // the weights do move the mean square
  LinearSolverConfig relative = denseConfig(0.05);
  relative.muRelative = true;
  at::Generator gen = seeded(24);
  const Dynamics scaled = makeDynamics(pr, relative);
  const DynamicsResult r = scaled.evaluate(pr.theta, 0.0, scaled.samples(pr.points, w), {}, gen);
  const Dynamics byHand = makeDynamics(pr, denseConfig(0.05 * weighted));
  const DynamicsResult e = byHand.evaluate(pr.theta, 0.0, byHand.samples(pr.points, w), {}, gen);
  EXPECT_LT(relErr(r.thetaDot, e.thetaDot), 1e-12);
}

TEST(Dynamics, RejectsInvalidSetups) {
  const Problem& pr = problem(false);
  // The solver config is not checked here: TypeScript validates the options (tests/options.test.ts).
  const auto expectInvalid = [&](const Program& program, const JetRequest& jets,
                                 const LinearSolverConfig& linear, const std::string& fragment) {
    try {
      Dynamics(pr.net, ProgramEvaluator(program, jets.pairs), jets, linear);
      ADD_FAILURE() << "expected std::invalid_argument containing " << fragment;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectInvalid(pr.program, JetRequest{}, pcgConfig(1e-8, kMu), "Laplacian");
  Program twoOutputs = pr.program;
  twoOutputs.outputs = {2, 2};
  expectInvalid(twoOutputs, pr.jets, pcgConfig(1e-8, kMu), "one output per field");
  const Dynamics dyn = makeDynamics(pr, pcgConfig(1e-8, kMu));
  EXPECT_THROW(dyn.samples(at::zeros({4, 3}, at::kDouble)), std::invalid_argument);
  const SampleSet set = dyn.samples(pr.points);
  at::Generator gen = seeded(1);
  EXPECT_THROW(dyn.evaluate(pr.theta.narrow(0, 1, 10), 0.0, set, {}, gen), std::invalid_argument);
  EXPECT_THROW(dyn.evaluate(pr.theta, 0.0, set, pr.theta.narrow(0, 1, 10), gen), std::invalid_argument);
}

}  // namespace
}  // namespace nivp
