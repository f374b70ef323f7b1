// The default preset of every option the native session receives, written by
// `npm run native:defaults` from ts/solver/option-table.ts: change the table, not this file.
#pragma once
#include <cstdint>
#include <string_view>

namespace nivp::defaults {

namespace network {
// hidden units per layer
inline constexpr int64_t width = 48;
// hidden layers
inline constexpr int64_t depth = 3;
// the nonlinearity
inline constexpr std::string_view activation = "swish";
// the highest octave L of the sinusoidal embedding
inline constexpr int64_t frequencies = 5;
// α: octave k of the embedding is damped by 2^(−αk) ('derivativeOrder': per problem)
inline constexpr int64_t decay = 1;
// the factor on the embedding before the MLP
inline constexpr double embeddingScale = 1.5e+0;
// use the sinusoidal embedding
inline constexpr bool embedding = true;
}  // namespace network

namespace linear {
// the linear solver of (M + μI)θ̇ = F: preconditioned CG, or dense Cholesky for small networks
inline constexpr std::string_view method = "pcg";
// the relative residual tolerance of CG
inline constexpr double tol = 1e-8;
// the CG iteration cap
inline constexpr int64_t maxIters = 1000;
// the preconditioner rank per field block; 0 = plain CG
inline constexpr int64_t rank = 100;
// the regularization μ, scaled as muScale says
inline constexpr double mu = 1e-6;
// μ times the mean square of u on the samples ('solution'), or μ as given ('absolute')
inline constexpr std::string_view muScale = "solution";
// M·v in float32 while CG runs in float64 (float64 networks only)
inline constexpr bool mixedPrecision = false;
// keep each block's preconditioner across RK stages and steps, under an iteration cap
inline constexpr bool reusePreconditioner = true;
}  // namespace linear

namespace fit {
// the fit of the initial condition and of each restart: 'gauss-newton' or 'adam'
inline constexpr std::string_view method = "gauss-newton";
// the relative L2 error on held-out points at which the fit stops
inline constexpr double tol = 1e-5;
// the iteration cap: Gauss–Newton iterations, or Adam steps with 'adam'
inline constexpr int64_t maxIterations = 200;
// the wall-clock budget of each fit in seconds, head tuning excluded
inline constexpr int64_t maxSeconds = 60;
// the Adam learning rate
inline constexpr double lr = 1e-3;
// points per Adam step
inline constexpr int64_t batch = 2000;
// Gauss–Newton: fresh points per iteration at the start
inline constexpr int64_t samples = 2000;
// Gauss–Newton: the most points per iteration, doubled to on each stall
inline constexpr int64_t maxSamples = 16000;
// Gauss–Newton: the Nyström preconditioner rank per field block; 0 = plain CG
inline constexpr int64_t rank = 100;
// Gauss–Newton: Adam steps before the first iteration
inline constexpr int64_t warmupSteps = 0;
// refit the last layer by least squares at the end, kept when it lowers the error
inline constexpr bool headTuning = true;
// points of the head least-squares fit
inline constexpr int64_t headSamples = 20000;
// Adam steps of a fit with method adam
inline constexpr int64_t adamSteps = 50000;
}  // namespace fit

namespace samples {
// Monte Carlo points per dynamics evaluation
inline constexpr int64_t count = 4000;
// scrambled Sobol points, a fresh scramble per set, or independent uniform draws
inline constexpr std::string_view sequence = "sobol";
}  // namespace samples

namespace importance {
// the uniform share α of the proposal, in (0, 1]: weights are at most 1/α
inline constexpr double uniformShare = 2e-1;
// Gaussian kernels of the proposal
inline constexpr int64_t kernels = 256;
// pilot points the kernel centres are drawn from
inline constexpr int64_t pilot = 4096;
}  // namespace importance

namespace top {
// the seed of the network initialization and the samples
inline constexpr int64_t seed = 0;
// bytes that native temporaries and a dense solve may use, at least 1 MiB, or 'auto'
inline constexpr int64_t memoryBudget = 4294967296;
}  // namespace top

}  // namespace nivp::defaults
