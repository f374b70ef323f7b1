#include "fit/fit.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "engine/linearization.h"

namespace nivp {

at::Tensor uniformPoints(const Network& network, int64_t n, at::Generator& gen) {
  const NetworkConfig& cfg = network.config();
  at::Tensor u = at::empty({n, cfg.dim}, at::kDouble);
  u.uniform_(0.0, 1.0, gen);
  for (int64_t i = 0; i < cfg.dim; ++i) u.select(1, i).mul_(cfg.upper[i] - cfg.lower[i]).add_(cfg.lower[i]);
  return u.to(network.options());
}

FitReport fitAdam(const Network& network, at::Tensor& theta, const BatchSource& source,
                  const AdamOptions& options, at::Generator& gen, Communicator* comm) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  if (comm != nullptr && comm->worldSize() <= 1) comm = nullptr;
  at::Tensor m = at::zeros_like(theta), v = at::zeros_like(theta);
  FitReport report;
  at::Tensor squares;  // Σ residual² over all processes (sample-parallel runs)
  for (int64_t step = 1; step <= options.steps; ++step) {
    const Batch batch = source(options.batch, gen);
    const at::Tensor scale =
        batch.weights.defined() ? batch.weights.to(network.options()).sqrt() : at::Tensor();
    const Linearization lin(network, theta, batch.points, scale);
    at::Tensor residual = lin.values() - batch.values.to(network.options());  // n×k
    if (scale.defined()) residual.mul_(scale.unsqueeze(1));
    double n = static_cast<double>(batch.points.size(0));
    at::Tensor grad = lin.vjp(residual.unsqueeze(2)).squeeze(1);
    bool outOfTime = options.maxSeconds > 0 &&
                     std::chrono::duration<double>(Clock::now() - start).count() >= options.maxSeconds;
    if (comm) {  // one message: Jᵀr, Σr², the point count, and who is out of time
      at::Tensor stats = at::stack({residual.square().sum(), at::full({}, n, residual.options()),
                                    at::full({}, outOfTime ? 1.0 : 0.0, residual.options())});
      comm->allReduceSum({grad, stats});
      squares = stats[0];
      n = stats[1].item<double>();
      outOfTime = stats[2].item<double>() > 0;
    }
    grad.mul_(2.0 / n);
    m.mul_(options.beta1).add_(grad, 1 - options.beta1);
    v.mul_(options.beta2).addcmul_(grad, grad, 1 - options.beta2);
    const double c1 = 1 - std::pow(options.beta1, static_cast<double>(step));
    const double c2 = 1 - std::pow(options.beta2, static_cast<double>(step));
    theta.addcdiv_(m, (v / c2).sqrt_().add_(options.eps), -options.lr / c1);
    report.steps = step;
    const bool reportNow = step % options.reportEvery == 0 || step == options.steps || outOfTime;
    if (reportNow) {
      report.loss = comm ? squares.item<double>() / n
                         : residual.square().mean().item<double>() * static_cast<double>(residual.size(1));
      if (options.progress && !options.progress(step, report.loss)) {
        report.stopped = true;
        break;
      }
    }
    if (outOfTime) {
      report.outOfTime = true;
      break;
    }
  }
  return report;
}

bool tuneHead(const Network& network, at::Tensor& theta, const at::Tensor& pointsIn,
              const at::Tensor& targetsIn, double lambda, const at::Tensor& weights, Communicator* comm) {
  const auto opts = network.options();
  // The head of m = (u − o)/c, o the field's output offset.
  const at::Tensor points = pointsIn.to(opts), targets = network.variation(targetsIn.to(opts));
  const at::Tensor s = network.scaled(points);
  at::Tensor B = network.boundaryFactor(s);  // n×1
  // Weighted least squares: rows (of Φ and of the target) scaled by √w.
  const at::Tensor scale = weights.defined() ? weights.to(opts).sqrt().unsqueeze(1) : at::Tensor();
  if (scale.defined()) B = B * scale;
  const int64_t last = network.config().depth;
  const LinearLayer& L = network.layers()[last];
  std::vector<at::Tensor> heads;
  for (int64_t a = 0; a < network.config().fields; ++a) {
    std::vector<at::Tensor> inputs;
    network.subnetworkValue(theta, a, s, &inputs, nullptr);
    // The least squares of m = u/c, c the field's output scale: the ridge λ then weighs the head
    // against features of size 1 whatever u's units.
    const at::Tensor phi = at::cat({inputs[last], at::ones({s.size(0), 1}, opts)}, 1).mul_(B);  // n×(w+1)
    at::Tensor gram = at::mm(phi.t(), phi);
    at::Tensor target = targets.select(1, a).unsqueeze(1) / network.config().outputScaleOf(a);
    if (scale.defined()) target = target * scale;
    at::Tensor rhs = at::mm(phi.t(), target);
    at::Tensor n = at::full({1}, static_cast<double>(s.size(0)), opts);
    sumOverRanks(comm, {gram, rhs, n});
    gram.diagonal().add_(lambda * n.item<double>());
    const auto [factor, info] = at::linalg_cholesky_ex(gram);
    // Features that are not finite, or exactly dependent with λ = 0: no least-squares head.
    if (info.item<int64_t>() != 0) return false;
    const at::Tensor solution = at::cholesky_solve(rhs, factor).squeeze(1);  // w then b
    if (!at::isfinite(solution).all().item<bool>()) return false;
    heads.push_back(solution);
  }
  for (int64_t a = 0; a < network.config().fields; ++a) {
    const at::Tensor& solution = heads[static_cast<size_t>(a)];
    theta.narrow(0, network.fieldOffset(a) + L.weightOffset, L.in).copy_(solution.narrow(0, 0, L.in));
    theta.narrow(0, network.fieldOffset(a) + L.biasOffset, 1).copy_(solution.narrow(0, L.in, 1));
  }
  return true;
}

double relativeError(const Network& network, const at::Tensor& theta, const at::Tensor& points,
                     const at::Tensor& targets, Communicator* comm) {
  const at::Tensor y = network.forward(theta, points, JetRequest{}).values;
  const at::Tensor t = targets.to(y.options());
  // Relative to the variation u − o: an offset is no part of u's size that a fit must resolve.
  const at::Tensor size = network.variation(t);
  if (comm == nullptr || comm->worldSize() <= 1) return ((y - t).norm() / size.norm()).item<double>();
  at::Tensor squares = at::stack({(y - t).square().sum(), size.square().sum()});
  comm->allReduceSum({squares});
  return std::sqrt(squares[0].item<double>() / squares[1].item<double>());
}

}  // namespace nivp
