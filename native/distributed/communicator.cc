#include "distributed/communicator.h"

#include <chrono>
#include <cstring>

namespace nivp {

namespace {

// Bits of θ as exact integers, summed in segments small enough that no int64 sum overflows
// (integer sums do not depend on the order, so thread counts cannot change the digest).
constexpr int64_t kSegment = int64_t{1} << 20;

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

uint64_t digest(const at::Tensor& theta, double t) {
  at::Tensor flat = theta.detach().reshape({-1});
  at::Tensor bits;
  if (flat.scalar_type() == at::kDouble) {
    bits = flat.contiguous().view(at::kLong);
  } else {
    bits = flat.to(at::kFloat).contiguous().view(at::kInt).to(at::kLong);
  }
  const int64_t p = bits.numel();
  const int64_t segments = (p + kSegment - 1) / kSegment;
  bits = at::constant_pad_nd(bits, {0, segments * kSegment - p}).view({segments, kSegment});
  const at::Tensor weights =
      at::arange(kSegment, bits.options()).mul_(7919).remainder_(251).add_(1).unsqueeze(0);
  const at::Tensor low = at::bitwise_and(bits, int64_t{0xFFFFFFFF}), high = at::bitwise_right_shift(bits, 32);
  const at::Tensor sums = at::stack({(low * weights).sum(1), (high * weights).sum(1)}, 1).to(at::kCPU);
  const int64_t* s = sums.data_ptr<int64_t>();
  uint64_t h = static_cast<uint64_t>(p);
  for (int64_t i = 0; i < 2 * segments; ++i) h = mix(h, static_cast<uint64_t>(s[i]));
  uint64_t tbits = 0;
  std::memcpy(&tbits, &t, sizeof t);
  return mix(h, tbits);
}

}  // namespace

void Communicator::timed(at::Tensor& flat, Op op) {
  const auto start = std::chrono::steady_clock::now();
  reduce(flat, op);
  stats_.calls += 1;
  stats_.bytes += flat.numel() * static_cast<int64_t>(flat.element_size());
  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Communicator::allReduceSum(const std::vector<at::Tensor>& tensors) {
  if (worldSize() <= 1 || tensors.empty()) return;
  if (tensors.size() == 1 && tensors[0].is_contiguous()) {
    at::Tensor t = tensors[0];
    timed(t, Op::Sum);
    return;
  }
  std::vector<at::Tensor> flat;
  flat.reserve(tensors.size());
  for (const at::Tensor& t : tensors) {
    if (t.scalar_type() != tensors[0].scalar_type() || t.device() != tensors[0].device())
      throw std::invalid_argument("allReduceSum: the tensors must share one dtype and device");
    flat.push_back(t.reshape({-1}));
  }
  at::Tensor message = at::cat(flat);
  timed(message, Op::Sum);
  int64_t offset = 0;
  for (const at::Tensor& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(message.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

void Communicator::allReduceMax(const at::Tensor& tensor) {
  if (worldSize() <= 1) return;
  at::Tensor t = tensor.is_contiguous() ? tensor : tensor.contiguous();
  timed(t, Op::Max);
  if (!tensor.is_same(t)) tensor.copy_(t);
}

int64_t Communicator::checkReplicated(const at::Tensor& theta, double t, const std::string& what,
                                      int64_t vote) {
  if (worldSize() <= 1) return vote;
  // 62 bits, so that −d cannot overflow; max(d) = −max(−d) exactly when every rank has d.
  const int64_t d = static_cast<int64_t>(digest(theta, t) >> 2);
  at::Tensor message = at::tensor(std::vector<int64_t>{d, -d, vote}, at::kLong);
  if (theta.is_cuda()) message = message.to(theta.device());
  allReduceMax(message);
  const at::Tensor host = message.to(at::kCPU);
  const int64_t hi = host[0].item<int64_t>(), lo = -host[1].item<int64_t>();
  if (hi != lo)
    throw DistributedError(
        "θ or t differs between the processes at " + what +
        ": the replicated state diverged (every process must run the same problem, options and libtorch "
        "build; the configurations were checked to agree when the run started)");
  return host[2].item<int64_t>();
}

}  // namespace nivp
