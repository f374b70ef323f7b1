#include "engine/session.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "engine/linearization.h"

namespace nivp {

namespace {

at::Generator seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Independent streams per purpose, so that e.g. a restart does not shift the sampling sequence.
enum Stream : uint64_t { Sampling = 1, Sketch = 2, Fitting = 3, Evaluation = 4 };
at::Generator stream(uint64_t seed, Stream which) { return seeded(seed * 4 + which); }

JetRequest noJets() { return JetRequest{}; }

}  // namespace

Session::Session(SessionConfig config)
    : config_(std::move(config)),
      network_(std::make_shared<const Network>(config_.network)),
      dynamics_(network_, ProgramEvaluator(config_.rhs, config_.jets.pairs), config_.jets, config_.linear),
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
  sampling_ = streams(config_.seed * 4 + Sampling);
  fitting_ = streams(config_.seed * 4 + Fitting);
  evaluation_ = streams(config_.seed * 4 + Evaluation);
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

std::pair<at::Tensor, at::Tensor> Session::drawShares(const BatchSource& source, int64_t total,
                                                      Streams& streams) {
  const SampleShares& shares = config_.shares;
  if (shares.drawn.size() == 1) return source(shares.size(total, shares.drawn[0]), streams[0]);
  std::vector<at::Tensor> points, values;
  for (size_t i = 0; i < shares.drawn.size(); ++i) {
    auto [x, y] = source(shares.size(total, shares.drawn[i]), streams[i]);
    points.push_back(std::move(x));
    values.push_back(std::move(y));
  }
  return {at::cat(points), at::cat(values)};
}

at::Tensor Session::pointShares(int64_t total, Streams& streams) {
  const SampleShares& shares = config_.shares;
  if (shares.drawn.size() == 1)
    return uniformPoints(*network_, shares.size(total, shares.drawn[0]), streams[0]);
  std::vector<at::Tensor> points;
  for (size_t i = 0; i < shares.drawn.size(); ++i)
    points.push_back(uniformPoints(*network_, shares.size(total, shares.drawn[i]), streams[i]));
  return at::cat(points);
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
  dynamics_.setCommunicator(comm);
  samples_.reset();
  preconditioners_.clear();
}

int64_t Session::checkReplicated(const at::Tensor& theta, double t, const std::string& what, int64_t vote) {
  return collective([&] { return comm_->checkReplicated(theta, t, what, vote); });
}

void Session::resample() {
  samples_ = dynamics_.samples(pointShares(config_.samples, sampling_));
  samples_->total = config_.samples;
}

StageResult Session::stage(double t, const at::Tensor& base, const Terms& terms, bool resample,
                           const std::function<bool()>& cancelled) {
  return collective([&] {
    StageResult result;
    if (resample || !samples_) {
      const auto start = std::chrono::steady_clock::now();
      this->resample();
      result.samplingSeconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const at::Tensor theta = terms.empty() ? base : combine(base, terms);
    PreconditionerCache* reuse = &preconditioners_;  // each block's mode, and kept ones with reuse
    result.dynamics = dynamics_.evaluate(theta, t, *samples_, lastThetaDot_, sketch_, cancelled, reuse);
    result.finite = result.dynamics.thetaDot.isfinite().all().item<bool>();
    if (result.finite) lastThetaDot_ = result.dynamics.thetaDot;
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
      at::Tensor squares = at::stack({lin.jvp(err.unsqueeze(1)).square().sum(), lin.values().square().sum()});
      sumOverRanks(comm_.get(), {squares});  // every process takes the same decision
      const at::Tensor u = squares[1];
      return (squares[0] / at::where(u > 0, u, at::ones_like(u))).sqrt();  // u = 0: absolute
    });
  } else {
    size = err.norm();
  }
  const at::Tensor flags = at::stack({size, end.y1.isfinite().all().to(end.y1.scalar_type())});
  const at::Tensor host = flags.to(at::kCPU, at::kDouble);  // one device sync for both scalars
  end.errorNorm = host[0].item<double>();
  end.finite = host[1].item<double>() != 0;
  return end;
}

SessionFitResult Session::fit(const BatchSource& source, uint64_t initSeed, const SessionFitConfig& config,
                              const std::function<bool()>& cancelled) {
  preconditioners_.clear();  // θ is replaced: M will be another matrix
  SessionFitResult result;
  result.theta = network_->initialParameters(initSeed);
  AdamOptions adam = config.adam;
  const auto userProgress = adam.progress;
  adam.progress = [&](int64_t step, double loss) {
    if (cancelled && cancelled()) return false;
    return userProgress ? userProgress(step, loss) : true;
  };
  Communicator* comm = comm_.get();
  // Adam asks for whole batches; each process draws its shares of them.
  const BatchSource shares = [&](int64_t n, at::Generator&) { return drawShares(source, n, fitting_); };
  return collective([&] {
    result.report = fitAdam(*network_, result.theta, shares, adam, fitting_[0], comm);
    if (result.report.stopped && cancelled && cancelled()) throw Cancelled();
    if (config.headTuning) {
      auto [points, values] = drawShares(source, config.headSamples, fitting_);
      tuneHead(*network_, result.theta, points, values, config.headLambda, comm);
    }
    auto [points, values] = drawShares(source, config.errorSamples, evaluation_);
    result.relativeError = relativeError(*network_, result.theta, points, values, comm);
    return result;
  });
}

SessionFitResult Session::fitInitial(const SessionFitConfig& config, const at::Tensor& poolPoints,
                                     const at::Tensor& poolValues, const std::function<bool()>& cancelled) {
  BatchSource source;
  if (poolPoints.defined()) {
    const auto opts = network_->options();
    const at::Tensor points = poolPoints.to(opts), values = poolValues.to(opts);
    source = [points, values](int64_t n, at::Generator& gen) {
      const at::Tensor rows = at::randint(points.size(0), {n}, gen, at::TensorOptions().dtype(at::kLong));
      const at::Tensor idx = rows.to(points.device());
      return std::make_pair(points.index_select(0, idx), values.index_select(0, idx));
    };
  } else if (initial_) {
    source = [this](int64_t n, at::Generator& gen) {
      at::Tensor points = uniformPoints(*network_, n, gen);
      return std::make_pair(points, initial_->evaluate(points, 0.0, nullptr, nullptr));
    };
  } else {
    throw std::invalid_argument("fitInitial: the problem has neither an initial program nor initialValues");
  }
  return fit(source, config_.seed, config, cancelled);
}

SessionFitResult Session::refit(const at::Tensor& theta, const SessionFitConfig& config,
                                const std::function<bool()>& cancelled) {
  const at::Tensor target = theta.to(network_->options()).clone();
  BatchSource source = [this, target](int64_t n, at::Generator& gen) {
    at::Tensor points = uniformPoints(*network_, n, gen);
    return std::make_pair(points, network_->forward(target, points, noJets()).values);
  };
  return fit(source, config_.seed + 1000 + static_cast<uint64_t>(++refits_), config, cancelled);
}

at::Tensor Session::evaluate(const at::Tensor& theta, const at::Tensor& points) const {
  return network_->forward(theta, points.to(network_->options()), noJets()).values;
}

MeasureStreams Session::measureStreams() const {
  return MeasureStreams{stream(config_.seed, Sketch), stream(config_.seed, Evaluation)};
}

at::Tensor Session::domainPoints(int64_t n, at::Generator& gen) const {
  if (config_.domainLower.empty()) return uniformPoints(*network_, n, gen);
  const int64_t D = network_->config().dim;
  at::Tensor u = at::empty({n, D}, at::kDouble);
  u.uniform_(0.0, 1.0, gen);
  for (int64_t i = 0; i < D; ++i)
    u.select(1, i).mul_(config_.domainUpper[i] - config_.domainLower[i]).add_(config_.domainLower[i]);
  return u.to(network_->options());
}

double Session::residual(const at::Tensor& theta, double t, int64_t samples, MeasureStreams& streams) const {
  const SampleSet set = measuring_.samples(domainPoints(samples, streams.evaluation));
  return measuring_.residual(theta, t, set, streams.sketch);
}

double Session::error(const at::Tensor& theta, double t, int64_t samples, MeasureStreams& streams) const {
  if (!exact_) throw std::invalid_argument("error: the problem has no exact solution");
  const at::Tensor points = domainPoints(samples, streams.evaluation);
  const at::Tensor truth = exact_->evaluate(points, t, nullptr, nullptr);
  const at::Tensor y = evaluate(theta, points);
  return ((y - truth).norm() / truth.norm()).item<double>();
}

}  // namespace nivp
