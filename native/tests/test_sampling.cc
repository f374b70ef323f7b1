// Tests of the point sets (sampling/points.h) and of importance sampling (sampling/importance.h):
// the net property of scrambled Sobol points, reproducibility from a seed, unbiasedness over
// scrambles, the mixture's density against a direct per-kernel formula and its normalisation,
// and — the point of the weights — that weighted estimates of M·v and F have the mean of the
// uniform ones.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/linearization.h"
#include "engine/network.h"
#include "sampling/importance.h"
#include "sampling/points.h"
#include "test_support.h"

namespace nivp {
namespace {

using testing::seeded;

TEST(Points, ScrambledSobolIsANetAndReproducible) {
  at::Generator gen = seeded(1);
  const at::Tensor u = unitCubePoints(1024, 3, PointSequence::Sobol, gen);
  ASSERT_EQ(u.sizes(), (at::IntArrayRef{1024, 3}));
  EXPECT_GE(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
  // The first 2^m points of a (scrambled) Sobol sequence put exactly one point in each interval
  // [i/2^m, (i+1)/2^m) of every coordinate, and 4 in each cell of a 16×16 grid of two of them.
  for (int64_t d = 0; d < 3; ++d) {
    const at::Tensor bins = (u.select(1, d) * 1024).floor().to(at::kLong);
    EXPECT_EQ(at::bincount(bins, {}, 1024).min().item<int64_t>(), 1) << "axis " << d;
  }
  const at::Tensor cells =
      (u.select(1, 0) * 16).floor().to(at::kLong) * 16 + (u.select(1, 1) * 16).floor().to(at::kLong);
  const at::Tensor counts = at::bincount(cells, {}, 256);
  EXPECT_EQ(counts.min().item<int64_t>(), 4);
  EXPECT_EQ(counts.max().item<int64_t>(), 4);
  at::Generator again = seeded(1);
  EXPECT_TRUE(at::equal(unitCubePoints(1024, 3, PointSequence::Sobol, again), u));
  at::Generator other = seeded(2);
  EXPECT_FALSE(at::equal(unitCubePoints(1024, 3, PointSequence::Sobol, other), u));
}

// Randomised QMC is unbiased: over many scrambles, the mean estimate of ∫ f over [0,1]^2 matches
// the exact integral within a few standard errors, and each scramble's spread is far below
// plain Monte Carlo's.
TEST(Points, ScrambledSobolEstimatesAreUnbiasedAndLessNoisy) {
  const auto f = [](const at::Tensor& u) {
    return at::exp(u.select(1, 0)) * at::sin(u.select(1, 1) * M_PI);  // ∫ = (e − 1)·2/π
  };
  const double exact = (std::exp(1.0) - 1.0) * 2.0 / M_PI;
  at::Generator gen = seeded(3);
  std::vector<double> sobol, plain;
  for (int r = 0; r < 200; ++r) {
    sobol.push_back(f(unitCubePoints(256, 2, PointSequence::Sobol, gen)).mean().item<double>());
    plain.push_back(f(unitCubePoints(256, 2, PointSequence::Uniform, gen)).mean().item<double>());
  }
  const auto stats = [](const std::vector<double>& v) {
    const at::Tensor t = at::tensor(v, at::kDouble);
    return std::make_pair(t.mean().item<double>(), t.std().item<double>());
  };
  const auto [sMean, sStd] = stats(sobol);
  const auto [pMean, pStd] = stats(plain);
  EXPECT_LT(std::abs(sMean - exact), 4 * sStd / std::sqrt(200.0));
  EXPECT_LT(std::abs(pMean - exact), 4 * pStd / std::sqrt(200.0));
  EXPECT_LT(sStd, 0.1 * pStd);
}

TEST(Points, UniformBoxPointsMatchTheSessionsFormerDraws) {
  at::Generator a = seeded(4), b = seeded(4);
  const at::Tensor x = boxPoints(100, {-1, 0}, {1, 3}, PointSequence::Uniform, a);
  at::Tensor u = at::empty({100, 2}, at::kDouble);
  u.uniform_(0.0, 1.0, b);
  u.select(1, 0).mul_(2).add_(-1);
  u.select(1, 1).mul_(3);
  EXPECT_TRUE(at::equal(x, u));
}

// A concentrated mass: a Gaussian bump off-centre in [-1,1]×[0,2].
struct Bump {
  std::vector<double> lower{-1, 0}, upper{1, 2};
  at::Tensor mass(const at::Tensor& x) const {
    return at::exp(-((x.select(1, 0) - 0.4).square() + (x.select(1, 1) - 1.3).square()) / (2 * 0.1 * 0.1));
  }
  KernelMixture mixture(uint64_t seed, ImportanceConfig config = {}) const {
    at::Generator gen = seeded(seed);
    const at::Tensor pilot = boxPoints(config.pilot, lower, upper, PointSequence::Uniform, gen);
    return *KernelMixture::fromPilot(lower, upper, pilot, mass(pilot), config, gen);
  }
};

// The density against a direct, loop-by-loop evaluation of the truncated Gaussian kernels.
TEST(Importance, DensityMatchesADirectFormula) {
  const Bump bump;
  ImportanceConfig config;
  config.kernels = 7;
  config.uniformShare = 0.3;
  const KernelMixture q = bump.mixture(5, config);
  at::Generator gen = seeded(6);
  const at::Tensor x = boxPoints(40, bump.lower, bump.upper, PointSequence::Uniform, gen);
  const int64_t n = 100;  // a set of 100: 30 uniform, 70 over 7 kernels (10 each)
  const at::Tensor got = q.relativeDensity(x, n);
  const auto Phi = [](double z) { return 0.5 * (1 + std::erf(z / std::sqrt(2.0))); };
  const double volume = 2 * 2;
  for (int64_t i = 0; i < x.size(0); ++i) {
    double kernels = 0;
    for (int64_t j = 0; j < 7; ++j) {
      double k = 1;
      for (int64_t d = 0; d < 2; ++d) {
        const double c = q.centres()[j][d].item<double>(), s = q.bandwidth()[d].item<double>();
        const double xd = x[i][d].item<double>();
        const double z = (xd - c) / s;
        const double Z = Phi((bump.upper[d] - c) / s) - Phi((bump.lower[d] - c) / s);
        k *= std::exp(-0.5 * z * z) / (s * std::sqrt(2 * M_PI) * Z);
      }
      kernels += (10.0 / n) * k;
    }
    EXPECT_NEAR(got[i].item<double>(), 0.3 + volume * kernels, 1e-12 * (0.3 + volume * kernels));
  }
}

// q is a normalised density: E_uniform[q/p] = 1, and drawn points lie in the box with w = p/q.
TEST(Importance, MixtureIsNormalisedAndWeightsAreBounded) {
  const Bump bump;
  ImportanceConfig config;
  config.uniformShare = 0.5;
  config.imageShare = 0;  // every kernel on the mass; the images have their own test
  const KernelMixture q = bump.mixture(7, config);
  at::Generator gen = seeded(8);
  const at::Tensor x = boxPoints(400000, bump.lower, bump.upper, PointSequence::Sobol, gen);
  const at::Tensor ratio = q.relativeDensity(x, 4096);
  const double se = ratio.std().item<double>() / std::sqrt(400000.0);
  EXPECT_NEAR(ratio.mean().item<double>(), 1.0, 5 * se + 1e-6);
  const WeightedPoints drawn = q.sample(4096, PointSequence::Sobol, gen);
  for (int64_t d = 0; d < 2; ++d) {
    EXPECT_GE(drawn.points.select(1, d).min().item<double>(), bump.lower[d]);
    EXPECT_LE(drawn.points.select(1, d).max().item<double>(), bump.upper[d]);
  }
  EXPECT_LE(drawn.weights.max().item<double>(), 1.0 / 0.5 + 1e-12);  // w ≤ 1/α
  // The proposal follows the mass: more than half the points near the bump, against 4 % uniform.
  const at::Tensor near = bump.mass(drawn.points) > std::exp(-2.0);
  EXPECT_GT(near.to(at::kDouble).mean().item<double>(), 0.3);
  // Zero mass everywhere gives no mixture (the caller samples uniformly).
  at::Generator g2 = seeded(9);
  const at::Tensor pilot = boxPoints(100, bump.lower, bump.upper, PointSequence::Uniform, g2);
  EXPECT_FALSE(
      KernelMixture::fromPilot(bump.lower, bump.upper, pilot, at::zeros({100}, at::kDouble), {}, g2));
}

// A share of the kernels sits at the embedding's images of the drawn centres: half the box away
// along one or both axes, towards the interior. The images of the bump at (0.4, 1.3) in
// [-1, 1]×[0, 2] are (−0.6, 1.3), (0.4, 0.3) and (−0.6, 0.3); each appears, every image kernel
// sits near one of them, the other kernels near the bump, and q stays a normalised density.
TEST(Importance, AShareOfKernelsSitsAtTheImagesHalfABoxAway) {
  const Bump bump;
  ImportanceConfig config;
  config.imageShare = 0.25;
  const KernelMixture q = bump.mixture(31, config);
  const at::Tensor c = q.centres();
  ASSERT_EQ(c.size(0), 256);
  const auto distance = [&](int64_t j, double x, double y) {
    return std::hypot(c[j][0].item<double>() - x, c[j][1].item<double>() - y);
  };
  const double images[3][2] = {{-0.6, 1.3}, {0.4, 0.3}, {-0.6, 0.3}};
  int seen[3] = {0, 0, 0};
  for (int64_t j = 0; j < 256; ++j) {
    if (j < 192) {
      EXPECT_LT(distance(j, 0.4, 1.3), 0.45) << "kernel " << j;
      continue;
    }
    int nearest = 0;
    for (int k = 1; k < 3; ++k)
      if (distance(j, images[k][0], images[k][1]) < distance(j, images[nearest][0], images[nearest][1]))
        nearest = k;
    EXPECT_LT(distance(j, images[nearest][0], images[nearest][1]), 0.45) << "image kernel " << j;
    ++seen[nearest];
  }
  for (int k = 0; k < 3; ++k) EXPECT_GT(seen[k], 5) << "image " << k;
  at::Generator gen = seeded(32);
  const at::Tensor x = boxPoints(400000, bump.lower, bump.upper, PointSequence::Sobol, gen);
  const at::Tensor ratio = q.relativeDensity(x, 4096);
  EXPECT_NEAR(ratio.mean().item<double>(), 1.0, 5 * ratio.std().item<double>() / std::sqrt(400000.0) + 1e-6);
  // Without images every kernel stays on the bump.
  config.imageShare = 0;
  const at::Tensor plain = bump.mixture(31, config).centres();
  for (int64_t j = 0; j < 256; ++j)
    EXPECT_LT(std::hypot(plain[j][0].item<double>() - 0.4, plain[j][1].item<double>() - 1.3), 0.45);
}

// The weights make the importance-sampled M·v and F unbiased: over many draws their mean matches
// the integrals (computed on 2^20 Sobol points) within the standard error, for a network whose
// Jacobian and a right-hand side spread over the whole box; uniform draws are the control.
TEST(Importance, WeightedMvAndFAreUnbiased) {
  const Bump bump;
  NetworkConfig cfg;
  cfg.dim = 2;
  cfg.width = 8;
  cfg.depth = 1;
  cfg.frequencies = 1;
  cfg.lower = bump.lower;
  cfg.upper = bump.upper;
  const Network net(cfg);
  const at::Tensor theta = net.initialParameters(12);
  const int64_t pa = net.fieldParameterCount();
  const at::Tensor v = at::randn({pa, 1}, seeded(13), at::TensorOptions().dtype(at::kDouble));
  const auto rhs = [&bump](const at::Tensor& x) { return bump.mass(x) + 0.2 * at::cos(x.select(1, 0) * 3); };
  // (M·v, F) from points and optional weights.
  const auto estimate = [&](const at::Tensor& x, const at::Tensor& w) {
    const at::Tensor scale = w.defined() ? w.sqrt() : at::ones({x.size(0)}, at::kDouble);
    const Linearization lin(net, theta, x, scale);
    const double n = static_cast<double>(x.size(0));
    return std::make_pair(lin.fieldMvm(0, v, 0.0).squeeze(1),
                          lin.fieldVjp(0, (rhs(x) * scale).unsqueeze(1)).squeeze(1) / n);
  };
  at::Generator gen = seeded(15);
  const auto [trueMv, trueF] =
      estimate(boxPoints(1 << 20, cfg.lower, cfg.upper, PointSequence::Sobol, gen), {});
  const KernelMixture q = bump.mixture(14);
  constexpr int64_t kDraws = 300, kN = 256;
  std::vector<at::Tensor> uMv, uF, wMv, wF;
  for (int64_t r = 0; r < kDraws; ++r) {
    const auto [mv, f] = estimate(boxPoints(kN, cfg.lower, cfg.upper, PointSequence::Uniform, gen), {});
    uMv.push_back(mv);
    uF.push_back(f);
    const WeightedPoints drawn = q.sample(kN, PointSequence::Uniform, gen);
    const auto [wmv, wf] = estimate(drawn.points, drawn.weights);
    wMv.push_back(wmv);
    wF.push_back(wf);
  }
  // ‖mean − truth‖ against ‖standard error‖: about 1 when unbiased (the components share their
  // draws, so the ratio behaves like one |z|, not like an average of many).
  const auto zOf = [](const std::vector<at::Tensor>& draws, const at::Tensor& truth) {
    const at::Tensor A = at::stack(draws);
    const double se = (A.var(0) / static_cast<double>(A.size(0))).sum().sqrt().item<double>();
    return (A.mean(0) - truth).norm().item<double>() / se;
  };
  EXPECT_LT(zOf(wMv, trueMv), 4.0);
  EXPECT_LT(zOf(wF, trueF), 4.0);
  EXPECT_LT(zOf(uMv, trueMv), 4.0);  // the control
  EXPECT_LT(zOf(uF, trueF), 4.0);
  // And the bias the weights remove is large: unweighted mixture points miss the integrals.
  std::vector<at::Tensor> biased;
  for (int64_t r = 0; r < 50; ++r)
    biased.push_back(estimate(q.sample(kN, PointSequence::Uniform, gen).points, {}).second);
  EXPECT_GT(zOf(biased, trueF), 10.0);
}

// A Gaussian of width 0.1 off-centre in [-1, 1]^8: a uniform pilot of 4,096 points holds next to
// none of it (its effective size under the mass is about 0.004 points). The adapted proposal puts its points
// there, its weights still estimate the box's integrals (∫ mass over the box, known in closed form), and a
// mass that uniform points do see keeps the one-round proposal.
TEST(Importance, AnAdaptedPilotFindsAMassUniformPointsMiss) {
  const int64_t D = 8;
  const std::vector<double> lower(D, -1.0), upper(D, 1.0);
  const double sigma = 0.1;
  const at::Tensor centre = at::full({D}, 0.3, at::kDouble);
  const auto mass = [&](const at::Tensor& x) {
    return at::exp(-(x - centre).square().sum(1) / (2 * sigma * sigma));
  };
  ImportanceConfig config;
  config.imageShare = 0;  // every kernel on the mass; the images have their own test
  at::Generator g1 = seeded(21), g2 = seeded(21), g3 = seeded(22);
  const at::Tensor pilot = boxPoints(config.pilot, lower, upper, PointSequence::Uniform, g1);
  const KernelMixture once = *KernelMixture::fromPilot(lower, upper, pilot, mass(pilot), config, g1);
  const KernelMixture adapted = *KernelMixture::adapt(lower, upper, mass, config, PointSequence::Uniform, g2);
  const int64_t n = 20000;
  const auto nearShare = [&](const KernelMixture& q, at::Generator& gen) {
    const WeightedPoints drawn = q.sample(n, PointSequence::Uniform, gen);
    // Within √12 σ of the centre: 85 % of the mass's own draws in 8D.
    return (mass(drawn.points) > std::exp(-6.0)).to(at::kDouble).mean().item<double>();
  };
  at::Generator g4 = seeded(23);
  const double shareOnce = nearShare(once, g4), shareAdapted = nearShare(adapted, g4);
  EXPECT_LT(shareOnce, 0.1);
  EXPECT_GT(shareAdapted, 0.3);
  EXPECT_GT(shareAdapted, 5 * shareOnce);
  // ∫ mass dx over the box / volume: each axis ∫_{-1}^{1} exp(−(x−0.3)²/2σ²) dx / 2.
  const double axis = sigma * std::sqrt(M_PI / 2) *
                      (std::erf(0.7 / (sigma * std::sqrt(2.0))) + std::erf(1.3 / (sigma * std::sqrt(2.0)))) /
                      2;
  const double exact = std::pow(axis, static_cast<double>(D));
  const WeightedPoints drawn = adapted.sample(n, PointSequence::Uniform, g3);
  const at::Tensor terms = drawn.weights * mass(drawn.points);
  const double estimate = terms.mean().item<double>();
  const double se = terms.std().item<double>() / std::sqrt(static_cast<double>(n));
  EXPECT_NEAR(estimate, exact, 5 * se);
  EXPECT_LT(se, 0.1 * exact);
  // The 2D bump, which the uniform pilot sees, needs no tempering: adapt is fromPilot.
  const Bump bump;
  at::Generator g5 = seeded(5), g6 = seeded(5);
  const at::Tensor bumpPilot = boxPoints(config.pilot, bump.lower, bump.upper, PointSequence::Uniform, g5);
  const KernelMixture a =
      *KernelMixture::fromPilot(bump.lower, bump.upper, bumpPilot, bump.mass(bumpPilot), config, g5);
  const KernelMixture b = *KernelMixture::adapt(
      bump.lower, bump.upper, [&](const at::Tensor& x) { return bump.mass(x); }, config,
      PointSequence::Uniform, g6);
  EXPECT_TRUE(at::allclose(a.centres(), b.centres(), 0, 0));
}

}  // namespace
}  // namespace nivp
