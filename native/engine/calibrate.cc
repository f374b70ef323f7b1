#include "engine/calibrate.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/runtime.h"

namespace nivp {

double medianDeviceSeconds(const std::function<void()>& work, int64_t repeats, at::Device device) {
  work();  // warm-up: the allocator's first blocks and the BLAS handles
  synchronize(device);
  std::vector<double> seconds;
  for (int64_t r = 0; r < std::max<int64_t>(repeats, 1); ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    synchronize(device);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  return seconds[seconds.size() / 2];
}

double gemmGflops(int64_t m, int64_t k, int64_t n, int64_t repeats, at::ScalarType dtype, at::Device device) {
  const auto opts = at::TensorOptions().dtype(dtype).device(device);
  const at::Tensor A = at::randn({m, k}, opts), B = at::randn({k, n}, opts);
  at::Tensor C = at::empty({m, n}, opts);
  const double seconds = medianDeviceSeconds([&] { at::mm_out(C, A, B); }, repeats, device);
  return 2.0 * static_cast<double>(m * k * n) / seconds / 1e9;
}

}  // namespace nivp
