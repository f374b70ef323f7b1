// Fitting the network to a target function: Adam on fresh batches (the paper's initial fit and
// its restarts, section 4.2), then last-layer least squares ("head tuning", eq. (7)). The
// Gauss–Newton fit, the default, is in fit/gauss_newton.h.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <utility>

#include "common/option_defaults.h"
#include "distributed/communicator.h"
#include "engine/network.h"

namespace nivp {

// Points, the target's values there, and optional importance weights p/q: the fits minimise
// Σ w_i ‖N(x_i) − u(x_i)‖² / n, an unbiased estimate of the uniform-measure integral.
struct Batch {
  at::Tensor points;   // n×D
  at::Tensor values;   // n×k
  at::Tensor weights;  // n, or undefined (every weight 1)
};

// Draws a batch of n points from the generator.
using BatchSource = std::function<Batch(int64_t n, at::Generator& gen)>;

// Uniform points in the network's box, drawn on the CPU in float64 (reproducible across devices).
at::Tensor uniformPoints(const Network& network, int64_t n, at::Generator& gen);

struct AdamOptions {
  int64_t steps = defaults::fit::adamSteps;
  double lr = defaults::fit::lr;
  int64_t batch = defaults::fit::batch;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  // Called every `reportEvery` steps with (step, batch loss); returning false stops early.
  std::function<bool(int64_t, double)> progress;
  int64_t reportEvery = 100;
  // Stops after this many seconds (≤ 0: no limit), checked every step.
  double maxSeconds = 0;
};

struct FitReport {
  int64_t steps = 0;
  double loss = 0;  // mean squared error of the last batch
  bool stopped = false;
  bool outOfTime = false;  // stopped by AdamOptions::maxSeconds
};

// Minimises the mean squared error over fresh batches; θ is updated in place. The gradient is
// 2/n Jᵀ(w ⊙ (y − target)) from the same cached-factor products the solver uses.
// `comm` (sample-parallel runs; null for one process): the batches are this process's shares,
// and the gradient, the loss and the point count are summed over all processes, so that θ moves
// identically everywhere. The same holds for tuneHead and relativeError. With a time limit, the
// processes stop together (the first past the limit stops them all).
FitReport fitAdam(const Network& network, at::Tensor& theta, const BatchSource& source,
                  const AdamOptions& options, at::Generator& gen, Communicator* comm = nullptr);

// Replaces each field's last layer by the regularised least-squares solution on `points`:
// (ΦᵀWΦ + λI) w = ΦᵀWu/c with Φ = B·[h_last, 1] (B the boundary factor, c the field's output
// scale, W the optional weights). θ is updated in place, or left as it was (false) where a
// field's system cannot be factored or solved to finite values.
bool tuneHead(const Network& network, at::Tensor& theta, const at::Tensor& points, const at::Tensor& targets,
              double lambda, const at::Tensor& weights = at::Tensor(), Communicator* comm = nullptr);

// Relative L2 error ‖y − target‖ / ‖target‖ over all fields on the given points.
double relativeError(const Network& network, const at::Tensor& theta, const at::Tensor& points,
                     const at::Tensor& targets, Communicator* comm = nullptr);

}  // namespace nivp
