// Small helpers shared by the native test suites.
#pragma once
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "fit/gauss_newton.h"

namespace nivp::testing {

using Clock = std::chrono::steady_clock;

inline double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

inline at::Generator seeded(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// ‖x − truth‖ / ‖truth‖ over all entries, in float64 whatever the inputs' dtype.
inline double relativeError(const at::Tensor& x, const at::Tensor& truth) {
  const at::Tensor a = x.to(at::kDouble).reshape(-1), b = truth.to(at::kDouble).reshape(-1);
  return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-300);
}

// Gauss–Newton options without the default preset's tolerance and time budget: a test's fit
// stops by the rules it sets, never by the wall clock of a loaded machine.
inline GaussNewtonOptions untimedGaussNewton() {
  GaussNewtonOptions o;
  o.tol = 0;
  o.maxSeconds = 0;
  return o;
}

}  // namespace nivp::testing
