// Sample-parallel runs (paper §4.1: every quantity of the method is a sum over Monte Carlo
// points): θ is replicated on every process, the points are split across them, and each
// process's partial sums over its own points become sums over all points by one all-reduce per
// product. A Communicator is that all-reduce; the numerical code calls it through sumOverRanks()
// at the few places that sum over points, and with one process it does nothing.
#pragma once
#include <ATen/ATen.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nivp {

// A collective failed, timed out, a peer is missing or disagrees. Messages start "distributed: ".
struct DistributedError : std::runtime_error {
  explicit DistributedError(const std::string& what) : std::runtime_error("distributed: " + what) {}
};

// What the collectives have cost so far (measurements and the benchmark).
struct CollectiveStats {
  int64_t calls = 0;
  int64_t bytes = 0;     // payload per process (what each process contributes)
  double seconds = 0.0;  // wall time inside collectives, waiting for peers included
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int worldSize() const = 0;
  // "gloo", "nccl" or "local".
  virtual std::string backend() const = 0;

  // In place: each tensor becomes the element-wise sum over all processes. The tensors (same
  // dtype and device) travel as one message. Throws DistributedError when the collective fails.
  void allReduceSum(const std::vector<at::Tensor>& tensors);
  // In place element-wise maximum of one integer or floating tensor.
  void allReduceMax(const at::Tensor& tensor);
  virtual void barrier() = 0;

  // Throws unless θ (and t) are bitwise identical on every process: the integrator's decisions
  // are taken independently by each process and can only agree while θ does. `what` names the
  // point of the run in the message ("step 12 (t = 0.3)"). The same message carries a vote (≥ 0):
  // returns the largest vote of all processes, for the decisions that depend on a process's own
  // clock (a wall-time restart policy), so that all of them take the same one.
  int64_t checkReplicated(const at::Tensor& theta, double t, const std::string& what, int64_t vote = 0);

  // Stops taking part: this process's connections close, so that peers blocked in (or later
  // entering) a collective fail at once instead of waiting for the timeout. Later collectives
  // here throw DistributedError naming `reason`. Idempotent.
  virtual void shutdown(const std::string& reason) = 0;

  CollectiveStats stats() const { return stats_; }
  void resetStats() { stats_ = CollectiveStats{}; }

 protected:
  enum class Op { Sum, Max };
  // Reduces one contiguous tensor in place across the processes.
  virtual void reduce(at::Tensor& flat, Op op) = 0;

 private:
  void timed(at::Tensor& flat, Op op);
  CollectiveStats stats_;
};

// One process: every sum is already complete, every collective returns at once.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int worldSize() const override { return 1; }
  std::string backend() const override { return "local"; }
  void barrier() override {}
  void shutdown(const std::string&) override {}

 protected:
  void reduce(at::Tensor&, Op) override {}
};

// The hook of the numerical code: completes partial sums over points in place. A null
// communicator, or one process, leaves them as they are.
inline void sumOverRanks(Communicator* comm, const std::vector<at::Tensor>& partialSums) {
  if (comm != nullptr && comm->worldSize() > 1) comm->allReduceSum(partialSums);
}

}  // namespace nivp
