#include "sampling/points.h"

namespace nivp {

namespace {

constexpr int64_t kSobolBits = 30;  // torch.quasirandom.SobolEngine.MAXBIT

// A freshly scrambled Sobol sequence's first n points, as SobolEngine(dim, scramble=True).draw(n).
at::Tensor scrambledSobol(int64_t n, int64_t dim, at::Generator& gen) {
  const auto longs = at::TensorOptions().dtype(at::kLong);
  at::Tensor state = at::zeros({dim, kSobolBits}, longs);
  at::_sobol_engine_initialize_state_(state, dim);
  const at::Tensor shiftBits = at::randint(2, {dim, kSobolBits}, gen, longs);
  const at::Tensor shift = at::mv(shiftBits, at::pow(2, at::arange(0, kSobolBits, longs)));
  const at::Tensor ltm = at::randint(2, {dim, kSobolBits, kSobolBits}, gen, longs).tril();
  at::_sobol_engine_scramble_(state, ltm, dim);
  const at::Tensor first =
      shift.to(at::kDouble).div(static_cast<double>(int64_t{1} << kSobolBits)).unsqueeze(0);
  if (n == 1) return first;
  at::Tensor rest, quasi;
  std::tie(rest, quasi) = at::_sobol_engine_draw(shift.clone(), n - 1, state, dim, 0, at::kDouble);
  return at::cat({first, rest}, 0);
}

}  // namespace

at::Tensor unitCubePoints(int64_t n, int64_t dim, PointSequence sequence, at::Generator& gen) {
  if (sequence == PointSequence::Sobol && n > 0) return scrambledSobol(n, dim, gen);
  at::Tensor u = at::empty({n, dim}, at::kDouble);
  u.uniform_(0.0, 1.0, gen);
  return u;
}

at::Tensor boxPoints(int64_t n, const std::vector<double>& lower, const std::vector<double>& upper,
                     PointSequence sequence, at::Generator& gen) {
  const int64_t dim = static_cast<int64_t>(lower.size());
  at::Tensor u = unitCubePoints(n, dim, sequence, gen);
  for (int64_t i = 0; i < dim; ++i) u.select(1, i).mul_(upper[i] - lower[i]).add_(lower[i]);
  return u;
}

}  // namespace nivp
