// Network values and spatial jets against libtorch autograd on an independent reference
// implementation, and against central finite differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/network.h"
#include "reference_network.h"
#include "test_support.h"

namespace nivp {
namespace {

constexpr auto relErr = testing::relativeError;

NetworkConfig smallConfig(int64_t dim, bool embedding, bool dirichlet, Activation act,
                          Output output = Output::Linear, std::vector<double> outputScale = {}) {
  NetworkConfig cfg;
  cfg.output = output;
  cfg.outputScale = std::move(outputScale);
  cfg.dim = dim;
  cfg.fields = 2;
  cfg.width = 12;
  cfg.depth = 2;
  cfg.activation = act;
  cfg.embedding = embedding;
  cfg.frequencies = 3;
  cfg.decay = 1.0;
  cfg.embeddingScale = 1.5;
  cfg.dirichlet = {dirichlet};
  for (int64_t i = 0; i < dim; ++i) {
    cfg.lower.push_back(-1.0 - 0.25 * i);
    cfg.upper.push_back(1.0 + 0.5 * i);
  }
  return cfg;
}

// Values, gradients, the Laplacian and the given second-derivative pairs.
JetRequest allJets(std::vector<std::pair<int64_t, int64_t>> pairs = {}) {
  JetRequest r;
  r.gradient = true;
  r.laplacian = true;
  r.pairs = std::move(pairs);
  return r;
}

at::Tensor samplePoints(const NetworkConfig& cfg, int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  at::Tensor u = torch::rand({n, cfg.dim}, torch::kDouble);
  for (int64_t i = 0; i < cfg.dim; ++i) {
    u.select(1, i).mul_(cfg.upper[i] - cfg.lower[i]).add_(cfg.lower[i]);
  }
  return u;
}

struct Case {
  int64_t dim;
  bool embedding, dirichlet;
  Activation act;
  Output output = Output::Linear;
  std::vector<double> outputScale = {};
  std::vector<bool> periodic = {false};
  std::vector<bool> dirichletAxes = {};  // when given, per axis in place of `dirichlet`
};

class NetworkJets : public ::testing::TestWithParam<Case> {};

TEST_P(NetworkJets, MatchAutograd) {
  const Case c = GetParam();
  NetworkConfig cfg = smallConfig(c.dim, c.embedding, c.dirichlet, c.act, c.output, c.outputScale);
  cfg.periodic = c.periodic;
  if (!c.dirichletAxes.empty()) cfg.dirichlet = c.dirichletAxes;
  Network net(cfg);
  const at::Tensor theta = net.initialParameters(7);
  const at::Tensor x = samplePoints(cfg, 37, 3);
  JetRequest req = allJets();
  for (int64_t i = 0; i < c.dim; ++i)
    for (int64_t j = i; j < c.dim; ++j) req.pairs.push_back({i, j});
  const Jets jets = net.forward(theta, x, req);

  torch::Tensor xr = x.clone().requires_grad_(true);
  const torch::Tensor y = testing::referenceForward(cfg, theta, xr);
  EXPECT_LT(relErr(jets.values, y.detach()), 1e-13);
  for (int64_t a = 0; a < cfg.fields; ++a) {
    const torch::Tensor g = torch::autograd::grad({y.select(1, a).sum()}, {xr}, {}, true, true)[0];  // n×D
    EXPECT_LT(relErr(jets.gradients.select(1, a), g.detach()), 1e-12) << "gradient, field " << a;
    at::Tensor lap = torch::zeros({x.size(0)}, torch::kDouble);
    for (size_t p = 0; p < req.pairs.size(); ++p) {
      const auto [i, j] = req.pairs[p];
      const torch::Tensor hij = torch::autograd::grad({g.select(1, i).sum()}, {xr}, {}, true)[0].select(1, j);
      EXPECT_LT(relErr(jets.second.select(1, a).select(1, static_cast<int64_t>(p)), hij.detach()), 1e-11)
          << "d2 " << i << "," << j << " field " << a;
      if (i == j) lap += hij.detach();
    }
    EXPECT_LT(relErr(jets.laplacian.select(1, a), lap), 1e-11) << "laplacian, field " << a;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Architectures, NetworkJets,
    ::testing::Values(
        Case{3, true, true, Activation::Swish}, Case{2, false, false, Activation::Tanh},
        Case{1, true, false, Activation::Tanh}, Case{4, false, true, Activation::Swish},
        Case{3, false, true, Activation::Swish, Output::Exp},
        Case{2, true, false, Activation::Tanh, Output::Exp},
        Case{3, true, true, Activation::Swish, Output::Linear, {1e-7, 3e5}},
        Case{2, true, false, Activation::Swish, Output::Exp, {2e6, 0.5}},
        Case{3, true, false, Activation::Swish, Output::Linear, {}, {true}},
        Case{2, true, false, Activation::Tanh, Output::Exp, {3.0, 0.25}, {true}},
        Case{3,
             true,
             false,
             Activation::Swish,
             Output::Linear,
             {},
             {true, false, false},
             {false, true, false}},
        Case{2, true, false, Activation::Tanh, Output::Exp, {2.0, 0.5}, {false, true}, {true, false}},
        Case{4, false, false, Activation::Swish, Output::Linear, {}, {false}, {false, true, true, false}}));

TEST(NetworkJets, MatchFiniteDifferences) {
  const NetworkConfig cfg = smallConfig(3, true, true, Activation::Swish);
  Network net(cfg);
  const at::Tensor theta = net.initialParameters(1);
  const at::Tensor x = samplePoints(cfg, 11, 5);
  const JetRequest req = allJets({{0, 2}});
  const Jets jets = net.forward(theta, x, req);
  const double h = 1e-4;
  at::Tensor lap = torch::zeros_like(jets.values);
  for (int64_t i = 0; i < cfg.dim; ++i) {
    at::Tensor e = torch::zeros({1, cfg.dim}, torch::kDouble);
    e[0][i] = h;
    const at::Tensor yp = net.forward(theta, x + e, {}).values, ym = net.forward(theta, x - e, {}).values;
    EXPECT_LT(relErr(jets.gradients.select(2, i), (yp - ym) / (2 * h)), 1e-7);
    lap += (yp - 2 * jets.values + ym) / (h * h);
  }
  EXPECT_LT(relErr(jets.laplacian, lap), 1e-5);
  at::Tensor e0 = torch::zeros({1, cfg.dim}, torch::kDouble), e2 = torch::zeros({1, cfg.dim}, torch::kDouble);
  e0[0][0] = h;
  e2[0][2] = h;
  const auto f = [&](const at::Tensor& p) { return net.forward(theta, p, {}).values; };
  const at::Tensor mixed = (f(x + e0 + e2) - f(x + e0 - e2) - f(x - e0 + e2) + f(x - e0 - e2)) / (4 * h * h);
  EXPECT_LT(relErr(jets.second.select(2, 0), mixed), 1e-5);
}

TEST(NetworkJets, ChunkedEqualsUnchunked) {
  NetworkConfig cfg = smallConfig(3, true, true, Activation::Swish);
  Network whole(cfg);
  cfg.chunkRows = 7;
  Network chunked(cfg);
  const at::Tensor theta = whole.initialParameters(2);
  const at::Tensor x = samplePoints(cfg, 50, 9);
  const JetRequest req = allJets({{1, 1}, {0, 2}});
  const Jets a = whole.forward(theta, x, req), b = chunked.forward(theta, x, req);
  EXPECT_TRUE(at::allclose(a.values, b.values, 1e-15, 1e-15));
  EXPECT_TRUE(at::allclose(a.gradients, b.gradients, 1e-15, 1e-15));
  EXPECT_TRUE(at::allclose(a.second, b.second, 1e-14, 1e-14));
  EXPECT_TRUE(at::allclose(a.laplacian, b.laplacian, 1e-14, 1e-14));
}

TEST(NetworkJets, BoundaryFactorVanishesOnEveryFace) {
  const NetworkConfig cfg = smallConfig(3, true, true, Activation::Swish);
  Network net(cfg);
  const at::Tensor theta = net.initialParameters(4);
  for (int64_t i = 0; i < cfg.dim; ++i) {
    for (const double face : {cfg.lower[i], cfg.upper[i]}) {
      at::Tensor x = samplePoints(cfg, 20, 10 + i);
      x.select(1, i).fill_(face);
      const at::Tensor y = net.forward(theta, x, {}).values;
      EXPECT_EQ(y.abs().max().item<double>(), 0.0) << "axis " << i << " face " << face;
    }
  }
  // And not identically zero inside.
  EXPECT_GT(net.forward(theta, samplePoints(cfg, 20, 1), {}).values.abs().max().item<double>(), 1e-6);
}

// A periodic network and its jets take the same values a whole box's width apart along any axis.
TEST(NetworkJets, PeriodicNetworkRepeatsWithTheBox) {
  NetworkConfig cfg = smallConfig(3, true, false, Activation::Swish);
  cfg.periodic = {true};
  cfg.decay = 0.0;  // the highest octave at full weight: its period is the finest one checked
  Network net(cfg);
  const at::Tensor theta = net.initialParameters(8);
  const JetRequest req = allJets({{0, 2}});
  const at::Tensor x = samplePoints(cfg, 25, 12);
  const Jets a = net.forward(theta, x, req);
  for (int64_t i = 0; i < cfg.dim; ++i) {
    for (const double sign : {-1.0, 2.0}) {
      at::Tensor y = x.clone();
      y.select(1, i).add_(sign * (cfg.upper[i] - cfg.lower[i]));
      const Jets b = net.forward(theta, y, req);
      EXPECT_LT(relErr(b.values, a.values), 1e-12) << "axis " << i << " shift " << sign;
      EXPECT_LT(relErr(b.gradients, a.gradients), 1e-12) << "axis " << i << " shift " << sign;
      EXPECT_LT(relErr(b.second, a.second), 1e-11) << "axis " << i << " shift " << sign;
      EXPECT_LT(relErr(b.laplacian, a.laplacian), 1e-11) << "axis " << i << " shift " << sign;
    }
  }
  // Without the periodic rule the lowest octave's period is twice the box: no repeat.
  cfg.periodic = {false};
  Network open(cfg);
  at::Tensor y = x.clone();
  y.select(1, 0).add_(cfg.upper[0] - cfg.lower[0]);
  EXPECT_GT(relErr(open.forward(theta, y, {}).values, open.forward(theta, x, {}).values), 1e-3);
}

// A channel: periodic along x[0], zero on the faces of x[1], open along x[2].
TEST(NetworkJets, AChannelRepeatsAlongItsPeriodicAxisAndVanishesOnItsDirichletFaces) {
  NetworkConfig cfg = smallConfig(3, true, false, Activation::Swish);
  cfg.periodic = {true, false, false};
  cfg.dirichlet = {false, true, false};
  cfg.decay = 0.0;
  Network net(cfg);
  const at::Tensor theta = net.initialParameters(5);
  const JetRequest req = allJets({{0, 1}, {1, 1}});
  const at::Tensor x = samplePoints(cfg, 25, 13);
  const Jets a = net.forward(theta, x, req);
  at::Tensor shifted = x.clone();
  shifted.select(1, 0).add_(cfg.upper[0] - cfg.lower[0]);
  const Jets b = net.forward(theta, shifted, req);
  EXPECT_LT(relErr(b.values, a.values), 1e-12);
  EXPECT_LT(relErr(b.gradients, a.gradients), 1e-12);
  EXPECT_LT(relErr(b.second, a.second), 1e-11);
  EXPECT_LT(relErr(b.laplacian, a.laplacian), 1e-11);
  for (const int64_t axis : {1, 2}) {
    at::Tensor y = x.clone();
    y.select(1, axis).add_(cfg.upper[axis] - cfg.lower[axis]);
    EXPECT_GT(relErr(net.forward(theta, y, {}).values, a.values), 1e-3) << "axis " << axis;
  }
  for (const int64_t axis : {0, 1, 2}) {
    at::Tensor face = x.clone();
    face.select(1, axis).fill_(cfg.upper[axis]);
    const double largest = net.forward(theta, face, {}).values.abs().max().item<double>();
    if (axis == 1) {
      EXPECT_EQ(largest, 0.0);
    } else {
      EXPECT_GT(largest, 1e-6) << "axis " << axis;
    }
  }
}

TEST(NetworkJets, SeedGivesTheSameParameters) {
  const NetworkConfig cfg = smallConfig(2, true, true, Activation::Swish);
  Network net(cfg);
  EXPECT_TRUE(at::equal(net.initialParameters(3), net.initialParameters(3)));
  EXPECT_FALSE(at::equal(net.initialParameters(3), net.initialParameters(4)));
  // p = Σ_l (in·out + out) per field: features 2·(3+1)·2 = 16 → 12 → 12 → 1.
  EXPECT_EQ(net.parameterCount(), 2 * ((16 * 12 + 12) + (12 * 12 + 12) + (12 + 1)));
}

TEST(NetworkJets, Float32AgreesWithFloat64) {
  NetworkConfig cfg = smallConfig(3, true, true, Activation::Swish);
  Network net64(cfg);
  cfg.dtype = at::kFloat;
  Network net32(cfg);
  const at::Tensor theta = net64.initialParameters(5);
  const at::Tensor x = samplePoints(cfg, 30, 2);
  const JetRequest req = allJets();
  const Jets a = net64.forward(theta, x, req), b = net32.forward(theta.to(at::kFloat), x, req);
  EXPECT_EQ(b.values.scalar_type(), at::kFloat);
  EXPECT_LT(relErr(b.values.to(at::kDouble), a.values), 1e-5);
  EXPECT_LT(relErr(b.laplacian.to(at::kDouble), a.laplacian), 1e-4);
}

// The output scale multiplies a field and every jet of it, and nothing else.
TEST(NetworkJets, OutputScaleMultipliesEachField) {
  for (const Output output : {Output::Linear, Output::Exp}) {
    NetworkConfig cfg = smallConfig(2, true, true, Activation::Swish, output);
    const Network plain(cfg);
    cfg.outputScale = {4e-9, 250.0};
    const Network scaled(cfg);
    const at::Tensor theta = plain.initialParameters(6);
    const at::Tensor x = samplePoints(cfg, 29, 4);
    const JetRequest req = allJets({{0, 1}});
    const Jets a = plain.forward(theta, x, req), b = scaled.forward(theta, x, req);
    for (int64_t f = 0; f < 2; ++f) {
      const double c = cfg.outputScale[static_cast<size_t>(f)];
      EXPECT_LT(relErr(b.values.select(1, f), a.values.select(1, f) * c), 1e-14);
      EXPECT_LT(relErr(b.gradients.select(1, f), a.gradients.select(1, f) * c), 1e-14);
      EXPECT_LT(relErr(b.second.select(1, f), a.second.select(1, f) * c), 1e-14);
      EXPECT_LT(relErr(b.laplacian.select(1, f), a.laplacian.select(1, f) * c), 1e-14);
    }
  }
}

// The output offset adds to each field's values and to nothing else.
TEST(NetworkJets, OutputOffsetAddsToValuesOnly) {
  NetworkConfig cfg = smallConfig(2, true, false, Activation::Swish);
  const Network plain(cfg);
  cfg.outputOffset = {-7.5, 300.0};
  const Network shifted(cfg);
  const at::Tensor theta = plain.initialParameters(6);
  const at::Tensor x = samplePoints(cfg, 29, 4);
  const JetRequest req = allJets({{0, 1}});
  const Jets a = plain.forward(theta, x, req), b = shifted.forward(theta, x, req);
  for (int64_t f = 0; f < 2; ++f) {
    const double o = cfg.outputOffset[static_cast<size_t>(f)];
    EXPECT_LT(relErr(b.values.select(1, f) - o, a.values.select(1, f)), 1e-12);
    EXPECT_TRUE(at::equal(b.gradients.select(1, f), a.gradients.select(1, f)));
    EXPECT_TRUE(at::equal(b.second.select(1, f), a.second.select(1, f)));
    EXPECT_TRUE(at::equal(b.laplacian.select(1, f), a.laplacian.select(1, f)));
  }
  EXPECT_LT(relErr(shifted.variation(b.values), a.values), 1e-12);
  EXPECT_TRUE(at::equal(plain.variation(a.values), a.values));
}

TEST(NetworkConfigValidation, AnOutputOffsetNeedsTheLinearOutputWithoutADirichletFactor) {
  for (const auto& [dirichlet, output] : {std::pair{true, Output::Linear}, std::pair{false, Output::Exp}}) {
    NetworkConfig cfg = smallConfig(2, true, dirichlet, Activation::Swish, output);
    cfg.outputOffset = {0.0, 1.0};
    EXPECT_THROW(Network{cfg}, std::invalid_argument);
    cfg.outputOffset = {0.0, 0.0};  // zero everywhere is no offset
    EXPECT_NO_THROW(Network{cfg});
  }
  NetworkConfig cfg = smallConfig(2, true, false, Activation::Swish);
  for (const std::vector<double>& bad : {std::vector<double>{1.0}, std::vector<double>{1.0, std::nan("")}}) {
    cfg.outputOffset = bad;
    try {
      Network net(cfg);
      FAIL() << "expected invalid_argument";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("network.outputOffset"), std::string::npos);
    }
  }
}

TEST(NetworkConfigValidation, OutputScaleNeedsOnePositiveEntryPerField) {
  for (const std::vector<double>& bad :
       {std::vector<double>{1.0}, std::vector<double>{1.0, 0.0}, std::vector<double>{1.0, std::nan("")}}) {
    NetworkConfig cfg = smallConfig(2, true, true, Activation::Swish);
    cfg.outputScale = bad;
    try {
      Network net(cfg);
      FAIL() << "expected invalid_argument";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("network.outputScale"), std::string::npos);
    }
  }
}

TEST(NetworkConfigValidation, PeriodicNeedsTheEmbeddingAndNoDirichletFactorAlongItsAxis) {
  const auto refused = [](const NetworkConfig& cfg, const std::string& field) {
    try {
      Network net(cfg);
      ADD_FAILURE() << "expected invalid_argument for " << field;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("network." + field), std::string::npos) << e.what();
    }
  };
  for (const bool embedding : {false, true}) {
    NetworkConfig cfg = smallConfig(2, embedding, embedding, Activation::Swish);
    cfg.periodic = {true};
    refused(cfg, "periodic");
  }
  NetworkConfig cfg = smallConfig(2, true, false, Activation::Swish);
  cfg.periodic = {true, false};
  cfg.dirichlet = {true, true};
  refused(cfg, "periodic");
  cfg.dirichlet = {false, true};
  EXPECT_NO_THROW(Network{cfg});
  cfg.dirichlet = {false, true, false};
  refused(cfg, "dirichlet");
  cfg.dirichlet = {false, true};
  cfg.periodic = {};
  refused(cfg, "periodic");
}

TEST(NetworkConfigValidation, NamesTheField) {
  NetworkConfig cfg = smallConfig(2, true, true, Activation::Swish);
  cfg.width = 0;
  try {
    Network net(cfg);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("network.width"), std::string::npos);
  }
}

}  // namespace
}  // namespace nivp
