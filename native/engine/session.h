// One solve's native state: the network, the compiled problem, the Monte Carlo samples, the
// random streams, and the vectors (θ, RK stages) that JavaScript refers to by integer handle.
// Every heavy method is meant to run on a worker thread; the vector store is locked.
#pragma once
#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/option_defaults.h"
#include "distributed/communicator.h"
#include "distributed/process_group.h"
#include "distributed/shares.h"
#include "engine/dynamics.h"
#include "engine/network.h"
#include "fit/fit.h"
#include "fit/gauss_newton.h"
#include "plan/program.h"
#include "sampling/importance.h"
#include "sampling/points.h"

namespace nivp {

// How Monte Carlo points are drawn: the sequence of every point set (fit batches, dynamics
// samples, evaluation points), and importance sampling ∝ |u| for the fit and the dynamics.
struct SamplingConfig {
  PointSequence sequence =
      defaults::samples::sequence == "sobol" ? PointSequence::Sobol : PointSequence::Uniform;
  std::optional<ImportanceConfig> importance;
};

struct SessionConfig {
  NetworkConfig network;
  Program rhs;
  std::optional<Program> initial, exact;
  JetRequest jets;
  int64_t samples = defaults::samples::count;
  // Points of a second set drawn with each new sample set, from the same proposal, on which the
  // stage that drew them measures its θ̇'s residual (StageResult::heldOutResidual); 0: none.
  int64_t heldOutSamples = defaults::samples::heldOut;
  SamplingConfig sampling;
  LinearSolverConfig linear;
  uint64_t seed = defaults::top::seed;
  // Which shares of every sample set this process draws (distributed/shares.h). A distributed
  // run sets it when the session joins; a one-process session may draw all W shares to
  // reproduce a W-process run on the union of its points (tests).
  SampleShares shares;
  // The problem's domain, where residual() and error() measure; empty: the network's box. The
  // network's (sampled) box may be larger: it contains the domain plus a margin.
  std::vector<double> domainLower, domainUpper;
  // Each stage counts its operator calls and host syncs (DynamicsResult::launches): the bench's.
  bool countLaunches = false;
};

// One fit (initial or restart): Gauss–Newton (fit/gauss_newton.h) or Adam, optionally an Adam
// warm-up before Gauss–Newton, then head tuning (kept only when it lowers the held-out error).
struct SessionFitConfig {
  enum class Method { GaussNewton, Adam };
  Method method = defaults::fit::method == "adam" ? Method::Adam : Method::GaussNewton;
  int64_t maxIterations =
      defaults::fit::maxIterations;               // GN iterations or Adam steps (a warm-up's not counted)
  double tol = defaults::fit::tol;                // held-out relative error to stop at (≤ 0: none)
  double maxSeconds = defaults::fit::maxSeconds;  // for the whole fit, head tuning excluded (≤ 0: none)
  AdamOptions adam;  // lr, batch (and the warm-up's); steps is set from maxIterations
  int64_t warmupSteps = defaults::fit::warmupSteps;  // Adam steps before Gauss–Newton
  GaussNewtonOptions gaussNewton;                    // samples, rank, CG and damping settings
  bool headTuning = defaults::fit::headTuning;
  int64_t headSamples = defaults::fit::headSamples;
  double headLambda = 1e-10;
  int64_t errorSamples = 10000;  // the held-out set
};

struct SessionFitResult {
  at::Tensor theta;
  double relativeError = 0;  // on the held-out set
  int64_t iterations = 0;    // GN iterations or Adam steps (a warm-up's included)
  FitStop stopped = FitStop::Steps;
  std::string message;
  int64_t rejected = 0;      // GN: damped solves rejected
  int64_t cgIterations = 0;  // GN: CG iterations, all solves
  int64_t samples = 0;       // GN: points per iteration at the end (0 for Adam)
  bool headTuned = false;    // head tuning ran and was kept
  double loss = 0;           // Adam: mean squared error of the last batch
  // A fit from a given θ (refineStep): the held-out error of that θ before the fit; else NaN.
  double initialError = std::numeric_limits<double>::quiet_NaN();
};

// One RK stage of an accepted step, for refineStep: the stage's time, its input θ_i and the
// weight h·b_i of its right-hand side in the step.
struct StepStage {
  double t = 0;
  double weight = 0;
  at::Tensor theta;
};

// Σ c_i·v_i as data: the vectors themselves, resolved from their handles by the caller.
using Terms = std::vector<std::pair<double, at::Tensor>>;

// One RK stage: θ̇ at the stage input, and whether every entry of θ̇ is finite.
struct StageResult {
  DynamicsResult dynamics;
  bool finite = false;
  double samplingSeconds = 0;  // drawing the samples, when this stage did (steady clock)
  // The stage that drew new samples, with SessionConfig::heldOutSamples: θ̇'s relative residual on
  // the held-out set (Dynamics::heldOutResidual); else NaN.
  double heldOutResidual = std::numeric_limits<double>::quiet_NaN();
  double heldOutSeconds = 0;
};

// How finishStep measures the error estimate err (a change of θ): 'Parameters' ‖err‖₂;
// 'Function' ‖J(y)·err‖ / ‖u(y)‖ on the current samples, the change it makes to u relative to u.
enum class ErrorNorm { Parameters, Function };

// The end of an RK step: y1, the norm of the error estimate (not kept) and y1's finiteness.
struct StepEnd {
  at::Tensor y1;
  double errorNorm = 0;
  bool finite = false;
};

// The random streams of a measurement (residual, error). Each measurer has its own, seeded as a
// new session's, so measuring never moves the streams a solve draws from and gives the same
// numbers on the solving session as on a fresh one.
struct MeasureStreams {
  at::Generator sketch, evaluation;
};

class Session {
 public:
  explicit Session(SessionConfig config);

  const Network& network() const { return *network_; }
  const SessionConfig& config() const { return config_; }

  // The vector store. Handles are never reused; stored tensors are never modified in place, so
  // two handles may share one tensor.
  int64_t store(at::Tensor vector);
  at::Tensor get(int64_t handle) const;
  void release(const std::vector<int64_t>& handles);
  size_t storedVectors() const;

  // base + Σ c_i·v_i as a new tensor (base undefined: Σ c_i·v_i), adding the terms in order.
  at::Tensor combine(const at::Tensor& base, const Terms& terms) const;

  // Joins a sample-parallel run (distributed/process_group.h): from then on this session draws
  // its rank's share of every sample set and completes each sum over points with the others
  // (measurements, residual and error, stay local). Blocks for the rendezvous; throws
  // DistributedError.
  void join(const DistributedConfig& config);
  const Communicator& communicator() const { return *comm_; }
  // Throws DistributedError unless θ and t are identical in every process of the run; returns
  // the largest `vote` of the processes (Communicator::checkReplicated).
  int64_t checkReplicated(const at::Tensor& theta, double t, const std::string& what, int64_t vote);

  // Draws the next Monte Carlo points from the session's sampling streams. With importance
  // sampling the proposal follows |u| at theta (undefined: uniform points).
  void resample(const at::Tensor& theta = at::Tensor());
  // One RK stage: θ̇ at base + Σ c_i·v_i (base itself for no terms) at the current samples (drawn
  // anew first when `resample`, importance-sampled at the stage's θ when configured),
  // warm-started from the previous finite θ̇.
  StageResult stage(double t, const at::Tensor& base, const Terms& terms, bool resample,
                    const std::function<bool()>& cancelled);
  // y1 = combine(y, solution) and the `norm` of combine(undefined, error), as separate combines
  // would give them. ErrorNorm::Function linearises at y on the current samples (a stage drew
  // them; in a sample-parallel run the sums are completed over the processes).
  StepEnd finishStep(const at::Tensor& y, const Terms& solution, const Terms& error,
                     ErrorNorm norm = ErrorNorm::Parameters);

  // Fits the initial condition: the plan's `initial` program or, when given, a pool of values.
  SessionFitResult fitInitial(const SessionFitConfig& config, const at::Tensor& poolPoints,
                              const at::Tensor& poolValues, const std::function<bool()>& cancelled);
  // A restart: a fresh initialisation fitted to the network's own prediction at θ.
  SessionFitResult refit(const at::Tensor& theta, const SessionFitConfig& config,
                         const std::function<bool()>& cancelled);
  // A step that leaves the tangent space: from the projected step's y1, Gauss–Newton toward the
  // step's target in function space, u(y) + Σ_i h·b_i·f(t_i, u(θ_i)), the RK step taken on u
  // itself with the stages' right-hand sides. The result's initialError is y1's distance from
  // that target (the projection's defect), relativeError the refined θ's.
  SessionFitResult refineStep(const at::Tensor& y, const std::vector<StepStage>& stages, const at::Tensor& y1,
                              const SessionFitConfig& config, const std::function<bool()>& cancelled);

  at::Tensor evaluate(const at::Tensor& theta, const at::Tensor& points) const;
  // Fresh measurement streams (see MeasureStreams).
  MeasureStreams measureStreams() const;
  // The relative PDE residual, and the relative L2 error against the plan's `exact`, at time t on
  // `samples` points drawn from `streams` (the error's from measurePoints, following |exact| and the
  // misfit).
  double residual(const at::Tensor& theta, double t, int64_t samples, MeasureStreams& streams) const;
  double error(const at::Tensor& theta, double t, int64_t samples, MeasureStreams& streams) const;

 private:
  // Draws n points of share `share` (an index into config_.shares.drawn) from its stream.
  using ShareSource = std::function<Batch(int64_t n, size_t share, at::Generator& gen)>;
  // A fit's sources for a target (values at points): weighted batches to fit on (importance-
  // sampled per share ∝ |target| when configured) and plain ones to hold out.
  using Target = std::function<at::Tensor(const at::Tensor& points)>;
  std::pair<ShareSource, ShareSource> targetSources(const Target& target);
  // Starts from `from` when defined, else from the network's initialisation with `seed`; the
  // Nyström sketches are drawn from `seed`'s stream.
  SessionFitResult fit(const ShareSource& source, const ShareSource& heldOutSource, uint64_t seed,
                       const at::Tensor& from, const SessionFitConfig& config,
                       const std::function<bool()>& cancelled);
  // This process's part of a set of `total` points: its shares, each from its own stream.
  using Streams = std::vector<at::Generator>;
  Streams streams(uint64_t seed) const;
  Batch drawShares(const ShareSource& source, int64_t total, Streams& streams);
  // Points (and importance weights, proposal ∝ mass per share) for a set of `total`, and with
  // heldOutTotal > 0 a second set of that many from the same proposals, drawn from heldOut_.
  std::pair<WeightedPoints, WeightedPoints> pointShares(int64_t total, Streams& streams, const Target& mass,
                                                        int64_t heldOutTotal = 0);
  // Plain points in the box (the configured sequence), float64 on the CPU.
  at::Tensor plainPoints(int64_t n, at::Generator& gen) const;
  // n points of one share: from its proposal, weighted, or plain points when it has none.
  Batch sharePoints(const std::optional<KernelMixture>& mixture, int64_t n, at::Generator& gen) const;
  // Runs a step of a distributed run; when it throws, this process leaves the run first, so that
  // its peers fail at once instead of waiting for the timeout.
  template <typename F>
  auto collective(F&& work) -> decltype(work());
  // n uniform points in the problem's domain (the box without its margin), in the network's dtype:
  // where errors and residuals are measured.
  at::Tensor domainPoints(int64_t n, at::Generator& gen) const;
  // Points to measure an integral of `mass`'s kind on: drawn from a proposal adapted to |mass|
  // with their weights p/q when the run importance-samples and its domain is the whole box
  // (uniform points miss a concentrated solution), else domainPoints without weights.
  WeightedPoints measurePoints(int64_t n, const Target& mass, at::Generator& gen) const;
  // The importance proposal for |mass| (summed over its columns, each by its mean), its pilot
  // adapted to it; empty when the run samples uniformly or the mass is zero.
  std::optional<KernelMixture> proposal(const Target& mass, at::Generator& gen) const;
  bool domainIsBox() const;

  SessionConfig config_;
  std::shared_ptr<const Network> network_;
  Dynamics dynamics_;
  Dynamics measuring_;  // dynamics_ without the communicator: measurements are local
  std::optional<ProgramEvaluator> initial_, exact_;
  std::shared_ptr<Communicator> comm_;
  at::Generator sketch_;  // replicated: the same Nyström test matrices in every process
  Streams sampling_, fitting_, evaluation_, heldOut_;
  std::optional<SampleSet> samples_, heldOutSamples_;
  // Each field block's preconditioning: kept across new samples, started over for a new θ by a refit
  // (which keeps the reuse backoff), cleared by a new run (PreconditionerCache).
  PreconditionerCache preconditioners_;
  at::Tensor lastThetaDot_;
  int64_t refits_ = 0;
  int64_t refinements_ = 0;

  mutable std::mutex storeMutex_;
  std::unordered_map<int64_t, at::Tensor> vectors_;
  int64_t nextHandle_ = 1;
};

}  // namespace nivp
