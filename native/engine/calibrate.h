// Measurements the benchmark reports beside M·v: the machine's GEMM speed for scale.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

namespace nivp {

// GFLOP/s of repeated (m×k)·(k×n) products (median of `repeats` timings).
double gemmGflops(int64_t m, int64_t k, int64_t n, int64_t repeats, at::ScalarType dtype, at::Device device);

}  // namespace nivp
