// Importance sampling for solutions concentrated in a small part of the box.
//
// The proposal is a defensive mixture q = α·p + (1 − α)·(1/m) Σ_j K_j of the uniform density p on
// the box and m Gaussian kernels K_j truncated to the box. The kernel centres are drawn from a
// pilot set with probability ∝ a mass (|u| of the current solution or of the fit's target), the
// bandwidth follows Scott's rule per axis. Truncated Gaussians have closed-form normalisers (erf),
// so q is known exactly and the weights w = p/q make Σ w_i g(x_i)/n an unbiased estimate of
// ∫ g dp for any g: M and F estimate the same integrals as with uniform points. w ≤ 1/α, so no
// weight can blow up.
//
// Where the mass is so concentrated that uniform pilot points barely see it (a Gaussian of width
// 0.12 in 8D fills a few millionths of the box), centres drawn ∝ mass from them all sit on the
// one or two pilot points nearest the peak, in its tails. `adapt` then moves the pilot onto the
// mass first: sequential Monte Carlo with adaptive tempering (each round's pilot drawn from the
// previous round's proposal, weighted p/q, and centres drawn ∝ w·mass^β with the largest β ≤ 1
// that still leaves them `kernels`/4 effective points), until β reaches 1.
//
// Every octave k ≥ 2 of the network's sinusoidal embedding repeats with half the box's width (only
// octaves 0 and 1 tell a point from the one half a box away), so a network that builds a narrow
// feature from its fine octaves is prone to spurious copies of it half a box away along one or
// more axes, where |u| is small and the kernels drawn ∝ |u| rarely go.
// A share of the kernels (`imageShare`) are those images: a drawn centre shifted by half the box's
// width along a random non-empty set of axes, each shift towards the box's interior. They are
// ordinary kernels of q, so the weights stay exact.
//
// A set of n points is drawn with fixed counts: ⌈αn⌉ from p and the rest spread evenly over the
// kernels, and q's component weights are those exact fractions (a deterministic mixture, still
// unbiased). The n base points come from the unit cube (uniform or scrambled Sobol) and are mapped
// to each component by its inverse CDF.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/option_defaults.h"
#include "sampling/points.h"

namespace nivp {

struct ImportanceConfig {
  double uniformShare = defaults::importance::uniformShare;  // α in (0, 1]
  int64_t kernels = defaults::importance::kernels;           // m
  int64_t pilot = defaults::importance::pilot;               // pilot points the centres are drawn from
  double imageShare = defaults::importance::imageShare;      // share of the kernels at images, in [0, 1)
};

struct WeightedPoints {
  at::Tensor points;   // n×D float64, CPU
  at::Tensor weights;  // n float64 (p/q), CPU; undefined for plain uniform points
};

class KernelMixture {
 public:
  // Centres drawn ∝ mass (n, ≥ 0) among the pilot points (n×D, in the box). Empty when the mass
  // is zero everywhere or not finite (then sample uniformly).
  static std::optional<KernelMixture> fromPilot(const std::vector<double>& lower,
                                                const std::vector<double>& upper,
                                                const at::Tensor& pilotPoints, const at::Tensor& mass,
                                                const ImportanceConfig& config, at::Generator& gen);

  // The proposal for `mass` (a function of n×D float64 CPU points, ≥ 0) from a pilot that adapts
  // to it (above); the first round is fromPilot's uniform pilot. Empty as fromPilot.
  static std::optional<KernelMixture> adapt(const std::vector<double>& lower,
                                            const std::vector<double>& upper,
                                            const std::function<at::Tensor(const at::Tensor&)>& mass,
                                            const ImportanceConfig& config, PointSequence sequence,
                                            at::Generator& gen);

  // n points from the mixture with their weights p/q.
  WeightedPoints sample(int64_t n, PointSequence sequence, at::Generator& gen) const;

  // q/p at the points (n×D) for a set of n points drawn with sample(n, …) (the component weights
  // depend on the counts).
  at::Tensor relativeDensity(const at::Tensor& points, int64_t n) const;

  const at::Tensor& centres() const { return centres_; }      // m×D
  const at::Tensor& bandwidth() const { return bandwidth_; }  // D

 private:
  // Points drawn uniformly for a set of n (the rest go to the kernels).
  int64_t uniformCount(int64_t n) const;

  std::vector<double> lower_, upper_;
  double uniformShare_ = 0.5;
  at::Tensor centres_, bandwidth_;  // m×D, D
  at::Tensor cdfLow_, cdfMass_;     // m×D: Φ((a − c)/σ), Φ((b − c)/σ) − Φ((a − c)/σ)
};

}  // namespace nivp
