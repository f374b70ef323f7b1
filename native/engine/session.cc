#include "engine/session.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/launches.h"
#include "engine/linearization.h"

namespace nivp {

namespace {

at::Generator seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Independent streams per purpose, so that e.g. a restart does not shift the sampling sequence.
enum Stream : uint64_t { Sampling = 1, Sketch = 2, Fitting = 3, Evaluation = 4 };
at::Generator stream(uint64_t seed, Stream which) { return seeded(seed * 4 + which); }

// The held-out points' stream, apart from the four above (seed·4 + k covers every integer, so it
// is spread by the share mix with a share index no run reaches).
uint64_t heldOutSeed(uint64_t seed) { return shareSeed(seed * 4 + Sampling, int64_t{1} << 40); }

JetRequest noJets() { return JetRequest{}; }

// A set drawn in shares is solved with the full Nyström sketch, as a sample-parallel run must (each
// process's sampled rows would give each its own preconditioner): so one process drawing every
// share reproduces the run of several.
LinearSolverConfig linearFor(const SessionConfig& config) {
  LinearSolverConfig linear = config.linear;
  if (config.shares.count > 1) linear.sketchRows = 0;
  return linear;
}

}  // namespace

Session::Session(SessionConfig config)
    : config_(std::move(config)),
      network_(std::make_shared<const Network>(config_.network)),
      dynamics_(network_, ProgramEvaluator(config_.rhs, config_.jets.pairs), config_.jets,
                linearFor(config_)),
      measuring_(dynamics_),
      comm_(std::make_shared<LocalCommunicator>()),
      sketch_(stream(config_.seed, Sketch)) {
  const SampleShares& shares = config_.shares;
  bool valid = shares.count >= 1 && !shares.drawn.empty();
  for (size_t i = 0; i < shares.drawn.size(); ++i)
    valid = valid && shares.drawn[i] >= 0 && shares.drawn[i] < shares.count &&
            (i == 0 || shares.drawn[i] > shares.drawn[i - 1]);
  // Without a communicator the sums are complete only when this process draws every share.
  if (!valid || static_cast<int64_t>(shares.drawn.size()) != shares.count)
    throw std::invalid_argument("sampleShares: a one-process session draws every share, in order");
  dynamics_.setLaunchCounting(config_.countLaunches);
  sampling_ = streams(config_.seed * 4 + Sampling);
  fitting_ = streams(config_.seed * 4 + Fitting);
  evaluation_ = streams(config_.seed * 4 + Evaluation);
  heldOut_ = streams(heldOutSeed(config_.seed));
  // The right-hand side is checked by Dynamics. Programs index their nodes and the fields' jets,
  // so these checks are memory safety, not option validation (which is TypeScript's).
  const auto& cfg = config_.network;
  if (config_.initial) {
    config_.initial->validate("plan.initial", cfg.dim, cfg.fields, {});
    if (config_.initial->usesFields()) throw std::invalid_argument("plan.initial: may not use fields");
    initial_.emplace(*config_.initial, std::vector<std::pair<int64_t, int64_t>>{});
  }
  if (config_.exact) {
    config_.exact->validate("plan.exact", cfg.dim, cfg.fields, {});
    if (config_.exact->usesFields()) throw std::invalid_argument("plan.exact: may not use fields");
    exact_.emplace(*config_.exact, std::vector<std::pair<int64_t, int64_t>>{});
  }
}

int64_t Session::store(at::Tensor vector) {
  std::lock_guard<std::mutex> lock(storeMutex_);
  const int64_t handle = nextHandle_++;
  vectors_.emplace(handle, std::move(vector));
  return handle;
}

at::Tensor Session::get(int64_t handle) const {
  std::lock_guard<std::mutex> lock(storeMutex_);
  const auto it = vectors_.find(handle);
  if (it == vectors_.end())
    throw std::invalid_argument("handle " + std::to_string(handle) + " is not a live vector");
  return it->second;
}

void Session::release(const std::vector<int64_t>& handles) {
  std::lock_guard<std::mutex> lock(storeMutex_);
  for (const int64_t handle : handles) vectors_.erase(handle);
}

size_t Session::storedVectors() const {
  std::lock_guard<std::mutex> lock(storeMutex_);
  return vectors_.size();
}

at::Tensor Session::combine(const at::Tensor& base, const Terms& terms) const {
  at::Tensor out =
      base.defined() ? base.clone() : at::zeros({network_->parameterCount()}, network_->options());
  for (const auto& [coefficient, vector] : terms)
    if (coefficient != 0) out.add_(vector, coefficient);
  return out;
}

Session::Streams Session::streams(uint64_t seed) const {
  Streams out;
  for (const int64_t share : config_.shares.drawn) out.push_back(seeded(shareSeed(seed, share)));
  return out;
}

Batch Session::drawShares(const ShareSource& source, int64_t total, Streams& streams) {
  const SampleShares& shares = config_.shares;
  if (shares.drawn.size() == 1) return source(shares.size(total, shares.drawn[0]), 0, streams[0]);
  std::vector<Batch> parts;
  bool weighted = false;
  for (size_t i = 0; i < shares.drawn.size(); ++i) {
    parts.push_back(source(shares.size(total, shares.drawn[i]), i, streams[i]));
    weighted = weighted || parts.back().weights.defined();
  }
  std::vector<at::Tensor> points, values, weights;
  for (const Batch& b : parts) {
    points.push_back(b.points);
    values.push_back(b.values);
    if (weighted)
      weights.push_back(b.weights.defined() ? b.weights : at::ones({b.points.size(0)}, b.points.options()));
  }
  return Batch{at::cat(points), at::cat(values), weighted ? at::cat(weights) : at::Tensor()};
}

at::Tensor Session::plainPoints(int64_t n, at::Generator& gen) const {
  const NetworkConfig& cfg = network_->config();
  return boxPoints(n, cfg.lower, cfg.upper, config_.sampling.sequence, gen);
}

namespace {

// Σ_a |u_a|^q / mean|u_a|^q: every field counts alike whatever its scale.
at::Tensor absoluteMass(const at::Tensor& values, double power) {
  const at::Tensor a = toHost(values.abs().pow(power));
  const at::Tensor scale = a.mean(0, /*keepdim=*/true);
  return (a / scale.clamp_min(1e-300)).sum(1);
}

}  // namespace

std::pair<WeightedPoints, WeightedPoints> Session::pointShares(int64_t total, Streams& streams,
                                                               const Target& mass, int64_t heldOutTotal) {
  // Each share follows its own proposal, built from its own stream: every share's weights are
  // exact for its points, so the union stays unbiased and a one-process run drawing all shares
  // reproduces a distributed one.
  std::vector<std::optional<KernelMixture>> mixtures(config_.shares.drawn.size());
  const ShareSource source = [&](int64_t n, size_t share, at::Generator& gen) {
    if (mass) mixtures[share] = proposal(mass, gen);
    return sharePoints(mixtures[share], n, gen);
  };
  const Batch drawn = drawShares(source, total, streams);
  // The held-out points come from the same proposals, drawn from their own streams, so that
  // measuring leaves the solve's points as they were.
  WeightedPoints heldOut;
  if (heldOutTotal > 0) {
    const ShareSource heldOutSource = [&](int64_t n, size_t share, at::Generator& gen) {
      return sharePoints(mixtures[share], n, gen);
    };
    const Batch held = drawShares(heldOutSource, heldOutTotal, heldOut_);
    heldOut = WeightedPoints{held.points, held.weights};
  }
  return {WeightedPoints{drawn.points, drawn.weights}, heldOut};
}

Batch Session::sharePoints(const std::optional<KernelMixture>& mixture, int64_t n, at::Generator& gen) const {
  if (mixture) {
    const WeightedPoints drawn = mixture->sample(n, config_.sampling.sequence, gen);
    return Batch{drawn.points, drawn.points, drawn.weights};
  }
  const at::Tensor points = plainPoints(n, gen);
  return Batch{points, points, at::Tensor()};
}

template <typename F>
auto Session::collective(F&& work) -> decltype(work()) {
  if (comm_->worldSize() <= 1) return work();
  try {
    return work();
  } catch (const DistributedError&) {
    throw;  // the communicator has left the run already
  } catch (const Cancelled&) {
    comm_->shutdown("rank " + std::to_string(comm_->rank()) + " was cancelled");
    throw;
  } catch (const std::exception& e) {
    comm_->shutdown("rank " + std::to_string(comm_->rank()) + " failed: " + e.what());
    throw;
  }
}

void Session::join(const DistributedConfig& config) {
  if (comm_->worldSize() > 1 || config_.shares.count != 1)
    throw std::invalid_argument("join: this session already takes part in a sample-parallel run");
  if (config_.samples < config.worldSize) throw std::invalid_argument("join: fewer samples than processes");
  std::shared_ptr<Communicator> comm = joinProcessGroup(config);
  comm_ = comm;
  config_.shares = SampleShares{config.worldSize, {config.rank}};
  sampling_ = streams(config_.seed * 4 + Sampling);
  fitting_ = streams(config_.seed * 4 + Fitting);
  evaluation_ = streams(config_.seed * 4 + Evaluation);
  heldOut_ = streams(heldOutSeed(config_.seed));
  dynamics_.setCommunicator(comm);
  samples_.reset();
  preconditioners_.clear();
}

int64_t Session::checkReplicated(const at::Tensor& theta, double t, const std::string& what, int64_t vote) {
  return collective([&] { return comm_->checkReplicated(theta, t, what, vote); });
}

void Session::resample(const at::Tensor& theta) {
  Target mass;
  if (theta.defined()) mass = [this, theta](const at::Tensor& points) { return evaluate(theta, points); };
  // Every share holds at least one held-out point, or none is drawn (its residual sums over shares).
  const int64_t heldOutTotal = config_.heldOutSamples >= config_.shares.count ? config_.heldOutSamples : 0;
  const auto [drawn, heldOut] = pointShares(config_.samples, sampling_, mass, heldOutTotal);
  samples_ = dynamics_.samples(drawn.points, drawn.weights);
  samples_->total = config_.samples;
  heldOutSamples_.reset();
  if (heldOut.points.defined()) {
    heldOutSamples_ = dynamics_.samples(heldOut.points, heldOut.weights);
    heldOutSamples_->total = heldOutTotal;
  }
}

StageResult Session::stage(double t, const at::Tensor& base, const Terms& terms, bool resample,
                           const std::function<bool()>& cancelled) {
  return collective([&] {
    StageResult result;
    const at::Tensor theta = terms.empty() ? base : combine(base, terms);
    if (resample || !samples_) {
      const auto start = std::chrono::steady_clock::now();
      this->resample(config_.sampling.importance ? theta : at::Tensor());
      result.samplingSeconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    PreconditionerCache* reuse = &preconditioners_;  // each block's mode, and kept ones with reuse
    result.dynamics = dynamics_.evaluate(theta, t, *samples_, lastThetaDot_, sketch_, cancelled, reuse);
    result.finite = result.dynamics.thetaDot.isfinite().all().item<bool>();
    if (result.finite) lastThetaDot_ = result.dynamics.thetaDot;
    if (resample && heldOutSamples_ && result.finite) {
      const auto start = std::chrono::steady_clock::now();
      result.heldOutResidual =
          dynamics_.heldOutResidual(theta, t, result.dynamics.thetaDot, *heldOutSamples_);
      result.heldOutSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    return result;
  });
}

StepEnd Session::finishStep(const at::Tensor& y, const Terms& solution, const Terms& error, ErrorNorm norm) {
  StepEnd end;
  end.y1 = combine(y, solution);
  const at::Tensor err = combine(at::Tensor(), error);
  at::Tensor size;
  if (norm == ErrorNorm::Function) {
    if (!samples_) throw std::invalid_argument("finishStep: the function norm needs a stage's samples");
    size = collective([&] {
      const Linearization lin(*network_, y, samples_->points);
      at::Tensor squares = at::stack(
          {lin.jvp(err.unsqueeze(1)).square().sum(), network_->variation(lin.values()).square().sum()});
      sumOverRanks(comm_.get(), {squares});  // every process takes the same decision
      const at::Tensor u = squares[1];
      return (squares[0] / at::where(u > 0, u, at::ones_like(u))).sqrt();  // u = 0: absolute
    });
  } else {
    size = err.norm();
  }
  const at::Tensor flags = at::stack({size, end.y1.isfinite().all().to(end.y1.scalar_type())});
  const at::Tensor host = toHost(flags);  // one device sync for both scalars
  const double* h = host.data_ptr<double>();
  end.errorNorm = h[0];
  end.finite = h[1] != 0;
  return end;
}

std::pair<Session::ShareSource, Session::ShareSource> Session::targetSources(const Target& target) {
  const auto opts = network_->options();
  // Importance sampling ∝ |target|: one proposal per share, from the share's own fit stream.
  std::vector<std::optional<KernelMixture>> mixtures(config_.shares.drawn.size());
  for (size_t i = 0; i < mixtures.size(); ++i) mixtures[i] = proposal(target, fitting_[i]);
  // n points of a share as every point set draws them (sharePoints), on the network's device, with
  // the target's values.
  const auto drawWithTarget = [this, target, mixtures, opts](int64_t n, size_t share, at::Generator& gen) {
    const Batch drawn = sharePoints(mixtures[share], n, gen);
    const at::Tensor points = drawn.points.to(opts);
    return Batch{points, target(points), drawn.weights.defined() ? drawn.weights.to(opts) : at::Tensor()};
  };
  const ShareSource weighted = drawWithTarget;
  // Held out: fresh points in the problem's domain, where the fit's error is reported; drawn from
  // the share's proposal (weighted) where the domain is the whole box, since uniform points miss
  // a concentrated target, and the relative error then compares noise in its tails.
  const bool domainIsBox = this->domainIsBox();
  const ShareSource heldOut = [this, target, mixtures, domainIsBox, drawWithTarget](int64_t n, size_t share,
                                                                                    at::Generator& gen) {
    if (!mixtures[share] || !domainIsBox) {
      const at::Tensor points = domainPoints(n, gen);
      return Batch{points, target(points), at::Tensor()};
    }
    return drawWithTarget(n, share, gen);
  };
  return {weighted, heldOut};
}

namespace {

// What an Adam run (the whole fit, or the warm-up before Gauss–Newton) adds to the fit's result.
void recordAdam(const FitReport& adam, bool reachedTol, SessionFitResult& result) {
  result.iterations = adam.steps;
  result.loss = adam.loss;
  if (reachedTol) {
    result.stopped = FitStop::Tolerance;
    result.message = "reached the tolerance";
  } else if (adam.outOfTime) {
    result.stopped = FitStop::Budget;
    result.message = "ran out of time";
  } else if (adam.stopped) {
    result.stopped = FitStop::Stalled;
    result.message = "stopped by the caller";
  } else {
    result.stopped = FitStop::Steps;
    result.message = "reached the iteration cap";
  }
}

// What the Gauss–Newton fit adds to the result (after a warm-up's steps, if any).
void recordGaussNewton(const GaussNewtonReport& report, SessionFitResult& result) {
  result.iterations += report.iterations;
  result.stopped = report.stopped;
  result.message = report.message;
  result.rejected = report.rejected;
  result.cgIterations = report.cgIterations;
  result.samples = report.samples;
}

// The last layer refitted by least squares on `batch`, kept only when it does not raise the
// held-out error: after a converged Gauss–Newton fit it may not help.
void tuneHeadIfBetter(const Network& network, const Batch& batch, const Batch& heldOut, double lambda,
                      Communicator* comm, SessionFitResult& result) {
  at::Tensor tuned = result.theta.clone();
  if (!tuneHead(network, tuned, batch.points, batch.values, lambda, batch.weights, comm)) return;
  const double error = fieldErrors(network, tuned, heldOut, comm).relative();
  if (std::isfinite(error) && !(error > result.relativeError)) {
    result.theta = tuned;
    result.relativeError = error;
    result.headTuned = true;
  }
}

// A batch of a positive target as the subnetwork of an Output::Exp network sees it: m = log(u/(c·B)),
// c the field's output scale. Values below 1e-8 of the batch's largest are raised to it, so that
// tails where u underflows or vanishes ask for a plateau far below the peak rather than for −∞.
Batch logTarget(const Network& network, const Batch& batch) {
  const at::Tensor B = network.boundaryFactor(network.scaled(batch.points)).clamp_min(1e-300);
  const NetworkConfig& cfg = network.config();
  at::Tensor ratio = batch.values / B;
  if (!cfg.outputScale.empty())
    ratio = ratio / at::tensor(cfg.outputScale, at::TensorOptions().dtype(at::kDouble)).to(ratio.options());
  const at::Tensor floor = ratio.amax(0, /*keepdim=*/true).clamp_min(1e-300) * 1e-8;
  return Batch{batch.points, at::log(at::maximum(ratio, floor)), batch.weights};
}

// The network an Output::Exp network's subnetwork is pre-fitted as: the same θ layout, u = m.
NetworkConfig logSpaceConfig(NetworkConfig config) {
  config.output = Output::Linear;
  config.dirichlet = {false};
  config.outputScale.clear();
  return config;
}

}  // namespace

SessionFitResult Session::fit(const ShareSource& source, const ShareSource& heldOutSource, uint64_t seed,
                              const at::Tensor& from, const SessionFitConfig& config,
                              const std::function<bool()>& cancelled) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto remaining = [&]() {
    if (config.maxSeconds <= 0) return 0.0;
    // A spent budget still leaves the next loop a sliver (≤ 0 would mean "no limit").
    return std::max(1e-9, config.maxSeconds - std::chrono::duration<double>(Clock::now() - start).count());
  };
  Communicator* comm = comm_.get();
  // The fits ask for whole sets; each process draws its shares of them.
  const BatchSource shares = [&](int64_t n, at::Generator&) { return drawShares(source, n, fitting_); };
  // Replicated: the same Nyström test matrices in every process.
  at::Generator sketches = stream(seed, Sketch);
  SessionFitResult result;
  result.theta = from.defined() ? from.to(network_->options()).clone() : network_->initialParameters(seed);
  return collective([&] {
    const Batch heldOut = drawShares(heldOutSource, config.errorSamples, evaluation_);
    if (from.defined()) result.initialError = fieldErrors(*network_, result.theta, heldOut, comm).relative();
    if (!from.defined() && network_->config().output == Output::Exp) {
      // A fresh θ under Output::Exp is first fitted in log space: Gauss–Newton on u = B·e^m from
      // a random m (u ≈ B) meets residuals orders of magnitude beyond its linearisation, where
      // m against log(u/B) is an ordinary fit of a smooth function. Half the budget, so that the
      // fit in u starts from a θ it can linearise at.
      const Network logNetwork(logSpaceConfig(network_->config()));
      const BatchSource logShares = [&](int64_t n, at::Generator& gen) {
        return logTarget(*network_, shares(n, gen));
      };
      GaussNewtonOptions gn = config.gaussNewton;
      gn.maxIterations = std::max<int64_t>(1, config.maxIterations / 2);
      gn.tol = config.tol;
      gn.maxSeconds = config.maxSeconds > 0 ? remaining() / 2 : 0.0;
      gn.cancelled = cancelled;
      fitGaussNewton(logNetwork, result.theta, logShares, logTarget(*network_, heldOut), gn, sketches, comm);
    }
    const bool adamOnly = config.method == SessionFitConfig::Method::Adam;
    const int64_t adamSteps = adamOnly ? config.maxIterations : config.warmupSteps;
    if (adamSteps > 0) {
      AdamOptions adam = config.adam;
      adam.steps = adamSteps;
      adam.maxSeconds = remaining();
      const auto userProgress = adam.progress;
      bool reachedTol = false;
      adam.progress = [&](int64_t step, double loss) {
        if (cancelled && cancelled()) return false;
        if (userProgress && !userProgress(step, loss)) return false;
        // Every process computes the same (summed) error, so they all stop at the same step.
        if (adamOnly && config.tol > 0 &&
            fieldErrors(*network_, result.theta, heldOut, comm).relative() <= config.tol) {
          reachedTol = true;
          return false;
        }
        return true;
      };
      const FitReport adamReport = fitAdam(*network_, result.theta, shares, adam, fitting_[0], comm);
      if (cancelled && cancelled()) throw Cancelled();
      recordAdam(adamReport, reachedTol, result);
    }
    const bool budgetLeft = !(adamSteps > 0 && result.stopped == FitStop::Budget);
    if (!adamOnly && budgetLeft) {
      GaussNewtonOptions gn = config.gaussNewton;
      gn.maxIterations = config.maxIterations;
      gn.tol = config.tol;
      gn.maxSeconds = remaining();
      gn.cancelled = cancelled;
      if (config.adam.progress) {
        const auto userProgress = config.adam.progress;
        const int64_t offset = result.iterations;
        gn.progress = [userProgress, offset](int64_t iteration, double error) {
          return userProgress(offset + iteration, error);
        };
      }
      recordGaussNewton(fitGaussNewton(*network_, result.theta, shares, heldOut, gn, sketches, comm), result);
    }
    result.relativeError = fieldErrors(*network_, result.theta, heldOut, comm).relative();
    // The head's least squares is linear in the output: under Output::Exp it is not.
    if (config.headTuning && network_->config().output == Output::Linear) {
      tuneHeadIfBetter(*network_, drawShares(source, config.headSamples, fitting_), heldOut,
                       config.headLambda, comm, result);
    }
    if (config.tol > 0 && result.relativeError <= config.tol && result.stopped != FitStop::Tolerance) {
      result.stopped = FitStop::Tolerance;
      result.message = "reached the tolerance after head tuning";
    }
    return result;
  });
}

SessionFitResult Session::fitInitial(const SessionFitConfig& config, const at::Tensor& poolPoints,
                                     const at::Tensor& poolValues, const std::function<bool()>& cancelled) {
  if (poolPoints.defined()) {
    // Values known only on a pool (initialValues): batches are rows of the pool.
    const auto opts = network_->options();
    const at::Tensor points = poolPoints.to(opts), values = poolValues.to(opts);
    const ShareSource source = [points, values](int64_t n, size_t, at::Generator& gen) {
      const at::Tensor rows = at::randint(points.size(0), {n}, gen, at::TensorOptions().dtype(at::kLong));
      const at::Tensor idx = rows.to(points.device());
      return Batch{points.index_select(0, idx), values.index_select(0, idx), at::Tensor()};
    };
    preconditioners_.clear();  // θ is replaced: M will be another matrix
    return fit(source, source, config_.seed, at::Tensor(), config, cancelled);
  }
  if (!initial_)
    throw std::invalid_argument("fitInitial: the problem has neither an initial program nor initialValues");
  const auto [source, heldOut] = targetSources(
      [this](const at::Tensor& points) { return initial_->evaluate(points, 0.0, nullptr, nullptr); });
  preconditioners_.clear();
  return fit(source, heldOut, config_.seed, at::Tensor(), config, cancelled);
}

SessionFitResult Session::refit(const at::Tensor& theta, const SessionFitConfig& config,
                                const std::function<bool()>& cancelled) {
  const at::Tensor target = theta.to(network_->options()).clone();
  const auto [source, heldOut] =
      targetSources([this, target](const at::Tensor& points) { return evaluate(target, points); });
  preconditioners_.replaceParameters();
  return fit(source, heldOut, config_.seed + 1000 + static_cast<uint64_t>(++refits_), at::Tensor(), config,
             cancelled);
}

SessionFitResult Session::refineStep(const at::Tensor& y, const std::vector<StepStage>& stages,
                                     const at::Tensor& y1, const SessionFitConfig& config,
                                     const std::function<bool()>& cancelled) {
  const auto opts = network_->options();
  const at::Tensor from = y.to(opts).clone();
  std::vector<StepStage> inputs = stages;
  for (StepStage& s : inputs) s.theta = s.theta.to(opts).clone();
  const auto [source, heldOut] = targetSources([this, from, inputs](const at::Tensor& points) {
    at::Tensor target = evaluate(from, points);
    for (const StepStage& s : inputs)
      target = target + s.weight * dynamics_.rightHandSide(s.theta, s.t, points);
    return target;
  });
  // The refined θ stays near y1, so the kept preconditioners stay useful (their age bounds what
  // a stale one costs).
  const uint64_t seed = config_.seed + (uint64_t{1} << 32) + static_cast<uint64_t>(++refinements_);
  return fit(source, heldOut, seed, y1, config, cancelled);
}

at::Tensor Session::evaluate(const at::Tensor& theta, const at::Tensor& points) const {
  return network_->forward(theta, points.to(network_->options()), noJets()).values;
}

MeasureStreams Session::measureStreams() const {
  return MeasureStreams{stream(config_.seed, Sketch), stream(config_.seed, Evaluation)};
}

at::Tensor Session::domainPoints(int64_t n, at::Generator& gen) const {
  const NetworkConfig& cfg = network_->config();
  const bool grown = !config_.domainLower.empty();
  return boxPoints(n, grown ? config_.domainLower : cfg.lower, grown ? config_.domainUpper : cfg.upper,
                   PointSequence::Uniform, gen)
      .to(network_->options());
}

double Session::residual(const at::Tensor& theta, double t, int64_t samples, MeasureStreams& streams) const {
  const SampleSet set = measuring_.samples(domainPoints(samples, streams.evaluation));
  return measuring_.residual(theta, t, set, streams.sketch);
}

double Session::error(const at::Tensor& theta, double t, int64_t samples, MeasureStreams& streams) const {
  if (!exact_) throw std::invalid_argument("error: the problem has no exact solution");
  const auto truthAt = [&](const at::Tensor& points) {
    return exact_->evaluate(points, t, nullptr, nullptr);
  };
  // The proposal follows the truth and the misfit alike: a misfit where the truth is small (a
  // spurious bump of the network) would otherwise rest on the few uniform points that find it.
  const auto truthAndMisfit = [&](const at::Tensor& points) {
    const at::Tensor truth = truthAt(points);
    return at::cat({truth, evaluate(theta, points) - truth}, 1);
  };
  const WeightedPoints drawn = measurePoints(samples, truthAndMisfit, streams.evaluation);
  const at::Tensor points = drawn.points.to(network_->options());
  const FieldErrors sums = fieldErrors(*network_, theta, Batch{points, truthAt(points), drawn.weights});
  // Over all fields together; a truth that is zero everywhere has no relative error (NaN).
  return std::sqrt(sums.numerator.sum().item<double>() / sums.denominator.sum().item<double>());
}

WeightedPoints Session::measurePoints(int64_t n, const Target& mass, at::Generator& gen) const {
  if (domainIsBox()) {
    const auto mixture = proposal(mass, gen);
    if (mixture) return mixture->sample(n, config_.sampling.sequence, gen);
  }
  return WeightedPoints{domainPoints(n, gen), at::Tensor()};
}

std::optional<KernelMixture> Session::proposal(const Target& mass, at::Generator& gen) const {
  const NetworkConfig& cfg = network_->config();
  const SamplingConfig& sampling = config_.sampling;
  if (!sampling.importance) return {};
  // ∝ |u| as the paper samples, but ∝ u² under Output::Exp: e^m leaves tails at a small fraction
  // of the peak that no relative L2 fit or projection lowers, and in six or more dimensions their
  // volume outweighs a narrow density's in |u| (not in u², the measure the errors are taken in), so
  // that kernels ∝ |u| would leave the density itself to the uniform share.
  const double power = cfg.output == Output::Exp ? 2.0 : 1.0;
  return KernelMixture::adapt(
      cfg.lower, cfg.upper,
      [&](const at::Tensor& points) {
        return absoluteMass(network_->variation(mass(points.to(network_->options()))), power);
      },
      *sampling.importance, sampling.sequence, gen);
}

bool Session::domainIsBox() const {
  const NetworkConfig& cfg = network_->config();
  return config_.domainLower.empty() ||
         (config_.domainLower == cfg.lower && config_.domainUpper == cfg.upper);
}

}  // namespace nivp
