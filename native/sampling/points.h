// Monte Carlo points in the unit cube and in the network's box: independent uniform draws, or
// randomised quasi-Monte Carlo — a Sobol sequence with a fresh random scramble (Owen's linear
// matrix scramble plus a digital shift) per point set. Each scrambled point is marginally uniform,
// so every estimate from it stays unbiased, while the set as a whole fills the cube more evenly.
// The Sobol engine is libtorch's own (what torch.quasirandom.SobolEngine calls).
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace nivp {

enum class PointSequence { Uniform, Sobol };

// n×dim float64 points on the CPU in [0, 1)^dim, drawn from `gen` (the scramble too).
at::Tensor unitCubePoints(int64_t n, int64_t dim, PointSequence sequence, at::Generator& gen);

// The same mapped to the box [lower, upper] (float64, CPU).
at::Tensor boxPoints(int64_t n, const std::vector<double>& lower, const std::vector<double>& upper,
                     PointSequence sequence, at::Generator& gen);

}  // namespace nivp
