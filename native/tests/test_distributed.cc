// The communicator layer of sample-parallel runs: fingerprints, the one-process communicator,
// and c10d's Gloo process group with its ranks as threads of this process on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

#include "distributed/communicator.h"
#include "distributed/process_group.h"
#include "engine/dynamics.h"
#include "fit/fit.h"
#include "fit/gauss_newton.h"
#include "test_support.h"

namespace nivp {
namespace {

using nivp::testing::Clock;
using nivp::testing::untimedGaussNewton;

bool haveGloo() {
  const auto b = availableBackends();
  return std::find(b.begin(), b.end(), "gloo") != b.end();
}

// A socket bound to 127.0.0.1 on a free port (closed on destruction).
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

int freePort() { return Listener().port; }

DistributedConfig config(int rank, int world, int port, double timeoutSeconds = 20) {
  DistributedConfig c;
  c.rank = rank;
  c.worldSize = world;
  c.port = port;
  c.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeoutSeconds * 1000));
  c.fingerprint = {{"problem", "heat"}, {"samples", "100"}};
  return c;
}

// Runs f(rank) on `world` threads and returns each rank's error message ("" when it returned).
template <typename F>
std::vector<std::string> onRanks(int world, F f) {
  std::vector<std::future<std::string>> futures;
  for (int r = 0; r < world; ++r)
    futures.push_back(std::async(std::launch::async, [f, r]() -> std::string {
      try {
        f(r);
        return "";
      } catch (const std::exception& e) {
        return e.what();
      }
    }));
  std::vector<std::string> out;
  for (auto& fu : futures) out.push_back(fu.get());
  return out;
}

TEST(Fingerprint, RoundTripsAndNamesTheFirstDifference) {
  const Fingerprint a{{"problem", "heat:1"}, {"samples", "4000"}, {"odd", std::string("a:1\n\0b", 7)}};
  EXPECT_EQ(decodeFingerprint(encodeFingerprint(a)), a);
  EXPECT_EQ(describeDifference(a, 0, a, 1), "");
  Fingerprint b = a;
  b[1].second = "2000";
  EXPECT_EQ(describeDifference(a, 0, b, 1), "samples differs: 4000 on rank 0, 2000 on rank 1");
  b.pop_back();
  b[1].second = "4000";
  EXPECT_EQ(describeDifference(a, 0, b, 3), "odd is set on rank 0 but not on rank 3");
  EXPECT_THROW(decodeFingerprint("12:ab"), DistributedError);
}

TEST(LocalCommunicator, LeavesSumsAsTheyAre) {
  LocalCommunicator local;
  at::Tensor x = at::arange(5, at::kDouble);
  sumOverRanks(&local, {x});
  sumOverRanks(nullptr, {x});
  EXPECT_TRUE(at::equal(x, at::arange(5, at::kDouble)));
  EXPECT_EQ(local.checkReplicated(x, 0.5, "step 1", 3), 3);
  EXPECT_EQ(local.stats().calls, 0);
}

TEST(Gloo, SumsMaxesAndChecksReplicationAcrossRanks) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  const int port = freePort();
  const auto errors = onRanks(3, [port](int r) {
    auto comm = connectProcessGroup(config(r, 3, port));
    ASSERT_EQ(comm->rank(), r);
    ASSERT_EQ(comm->worldSize(), 3);
    // Two tensors of different shapes in one message; rank r contributes (r + 1)·x.
    at::Tensor a = at::arange(6, at::kDouble).view({2, 3}).mul(r + 1);
    at::Tensor b = at::full({4}, 0.5 * r, at::kDouble);
    comm->allReduceSum({a, b.narrow(0, 1, 2)});  // a non-contiguous-safe view
    EXPECT_TRUE(at::allclose(a, at::arange(6, at::kDouble).view({2, 3}).mul(6)));
    EXPECT_DOUBLE_EQ(b[1].item<double>(), 1.5);
    EXPECT_DOUBLE_EQ(b[0].item<double>(), 0.5 * r);  // outside the view: untouched
    at::Tensor m = at::tensor(std::vector<int64_t>{r, -r}, at::kLong);
    comm->allReduceMax(m);
    EXPECT_EQ(m[0].item<int64_t>(), 2);
    EXPECT_EQ(m[1].item<int64_t>(), 0);
    const at::Tensor theta = at::linspace(-1, 1, 3001, at::kDouble);
    EXPECT_EQ(comm->checkReplicated(theta, 0.25, "step 1", r == 1 ? 1 : 0), 1);  // the votes' maximum
    EXPECT_EQ(comm->checkReplicated(theta.to(at::kFloat), 0.25, "step 2"), 0);
    // One rank's θ differs in its last bit: every rank must throw.
    at::Tensor diverged = theta.clone();
    if (r == 2) diverged[7] = std::nextafter(diverged[7].item<double>(), 2.0);
    EXPECT_THROW(comm->checkReplicated(diverged, 0.25, "step 3"), DistributedError);
    // So must a different t.
    EXPECT_THROW(comm->checkReplicated(theta, r == 0 ? 0.5 : 0.25, "step 4"), DistributedError);
    EXPECT_EQ(comm->stats().calls, 6);  // a sum, a max, four checks
    comm->barrier();
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

TEST(Gloo, DifferentConfigurationsFailOnEveryRankNamingTheEntry) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  const int port = freePort();
  const auto errors = onRanks(2, [port](int r) {
    DistributedConfig c = config(r, 2, port);
    if (r == 1) c.fingerprint[1].second = "200";
    connectProcessGroup(c);
  });
  for (const auto& e : errors) EXPECT_NE(e.find("samples differs"), std::string::npos) << e;
}

TEST(Gloo, DifferentWorldSizesFailOnEveryRank) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  const int port = freePort();
  const auto start = Clock::now();
  const auto errors = onRanks(2, [port](int r) { connectProcessGroup(config(r, r == 0 ? 3 : 2, port)); });
  for (const auto& e : errors) EXPECT_NE(e.find("worldSize differs"), std::string::npos) << e;
  EXPECT_LT(nivp::testing::seconds(start), 10.0);  // found at rendezvous, not by the timeout
}

TEST(Gloo, AMissingPeerFailsWithinTheTimeout) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  const auto start = Clock::now();
  try {
    connectProcessGroup(config(0, 2, freePort(), 1.0));
    FAIL() << "joined without rank 1";
  } catch (const DistributedError& e) {
    EXPECT_NE(std::string(e.what()).find("rank 1 did not join within 1 s"), std::string::npos) << e.what();
  }
  EXPECT_LT(nivp::testing::seconds(start), 8.0);
}

TEST(Gloo, ABusyPortIsNamed) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  Listener busy;
  try {
    connectProcessGroup(config(0, 2, busy.port, 2.0));
    FAIL() << "hosted the store on a busy port";
  } catch (const DistributedError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot host the rendezvous store at 127.0.0.1:" +
                                         std::to_string(busy.port)),
              std::string::npos)
        << e.what();
  }
}

TEST(Gloo, APeerThatLeavesMakesTheOthersFailPromptly) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  const int port = freePort();
  const auto start = Clock::now();
  const auto errors = onRanks(2, [port](int r) {
    auto comm = connectProcessGroup(config(r, 2, port, 30.0));
    at::Tensor x = at::ones({1000}, at::kDouble);
    comm->allReduceSum({x});
    if (r == 1) {
      comm->shutdown("rank 1 was cancelled");
      EXPECT_THROW(comm->allReduceSum({x}), DistributedError);
      return;
    }
    comm->allReduceSum({x});
  });
  EXPECT_NE(errors[0].find("an all-reduce of 8000 bytes failed on rank 0 of 2"), std::string::npos)
      << errors[0];
  EXPECT_EQ(errors[1], "");
  EXPECT_LT(nivp::testing::seconds(start), 15.0);  // well before the 30 s timeout
}

// The hook of the numerical code: two ranks, each with half of the points, against one Dynamics
// (and one fit) on the union; the truth is the one-process code, tested on its own elsewhere.
struct HeatSetup {
  std::shared_ptr<const Network> net;
  Program program;
  JetRequest jets;
  at::Tensor theta, points;  // points: the union, n×2
  HeatSetup() {
    NetworkConfig cfg;
    cfg.dim = 2;
    cfg.width = 24;
    cfg.depth = 2;
    cfg.frequencies = 2;
    cfg.lower = {0.0, -1.0};
    cfg.upper = {1.0, 1.0};
    net = std::make_shared<const Network>(cfg);
    PlanNode lap, k, mul;
    lap.op = PlanOp::Field;
    lap.field = 0;
    lap.term = JetTerm::Lap;
    k.op = PlanOp::Const;
    k.value = 0.1;
    mul.op = PlanOp::Mul;
    mul.a = 0;
    mul.b = 1;
    program.nodes = {lap, k, mul};
    program.isStatic = {false, true, false};
    program.outputs = {2};
    jets.laplacian = true;
    theta = net->initialParameters(3);
    at::Generator gen = nivp::testing::seeded(5);
    points = uniformPoints(*net, 401, gen);
  }
  Dynamics dynamics(LinearSolverConfig linear, std::shared_ptr<Communicator> comm = nullptr) const {
    Dynamics d(net, ProgramEvaluator(program, jets.pairs), jets, linear);
    d.setCommunicator(std::move(comm));
    return d;
  }
};

TEST(Gloo, TwoRanksOnHalvesOfThePointsSolveAsOneProcessOnTheUnion) {
  if (!haveGloo()) GTEST_SKIP() << "this libtorch has no c10d Gloo headers";
  const HeatSetup setup;
  const int64_t n = setup.points.size(0), half = n / 2;
  // μ as given: in units of this small network's u it would leave M so ill-conditioned that the
  // summation order alone moves θ̇ in the 8th digit.
  LinearSolverConfig pcg;
  pcg.muRelative = false;
  pcg.reusePreconditioner = false;
  pcg.rank = 30;
  pcg.tol = 1e-12;
  pcg.sketchRows = 0;  // the full sketch, as sample-parallel runs use (not each process's own rows)
  LinearSolverConfig dense;
  dense.method = LinearSolverConfig::Method::Dense;
  dense.muRelative = false;
  // And both with gradient rows, whose stencil sums are completed over the processes too.
  LinearSolverConfig pcgGraded = pcg, denseGraded = dense;
  pcgGraded.gradientWeights = denseGraded.gradientWeights = {0.5};
  const std::vector<LinearSolverConfig> linears = {pcg, dense, pcgGraded, denseGraded};
  std::vector<DynamicsResult> union_;
  for (const auto& linear : linears) {
    const Dynamics d = setup.dynamics(linear);
    at::Generator gen = nivp::testing::seeded(9);
    union_.push_back(d.evaluate(setup.theta, 0.0, d.samples(setup.points), at::Tensor(), gen));
  }
  // The fit's gradient step and head solve: Adam on one fixed batch, then the head.
  const auto fitOn = [&](const at::Tensor& points, Communicator* comm) {
    at::Tensor theta = setup.theta.clone();
    const at::Tensor target = at::sin(points.select(1, 0) * 3).unsqueeze(1);
    AdamOptions adam;
    adam.steps = 5;
    adam.batch = n;
    BatchSource source = [&](int64_t, at::Generator&) { return Batch{points, target, at::Tensor()}; };
    at::Generator gen = nivp::testing::seeded(1);
    fitAdam(*setup.net, theta, source, adam, gen, comm);
    const double error = relativeError(*setup.net, theta, points, target, comm);
    return std::make_pair(theta, error);
  };
  const auto [fitted, fitError] = fitOn(setup.points, nullptr);
  // The Gauss–Newton fit: three iterations on one fixed batch (its own held-out set here).
  const auto gaussNewtonOn = [&](const at::Tensor& points, Communicator* comm) {
    at::Tensor theta = setup.theta.clone();
    const Batch batch{points, at::sin(points.select(1, 0) * 3).unsqueeze(1), at::Tensor()};
    BatchSource source = [&](int64_t, at::Generator&) { return batch; };
    GaussNewtonOptions o = untimedGaussNewton();
    o.maxIterations = 3;
    o.rank = 20;
    o.cgTol = 1e-12;
    o.cgMaxIters = 2000;
    at::Generator gen = nivp::testing::seeded(2);  // the same sketches on every rank
    const GaussNewtonReport report = fitGaussNewton(*setup.net, theta, source, batch, o, gen, comm);
    return std::make_pair(theta, report.error);
  };
  const auto [gnFitted, gnError] = gaussNewtonOn(setup.points, nullptr);

  const int port = freePort();
  std::vector<std::vector<DynamicsResult>> results(2);
  std::vector<std::pair<at::Tensor, double>> fits(2), gnFits(2);
  const auto errors = onRanks(2, [&](int r) {
    auto comm = connectProcessGroup(config(r, 2, port));
    const at::Tensor mine = setup.points.narrow(0, r == 0 ? 0 : half, r == 0 ? half : n - half);
    for (const auto& linear : linears) {
      const Dynamics d = setup.dynamics(linear, comm);
      SampleSet set = d.samples(mine);
      set.total = n;
      at::Generator gen = nivp::testing::seeded(9);  // the same Ω on every rank
      results[r].push_back(d.evaluate(setup.theta, 0.0, set, at::Tensor(), gen));
    }
    fits[r] = fitOn(mine, comm.get());
    gnFits[r] = gaussNewtonOn(mine, comm.get());
  });
  for (const auto& e : errors) ASSERT_EQ(e, "");
  for (int r = 0; r < 2; ++r) {
    for (size_t m = 0; m < linears.size(); ++m) {
      const DynamicsResult &got = results[r][m], &want = union_[m];
      // The stencil's differences magnify the sums' rounding by 1/h, so with gradient rows the
      // summation order moves CG at tol 1e-12 by a few iterations and θ̇ in the 9th digit.
      const bool graded = !linears[m].gradientWeights.empty();
      const double tol = graded ? 1e-7 : 1e-9;
      EXPECT_LE(nivp::testing::relativeError(got.thetaDot, want.thetaDot), tol)
          << "rank " << r << " method " << m;
      EXPECT_NEAR(got.residual, want.residual, tol * want.residual);
      EXPECT_NEAR(got.cgIterations, want.cgIterations, graded ? 5 : 0);
      EXPECT_TRUE(at::equal(got.thetaDot, results[0][m].thetaDot));  // replicated bit for bit
    }
    EXPECT_LE(nivp::testing::relativeError(fits[r].first, fitted), 1e-12);
    EXPECT_NEAR(fits[r].second, fitError, 1e-12 * fitError);
    EXPECT_LE(nivp::testing::relativeError(gnFits[r].first, gnFitted), 1e-9) << "rank " << r;
    EXPECT_NEAR(gnFits[r].second, gnError, 1e-9 * gnError);
    EXPECT_TRUE(at::equal(gnFits[r].first, gnFits[0].first));  // replicated bit for bit
  }
}

}  // namespace
}  // namespace nivp
