// The default preset of every option the native session receives, written by
// `npm run native:defaults` from ts/solver/option-table.ts: change the table, not this file.
// Each option's meaning is its doc there (values only here, so that a doc's edit changes no
// native source); adamSteps is the Adam steps of a fit whose method is adam.
#pragma once
#include <cstdint>
#include <string_view>

namespace nivp::defaults {

namespace network {
inline constexpr int64_t width = 48;
inline constexpr int64_t depth = 3;
inline constexpr std::string_view activation = "swish";
inline constexpr int64_t frequencies = 5;
inline constexpr int64_t decay = 1;
inline constexpr double embeddingScale = 1.5e+0;
inline constexpr bool embedding = true;
inline constexpr std::string_view output = "linear";
}  // namespace network

namespace linear {
inline constexpr std::string_view method = "pcg";
inline constexpr double tol = 1e-8;
inline constexpr int64_t maxIters = 1000;
inline constexpr int64_t rank = 100;
inline constexpr int64_t maxRank = 400;
inline constexpr double mu = 1e-6;
inline constexpr std::string_view muScale = "solution";
inline constexpr bool mixedPrecision = false;
inline constexpr bool reusePreconditioner = true;
}  // namespace linear

namespace fit {
inline constexpr std::string_view method = "gauss-newton";
inline constexpr double tol = 1e-5;
inline constexpr int64_t maxIterations = 200;
inline constexpr int64_t maxSeconds = 60;
inline constexpr double lr = 1e-3;
inline constexpr int64_t batch = 2000;
inline constexpr int64_t samples = 2000;
inline constexpr int64_t maxSamples = 16000;
inline constexpr int64_t rank = 100;
inline constexpr int64_t warmupSteps = 0;
inline constexpr bool headTuning = true;
inline constexpr int64_t headSamples = 20000;
inline constexpr int64_t adamSteps = 50000;
}  // namespace fit

namespace samples {
inline constexpr int64_t count = 4000;
inline constexpr int64_t heldOut = 1000;
inline constexpr std::string_view sequence = "sobol";
}  // namespace samples

namespace importance {
inline constexpr double uniformShare = 2e-1;
inline constexpr int64_t kernels = 256;
inline constexpr int64_t pilot = 4096;
inline constexpr double imageShare = 5e-1;
}  // namespace importance

namespace top {
inline constexpr int64_t seed = 0;
inline constexpr int64_t memoryBudget = 4294967296;
}  // namespace top

}  // namespace nivp::defaults
