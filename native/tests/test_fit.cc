// Tests of the Gauss–Newton fit (fit/gauss_newton.h) and the fits' shared pieces (fit/fit.h)
// against independent truths: a dense Levenberg–Marquardt step on the explicit Jacobian, the
// exact decrease of the GN model on a target in the range of J, targets the network represents
// exactly, and weighted least squares solved densely.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/cancelled.h"
#include "engine/linearization.h"
#include "fit/fit.h"
#include "fit/gauss_newton.h"
#include "reference_network.h"
#include "solvers/nystrom.h"
#include "test_support.h"

namespace nivp {
namespace {

using testing::seeded;
using testing::untimedGaussNewton;
constexpr auto relErr = testing::relativeError;

NetworkConfig config(int64_t fields = 1, int64_t width = 16, int64_t depth = 2) {
  NetworkConfig cfg;
  cfg.dim = 2;
  cfg.fields = fields;
  cfg.width = width;
  cfg.depth = depth;
  cfg.frequencies = 2;
  cfg.lower = {-1, 0};
  cfg.upper = {1, 2};
  return cfg;
}

at::Tensor boxPoints(const NetworkConfig& cfg, int64_t n, uint64_t seed) {
  at::Generator gen = seeded(seed);
  return uniformPoints(Network(cfg), n, gen);
}

// A source whose target is the network itself at θ* (exactly representable).
BatchSource selfTarget(const Network& net, const at::Tensor& thetaStar) {
  return [&net, thetaStar](int64_t n, at::Generator& gen) {
    const at::Tensor x = uniformPoints(net, n, gen);
    return Batch{x, net.forward(thetaStar, x, JetRequest{}).values, at::Tensor()};
  };
}

// M_a = J_aᵀJ_a/n of one linearization as the solver's operator.
SpdOperator blockOperator(const Linearization& lin, int64_t a) {
  return SpdOperator{lin.network().fieldParameterCount(), lin.network().options(),
                     [&lin, a](const at::Tensor& V) { return lin.fieldMvm(a, V, 0.0); }};
}

Batch heldOutBatch(const BatchSource& source, int64_t n, uint64_t seed) {
  at::Generator gen = seeded(seed);
  return source(n, gen);
}

// The damped GN step of the Nyström-PCG solve equals the dense solve of (JᵀJ/n + λI)δ = −Jᵀr/n
// on the explicit Jacobian, and its predicted decrease −gᵀδ − ½‖Jδ‖²/n equals the dense model's.
TEST(GaussNewton, DampedStepMatchesDenseLevenbergMarquardt) {
  const NetworkConfig cfg = config(2);
  const Network net(cfg);
  const at::Tensor theta = net.initialParameters(3);
  const at::Tensor x = boxPoints(cfg, 400, 5);
  const Linearization lin(net, theta, x);
  const at::Tensor target =
      at::sin(x.select(1, 0) * 2).unsqueeze(1).repeat({1, 2}) + x.select(1, 1).unsqueeze(1);
  const double n = 400;
  for (int64_t a = 0; a < cfg.fields; ++a) {
    const at::Tensor r = lin.values().select(1, a) - target.select(1, a);
    const at::Tensor g = lin.fieldVjp(a, r.unsqueeze(1)).div(n);
    const at::Tensor J = lin.fieldJacobian(a);
    const int64_t pa = J.size(1);
    for (double lambda : {1e-1, 1e-4}) {
      const at::Tensor A = at::mm(J.t(), J).div(n) + lambda * at::eye(pa, at::kDouble);
      const at::Tensor dense = at::linalg_solve(A, -at::mv(J.t(), r) / n);
      SpdOperator M{pa, net.options(), [&lin, a](const at::Tensor& V) { return lin.fieldMvm(a, V, 0.0); }};
      at::Generator gen = seeded(9);
      const NystromPreconditioner sketch(M, 40, lambda, gen);
      for (const NystromPreconditioner* P : {&sketch, static_cast<const NystromPreconditioner*>(nullptr)}) {
        const DampedStep step = dampedStep(M, g, lambda, P, 1e-12, 5000);
        EXPECT_LT(relErr(step.delta, dense), 1e-8) << "field " << a << " λ " << lambda;
        const double predicted = -at::dot(at::mv(J.t(), r) / n, dense).item<double>() -
                                 0.5 * at::mv(J, dense).square().sum().item<double>() / n;
        EXPECT_NEAR(step.predicted, predicted, 1e-9 * std::abs(predicted));
      }
      // The preconditioner pays: fewer CG iterations than plain CG at the small damping.
      if (lambda < 1e-3) {
        const DampedStep plain = dampedStep(M, g, lambda, nullptr, 1e-10, 5000);
        const DampedStep pre = dampedStep(M, g, lambda, &sketch, 1e-10, 5000);
        EXPECT_LT(pre.cgIterations, plain.cgIterations);
      }
    }
  }
}

// Known answer in the linear model: with r = −J d (a residual in J's range) and λ → 0, the step
// makes the linearised residual vanish, J δ = J d, and the model predicts the decrease ½‖J d‖²/n.
TEST(GaussNewton, StepOnARangeResidualCancelsItInTheLinearModel) {
  const NetworkConfig cfg = config(1, 8, 1);
  const Network net(cfg);
  const at::Tensor theta = net.initialParameters(4);
  const at::Tensor x = boxPoints(cfg, 600, 6);  // n > p_a: J has full column rank
  const Linearization lin(net, theta, x);
  const int64_t pa = net.fieldParameterCount();
  ASSERT_LT(pa, 600);
  const at::Tensor d = at::randn({pa}, seeded(8), at::TensorOptions().dtype(at::kDouble));
  const at::Tensor Jd = lin.fieldJvp(0, d.unsqueeze(1)).squeeze(1);
  const at::Tensor r = -Jd;
  const at::Tensor g = lin.fieldVjp(0, r.unsqueeze(1)).div(600.0);
  const DampedStep step = dampedStep(blockOperator(lin, 0), g, 1e-14, nullptr, 1e-13, 20000);
  const at::Tensor Jdelta = lin.fieldJvp(0, step.delta.unsqueeze(1)).squeeze(1);
  EXPECT_LT(relErr(Jdelta, Jd), 1e-5);
  const double half = 0.5 * Jd.square().sum().item<double>() / 600.0;
  EXPECT_NEAR(step.predicted, half, 1e-8 * half);
}

// The fit's error is the largest field's own: a small field counts as much as a large one, and a
// field that is zero is held to the others' size.
TEST(GaussNewton, FieldErrorIsTheLargestFieldsOwn) {
  const auto errorOf = [](std::vector<double> num, std::vector<double> den) {
    FieldErrors e;
    e.numerator = at::tensor(num, at::kDouble);
    e.denominator = at::tensor(den, at::kDouble);
    return e.relative();
  };
  // Pooled, v's error 1e-1 of its own size would weigh 1e-8 against u's: sqrt(2e-10 / 1) ≈ 1.4e-5.
  EXPECT_NEAR(errorOf({1e-10, 1e-8}, {1.0, 1e-6}), 1e-1, 1e-15);
  EXPECT_NEAR(errorOf({1e-10, 4e-10}, {1.0, 4.0}), 1e-5, 1e-15);
  EXPECT_NEAR(errorOf({1e-10, 9e-10}, {1.0, 0.0}), std::sqrt(9e-10), 1e-15);
  EXPECT_NEAR(errorOf({1e-10, 9e-10}, {1.0, 1e-30}), std::sqrt(9e-10 / (1.0 + 1e-30)), 1e-15);
  EXPECT_NEAR(errorOf({4e-6, 0.0}, {0.0, 0.0}), 2e-3, 1e-15);
}

// On a target the network represents exactly, Gauss–Newton drives the held-out error down by
// orders of magnitude, far past Adam with the same number of gradient evaluations.
TEST(GaussNewton, FitsARepresentableTarget) {
  const NetworkConfig cfg = config(2, 12, 2);
  const Network net(cfg);
  const at::Tensor thetaStar = net.initialParameters(21);
  const BatchSource source = selfTarget(net, thetaStar);
  const Batch heldOut = heldOutBatch(source, 3000, 77);
  at::Tensor theta = net.initialParameters(1);
  const double start = fieldErrors(net, theta, heldOut).relative();
  GaussNewtonOptions o = untimedGaussNewton();
  o.maxIterations = 40;
  o.samples = 800;
  o.rank = 60;
  o.cgTol = 1e-6;
  o.cgMaxIters = 300;
  o.patience = 40;
  std::vector<double> errors;
  o.progress = [&errors](int64_t, double e) {
    errors.push_back(e);
    return true;
  };
  at::Generator gen = seeded(2);
  const GaussNewtonReport report = fitGaussNewton(net, theta, source, heldOut, o, gen);
  EXPECT_EQ(report.iterations, static_cast<int64_t>(errors.size()));
  EXPECT_LT(report.error, 1e-4 * start);
  // The reported error is that of the returned θ, the best seen, and never increases.
  EXPECT_NEAR(fieldErrors(net, theta, heldOut).relative(), report.error, 1e-12 * start);
  for (size_t i = 1; i < errors.size(); ++i) EXPECT_LE(errors[i], errors[i - 1]);

  at::Tensor adamTheta = net.initialParameters(1);
  AdamOptions adam;
  adam.steps = report.iterations;
  adam.batch = 800;
  adam.lr = 1e-2;
  at::Generator adamGen = seeded(2);
  fitAdam(net, adamTheta, source, adam, adamGen);
  EXPECT_LT(report.error, 1e-2 * fieldErrors(net, adamTheta, heldOut).relative());
}

TEST(GaussNewton, StopsAtTheToleranceAndReportsWhy) {
  const NetworkConfig cfg = config(1, 12, 2);
  const Network net(cfg);
  const BatchSource source = selfTarget(net, net.initialParameters(21));
  const Batch heldOut = heldOutBatch(source, 2000, 78);
  at::Tensor theta = net.initialParameters(1);
  GaussNewtonOptions o = untimedGaussNewton();
  o.maxIterations = 200;
  o.samples = 500;
  o.rank = 40;
  o.tol = 1e-2;
  at::Generator gen = seeded(3);
  const GaussNewtonReport report = fitGaussNewton(net, theta, source, heldOut, o, gen);
  EXPECT_EQ(report.stopped, FitStop::Tolerance);
  EXPECT_STREQ(toString(report.stopped), "tol");
  EXPECT_LE(report.error, 1e-2);
  EXPECT_LT(report.iterations, 200);

  // An iteration cap and a time budget stop it too, each saying so.
  at::Tensor capped = net.initialParameters(1);
  o.tol = 1e-12;
  o.maxIterations = 2;
  at::Generator gen2 = seeded(3);
  const GaussNewtonReport steps = fitGaussNewton(net, capped, source, heldOut, o, gen2);
  EXPECT_EQ(steps.stopped, FitStop::Steps);
  EXPECT_EQ(steps.iterations, 2);
  o.maxIterations = 1000000;
  o.maxSeconds = 0.2;
  at::Tensor timed = net.initialParameters(1);
  at::Generator gen3 = seeded(3);
  const GaussNewtonReport budget = fitGaussNewton(net, timed, source, heldOut, o, gen3);
  EXPECT_TRUE(budget.stopped == FitStop::Budget || budget.stopped == FitStop::Stalled) << budget.message;

  // The budget is a limit: an iteration starts only when one as long as the last still fits.
  // The budget is many iterations long as timed on this machine now (a loaded machine's are slow,
  // and vary: the rule predicts from the last one).
  o.maxSeconds = 0;
  o.maxIterations = 1;
  const auto once = std::chrono::steady_clock::now();
  at::Tensor timing = net.initialParameters(1);
  at::Generator genTiming = seeded(3);
  fitGaussNewton(net, timing, source, heldOut, o, genTiming);
  const double iteration = std::chrono::duration<double>(std::chrono::steady_clock::now() - once).count();
  o.maxIterations = 1000000;
  o.maxSeconds = std::max(0.6, 20 * iteration);
  const double slack = 0.1 * o.maxSeconds;
  std::vector<double> ends;
  const auto start = std::chrono::steady_clock::now();
  o.patience = 1000000;  // stopped by the budget alone
  o.progress = [&](int64_t, double) {
    ends.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return true;
  };
  at::Tensor limited = net.initialParameters(1);
  at::Generator gen4 = seeded(3);
  const GaussNewtonReport held = fitGaussNewton(net, limited, source, heldOut, o, gen4);
  ASSERT_EQ(held.stopped, FitStop::Budget) << held.message;
  ASSERT_GE(ends.size(), 3u);
  for (size_t i = 2; i < ends.size(); ++i)  // iteration i began after iteration i − 1 ended
    EXPECT_LT(ends[i - 1] + (ends[i - 1] - ends[i - 2]), o.maxSeconds + slack) << "iteration " << i;
  const size_t last = ends.size() - 1;
  EXPECT_GE(ends[last] + 2 * (ends[last] - ends[last - 1]), o.maxSeconds - slack);
}

// A batch far smaller than p overfits each draw and stalls at its sampling-noise floor; with
// `maxSamples` the batch doubles on every stall up to the cap, and the fit goes on to a lower
// held-out error than the same fit without growth.
TEST(GaussNewton, StallsDoubleTheBatchUpToItsCapAndLowerTheFloor) {
  const NetworkConfig cfg = config(1, 16, 2);
  const Network net(cfg);
  std::vector<int64_t> drawn;
  const BatchSource source = [&](int64_t n, at::Generator& gen) {
    drawn.push_back(n);
    const at::Tensor x = uniformPoints(net, n, gen);
    const at::Tensor y = at::sin(x.select(1, 0) * 3) * at::cos(x.select(1, 1) * 2) + x.select(1, 0).square();
    return Batch{x, y.unsqueeze(1), at::Tensor()};
  };
  const Batch heldOut = heldOutBatch(source, 4000, 81);
  GaussNewtonOptions o = untimedGaussNewton();
  o.maxIterations = 400;
  o.samples = 40;
  o.rank = 40;
  o.patience = 5;
  ASSERT_GT(net.fieldParameterCount(), 4 * o.samples);
  // The same fit (initialisation and draws) with a given cap; `drawn` records its batch sizes.
  const auto fitWithCap = [&](int64_t maxSamples, at::Tensor& theta) {
    o.maxSamples = maxSamples;
    theta = net.initialParameters(1);
    at::Generator gen = seeded(6);
    drawn.clear();
    return fitGaussNewton(net, theta, source, heldOut, o, gen);
  };

  at::Tensor fixed;
  const GaussNewtonReport stalled = fitWithCap(0, fixed);
  EXPECT_EQ(stalled.stopped, FitStop::Stalled) << stalled.message;
  EXPECT_EQ(stalled.samples, 40);
  for (int64_t n : drawn) EXPECT_EQ(n, 40);

  at::Tensor grown;
  const GaussNewtonReport report = fitWithCap(1280, grown);
  EXPECT_EQ(report.stopped, FitStop::Stalled) << report.message;
  EXPECT_EQ(report.samples, 1280);
  EXPECT_NE(report.message.find("at 1280 points per iteration"), std::string::npos) << report.message;
  // Every draw is the previous size or twice it, from 40 to the cap.
  ASSERT_FALSE(drawn.empty());
  EXPECT_EQ(drawn.front(), 40);
  EXPECT_EQ(drawn.back(), 1280);
  for (size_t i = 1; i < drawn.size(); ++i)
    EXPECT_TRUE(drawn[i] == drawn[i - 1] || drawn[i] == 2 * drawn[i - 1]);
  EXPECT_LT(report.error, 0.5 * stalled.error);
  EXPECT_NEAR(fieldErrors(net, grown, heldOut).relative(), report.error, 1e-12);
}

// A target that turns non-finite mid-fit stops the fit with its best (finite) θ and a reason.
TEST(GaussNewton, NonFiniteValuesStopWithTheBestTheta) {
  const NetworkConfig cfg = config(1, 12, 2);
  const Network net(cfg);
  const at::Tensor thetaStar = net.initialParameters(21);
  int calls = 0;
  const BatchSource source = [&](int64_t n, at::Generator& gen) {
    const at::Tensor x = uniformPoints(net, n, gen);
    at::Tensor y = net.forward(thetaStar, x, JetRequest{}).values;
    if (++calls > 3) y[0][0] = std::numeric_limits<double>::quiet_NaN();
    return Batch{x, y, at::Tensor()};
  };
  const Batch heldOut = heldOutBatch(selfTarget(net, thetaStar), 1000, 79);
  at::Tensor theta = net.initialParameters(1);
  const double start = fieldErrors(net, theta, heldOut).relative();
  GaussNewtonOptions o = untimedGaussNewton();
  o.maxIterations = 50;
  o.samples = 300;
  o.rank = 30;
  at::Generator gen = seeded(4);
  const GaussNewtonReport report = fitGaussNewton(net, theta, source, heldOut, o, gen);
  EXPECT_EQ(report.stopped, FitStop::Stalled);
  EXPECT_NE(report.message.find("not finite"), std::string::npos) << report.message;
  EXPECT_TRUE(at::isfinite(theta).all().item<bool>());
  EXPECT_LT(report.error, start);
  EXPECT_NEAR(fieldErrors(net, theta, heldOut).relative(), report.error, 1e-12);
}

TEST(GaussNewton, CancellationThrowsAndProgressCanStop) {
  const NetworkConfig cfg = config(1, 12, 2);
  const Network net(cfg);
  const BatchSource source = selfTarget(net, net.initialParameters(21));
  const Batch heldOut = heldOutBatch(source, 500, 80);
  at::Tensor theta = net.initialParameters(1);
  GaussNewtonOptions o = untimedGaussNewton();
  o.samples = 300;
  o.rank = 30;
  int polls = 0;
  o.cancelled = [&polls] { return ++polls > 5; };
  at::Generator gen = seeded(5);
  EXPECT_THROW(fitGaussNewton(net, theta, source, heldOut, o, gen), Cancelled);
  o.cancelled = {};
  o.progress = [](int64_t iteration, double) { return iteration < 2; };
  at::Tensor stopped = net.initialParameters(1);
  const GaussNewtonReport report = fitGaussNewton(net, stopped, source, heldOut, o, gen);
  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.iterations, 2);
}

// Importance weights: the weighted objective's GN step is the dense weighted least-squares step.
TEST(GaussNewton, WeightedRowsMatchDenseWeightedLeastSquares) {
  const NetworkConfig cfg = config(1, 10, 2);
  const Network net(cfg);
  const at::Tensor theta = net.initialParameters(3);
  const at::Tensor x = boxPoints(cfg, 300, 7);
  const at::Tensor w = at::rand({300}, seeded(10), at::TensorOptions().dtype(at::kDouble)).add_(0.2);
  const Linearization weighted(net, theta, x, w.sqrt());
  const Linearization plain(net, theta, x);
  const at::Tensor J = plain.fieldJacobian(0);
  EXPECT_LT(relErr(weighted.fieldJacobian(0), J * w.sqrt().unsqueeze(1)), 1e-14);
  EXPECT_LT(relErr(weighted.values(), plain.values()), 1e-15);  // values stay unscaled
  const at::Tensor u = at::cos(x.select(1, 0));
  const at::Tensor r = (plain.values().select(1, 0) - u) * w.sqrt();
  const at::Tensor g = weighted.fieldVjp(0, r.unsqueeze(1)).div(300.0);
  const int64_t pa = J.size(1);
  const at::Tensor A = at::mm(J.t() * w.unsqueeze(0), J).div(300.0) + 1e-3 * at::eye(pa, at::kDouble);
  const at::Tensor dense = at::linalg_solve(A, -at::mv(J.t(), w * (plain.values().select(1, 0) - u)) / 300.0);
  EXPECT_LT(relErr(dampedStep(blockOperator(weighted, 0), g, 1e-3, nullptr, 1e-12, 5000).delta, dense), 1e-8);
}

// Head tuning with weights solves the dense weighted least squares of the last layer.
TEST(Fit, WeightedHeadTuningIsTheDenseWeightedSolution) {
  const NetworkConfig cfg = config(1, 10, 2);
  const Network net(cfg);
  at::Tensor theta = net.initialParameters(3);
  const at::Tensor x = boxPoints(cfg, 500, 8);
  const at::Tensor w = at::rand({500}, seeded(11), at::TensorOptions().dtype(at::kDouble)).add_(0.1);
  const at::Tensor u = at::exp(x.select(1, 0)).unsqueeze(1);
  tuneHead(net, theta, x, u, 0.0, w);
  // Dense truth from the reference network: features of the last hidden layer by autograd-free
  // evaluation with the head zeroed and unit-vector heads.
  const LinearLayer& L = net.layers().back();
  std::vector<at::Tensor> columns;
  for (int64_t j = 0; j <= L.in; ++j) {
    at::Tensor th = theta.clone();
    th.narrow(0, L.weightOffset, L.in + 1).zero_();
    th[j < L.in ? L.weightOffset + j : L.biasOffset] = 1.0;
    columns.push_back(testing::referenceForward(cfg, th, x).squeeze(1));
  }
  const at::Tensor Phi = at::stack(columns, 1);
  const at::Tensor sw = w.sqrt().unsqueeze(1);
  const at::Tensor coef = std::get<0>(at::linalg_lstsq(Phi * sw, u * sw));
  const at::Tensor head = at::cat({theta.narrow(0, L.weightOffset, L.in), theta.narrow(0, L.biasOffset, 1)});
  EXPECT_LT(relErr(head, coef.squeeze(1)), 1e-6);
}

// Under an output scale c the head's least squares, ridge included, is that of the unscaled
// network fitted to u/c: the same head, and c times its field.
TEST(Fit, HeadTuningUnderAnOutputScaleFitsUOverC) {
  NetworkConfig cfg = config(1, 10, 2);
  const Network plain(cfg);
  cfg.outputScale = {1e-6};
  const Network scaled(cfg);
  const at::Tensor x = boxPoints(cfg, 400, 5);
  const at::Tensor u = at::sin(x.select(1, 0).mul(2)).mul(3e-6).unsqueeze(1);
  for (const double lambda : {0.0, 1e-3}) {
    at::Tensor a = plain.initialParameters(4), b = a.clone();
    ASSERT_TRUE(tuneHead(plain, a, x, u / 1e-6, lambda));
    ASSERT_TRUE(tuneHead(scaled, b, x, u, lambda));
    EXPECT_LT(relErr(b, a), 1e-10) << "lambda " << lambda;
    EXPECT_LT(relErr(scaled.forward(b, x, {}).values, plain.forward(a, x, {}).values * 1e-6), 1e-10);
  }
}

// Under an output offset o the head fits m = (u − o)/c, and the fit's errors are relative to u − o:
// the same numbers as the plain network fitted to (u − o)/c.
TEST(Fit, AnOutputOffsetIsFittedAndMeasuredAsTheVariation) {
  NetworkConfig cfg = config(1, 10, 2);
  cfg.dirichlet = {false};
  const Network plain(cfg);
  cfg.outputScale = {2.0};
  cfg.outputOffset = {300.0};
  const Network shifted(cfg);
  const at::Tensor x = boxPoints(cfg, 400, 5);
  const at::Tensor u = at::sin(x.select(1, 0).mul(2)).mul(1.4).add(300.0).unsqueeze(1);
  const at::Tensor m = (u - 300.0) / 2.0;
  for (const double lambda : {0.0, 1e-3}) {
    at::Tensor a = plain.initialParameters(4), b = a.clone();
    ASSERT_TRUE(tuneHead(plain, a, x, m, lambda));
    ASSERT_TRUE(tuneHead(shifted, b, x, u, lambda));
    EXPECT_LT(relErr(b, a), 1e-9) << "lambda " << lambda;
    EXPECT_LT(relErr(shifted.forward(b, x, {}).values - 300.0, plain.forward(a, x, {}).values * 2.0), 1e-9);
    const double plainError = relativeError(plain, a, x, m);
    EXPECT_GT(plainError, 1e-4);  // a head alone does not fit the sine: there is an error to compare
    EXPECT_NEAR(relativeError(shifted, b, x, u), plainError, 1e-9 * plainError);
    EXPECT_NEAR(fieldErrors(shifted, b, Batch{x, u, at::Tensor()}).relative(), plainError, 1e-9 * plainError);
  }
}

// Features that are not finite leave θ as it was, with false, instead of throwing.
TEST(Fit, HeadTuningOnNonFiniteFeaturesLeavesThetaAlone) {
  const NetworkConfig cfg = config(1, 10, 2);
  const Network net(cfg);
  at::Tensor theta = net.initialParameters(4);
  theta.narrow(0, 0, 3).fill_(std::numeric_limits<double>::infinity());
  const at::Tensor before = theta.clone();
  const at::Tensor x = boxPoints(cfg, 100, 5);
  EXPECT_FALSE(tuneHead(net, theta, x, at::sin(x), 0.0));
  EXPECT_TRUE(at::equal(theta.isnan(), before.isnan()));
  EXPECT_TRUE(at::equal(at::nan_to_num(theta), at::nan_to_num(before)));
}

}  // namespace
}  // namespace nivp
