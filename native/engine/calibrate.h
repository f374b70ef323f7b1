// Measurements the benchmark reports beside M·v: device-side timings and the GEMM speed for scale.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>

namespace nivp {

// Median seconds of `work` over `repeats` runs after one warm-up, each run timed to the end of its
// device work (a synchronisation, no copy to the host): what the work costs on the device itself.
double medianDeviceSeconds(const std::function<void()>& work, int64_t repeats, at::Device device);

// GFLOP/s of repeated (m×k)·(k×n) products (median of `repeats` timings).
double gemmGflops(int64_t m, int64_t k, int64_t n, int64_t repeats, at::ScalarType dtype, at::Device device);

}  // namespace nivp
