// One solve's native state: the network, the compiled problem, the Monte Carlo samples, the
// random streams, and the vectors (θ, RK stages) that JavaScript refers to by integer handle.
// Every heavy method is meant to run on a worker thread; the vector store is locked.
#pragma once
#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/dynamics.h"
#include "engine/network.h"
#include "fit/fit.h"
#include "plan/program.h"

namespace nivp {

struct SessionConfig {
  NetworkConfig network;
  Program rhs;
  std::optional<Program> initial, exact;
  JetRequest jets;
  int64_t samples = 10000;
  LinearSolverConfig linear;
  uint64_t seed = 0;
};

struct SessionFitConfig {
  AdamOptions adam;
  bool headTuning = true;
  int64_t headSamples = 50000;
  double headLambda = 1e-10;
  int64_t errorSamples = 10000;
};

struct SessionFitResult {
  at::Tensor theta;
  double relativeError = 0;
  FitReport report;
};

class Session {
 public:
  explicit Session(SessionConfig config);

  const Network& network() const { return *network_; }
  const SessionConfig& config() const { return config_; }

  // The vector store. Handles are never reused.
  int64_t store(at::Tensor vector);
  at::Tensor get(int64_t handle) const;
  void release(int64_t handle);
  int64_t combine(std::optional<int64_t> base, const std::vector<std::pair<double, int64_t>>& terms);
  size_t storedVectors() const;

  // Draws the next Monte Carlo points (uniform in the box) from the session's sampling stream.
  void resample();
  // θ̇ at the current samples; warm-started from the previous θ̇.
  DynamicsResult dynamics(const at::Tensor& theta, double t, const std::function<bool()>& cancelled);

  // Fits the initial condition: the plan's `initial` program or, when given, a pool of values.
  SessionFitResult fitInitial(const SessionFitConfig& config, const at::Tensor& poolPoints,
                              const at::Tensor& poolValues, const std::function<bool()>& cancelled);
  // A restart: a fresh initialisation fitted to the network's own prediction at θ.
  SessionFitResult refit(const at::Tensor& theta, const SessionFitConfig& config,
                         const std::function<bool()>& cancelled);

  at::Tensor evaluate(const at::Tensor& theta, const at::Tensor& points) const;
  double residual(const at::Tensor& theta, double t, int64_t samples);
  double error(const at::Tensor& theta, double t, int64_t samples);

 private:
  SessionFitResult fit(const BatchSource& source, uint64_t initSeed, const SessionFitConfig& config,
                       const std::function<bool()>& cancelled);

  SessionConfig config_;
  std::shared_ptr<const Network> network_;
  Dynamics dynamics_;
  std::optional<ProgramEvaluator> initial_, exact_;
  at::Generator sampling_, sketch_, fitting_, evaluation_;
  std::optional<SampleSet> samples_;
  PreconditionerCache preconditioners_;  // for the current samples; cleared with them
  at::Tensor lastThetaDot_;
  int64_t refits_ = 0;

  mutable std::mutex storeMutex_;
  std::unordered_map<int64_t, at::Tensor> vectors_;
  int64_t nextHandle_ = 1;
};

}  // namespace nivp
