// The Gauss–Newton / Levenberg–Marquardt fit of the network to a target u (the initial condition,
// or the network's own prediction for a restart), built on the dynamics solve's machinery.
//
// On n points x_i with weights w_i (1 unless importance-sampled) the objective is the least
// squares Φ(θ) = Σ_i w_i ‖N(x_i, θ) − u(x_i)‖² / (2n). With r = √w ⊙ (N − u) and J = ∂(√w ⊙ N)/∂θ,
// its damped Gauss–Newton step solves
//   (JᵀJ/n + λI) δ = −Jᵀr/n,
// which is the dynamics system (M + μI) θ̇ = F with M = JᵀJ/n. It is solved matrix-free with the
// same cached-factor products (engine/linearization.h), the Nyström preconditioner
// (solvers/nystrom.h) and PCG (solvers/pcg.h), one field block at a time: field a's output depends
// on θ_a only, so Φ = Σ_a Φ_a(θ_a) and each block takes its own step, damping and acceptance.
//
// Each iteration: fresh points (every `resampleEvery` iterations), one linearization, one
// Nyström sketch per block; then up to `maxTries` damped solves per block, each accepted when the
// ratio ρ of the actual decrease of Φ_a to the decrease the GN model predicts (both on the same
// points) is positive, with λ adapted by Nielsen's rule (λ ← λ·max(c, 1 − (2ρ − 1)³) on
// acceptance, c = `minDecrease`; λ ← λ·ν, ν ← 2ν on rejection). The first λ of a block is `initialDamping`
// times the block's largest eigenvalue estimate (the sketch's), so the damping follows M's scale. A step with
// non-finite values is rejected like any other. The error on a held-out set (points never used to
// fit) is measured after every iteration; each block keeps its best θ_a, and those are returned.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/option_defaults.h"
#include "distributed/communicator.h"
#include "engine/network.h"
#include "fit/fit.h"
#include "solvers/nystrom.h"
#include "solvers/operator.h"

namespace nivp {

// Why a fit ended: its tolerance was met, its time ran out, its iteration cap was reached, or it
// stopped making progress (including persistently non-finite steps).
enum class FitStop { Tolerance, Budget, Steps, Stalled };

// 'tol', 'budget', 'steps', 'stalled' (the names of the public FitReport).
const char* toString(FitStop stop);

struct GaussNewtonOptions {
  int64_t maxIterations = defaults::fit::maxIterations;
  double maxSeconds = defaults::fit::maxSeconds;  // ≤ 0: no limit
  double tol = defaults::fit::tol;  // stop once the held-out relative error is ≤ tol (≤ 0: never)
  int64_t samples = defaults::fit::samples;
  // When the held-out error stalls, the batch doubles (up to this many points) and the fit goes
  // on: a stall at n points is the sampling-noise floor of n points, which more points lower.
  // ≤ samples: no growth.
  int64_t maxSamples = defaults::fit::maxSamples;
  int64_t resampleEvery = 1;
  int64_t rank = defaults::fit::rank;  // Nyström rank per block (clamped to p_a); 0 = plain CG
  double cgTol = 1e-4;
  int64_t cgMaxIters = 300;
  double initialDamping = 1e-6;
  // The smallest factor λ is multiplied by on acceptance: Nielsen's 1/3 lowered to 1/10, since
  // damping that falls faster reaches the same error in fewer iterations (docs/fitting-and-sampling.md).
  double minDecrease = 0.1;
  int64_t maxTries = 6;
  // 'stalled' after this many iterations without a 1 % better held-out error at the largest batch.
  int64_t patience = 10;
  // Called after every iteration with (iteration, held-out error); returning false stops the
  // fit with its best θ (reported as cancelled).
  std::function<bool(int64_t, double)> progress;
  // Polled between solves and in CG; when it returns true the fit throws Cancelled.
  std::function<bool()> cancelled;
};

struct GaussNewtonReport {
  int64_t iterations = 0;
  int64_t rejected = 0;      // damped solves rejected by the ratio test (non-finite ones included)
  int64_t cgIterations = 0;  // summed over every damped solve
  int64_t samples = 0;       // points per iteration at the end (grown from `samples` on stalls)
  double error = 0;          // held-out relative error of the returned θ
  FitStop stopped = FitStop::Steps;
  bool cancelled = false;  // stopped by `progress` returning false
  std::string message;     // why it stopped, in words
};

// Fits θ (updated in place, starting from its value) to the source's target; `heldOut` is a
// batch never used for fitting (its weights are ignored). gen draws the points and the sketches.
// `comm` (sample-parallel runs; null for one process): the batches are this process's shares and
// every sum over points (Φ, the gradient, M·v and the sketch, the held-out error, the point
// counts) is completed over all processes, as are the time-limit decisions; gen must then draw
// the same numbers in every process (the points come from the source's own streams), so that
// θ moves identically everywhere.
GaussNewtonReport fitGaussNewton(const Network& network, at::Tensor& theta, const BatchSource& source,
                                 const Batch& heldOut, const GaussNewtonOptions& options, at::Generator& gen,
                                 Communicator* comm = nullptr);

// One damped Gauss–Newton solve on a field block: δ with (M_a + λI) δ = −g, M_a = J_aᵀJ_a/n the
// block's operator (without λ) and g = J_aᵀr_a/n (p_a×1), by PCG from zero, preconditioned by the
// sketch of M_a applied with shift λ (null: plain CG). `predicted` is the decrease
// −gᵀδ − ½δᵀM_aδ of the undamped GN model; CG from zero makes it positive for any iteration
// count (NaN when δ is not finite).
struct DampedStep {
  at::Tensor delta;  // p_a
  double predicted = 0;
  int64_t cgIterations = 0;
};
DampedStep dampedStep(const SpdOperator& M, const at::Tensor& gradient, double lambda,
                      const NystromPreconditioner* sketch, double cgTol, int64_t cgMaxIters,
                      const std::function<bool()>& cancelled = {});

// Per-field Σ w(y − target)² and Σ w·target² of θ on the batch (k each; w the batch's weights, or
// 1), and the relative error they give: the largest field's own sqrt(num / den), a field whose
// den is at most kZeroFieldShare of all fields' taken against all of them (the absolute error when
// every target is zero).
constexpr double kZeroFieldShare = 1e-24;
struct FieldErrors {
  at::Tensor numerator, denominator;  // k, float64 on the CPU
  double relative() const;
};
FieldErrors fieldErrors(const Network& network, const at::Tensor& theta, const Batch& batch,
                        Communicator* comm = nullptr);

}  // namespace nivp
