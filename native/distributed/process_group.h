// Joining a sample-parallel run on libtorch's own distributed engine, c10d (the engine under
// torch.distributed): rank 0 hosts a c10d::TCPStore at address:port, every process rendezvous
// there, checks that all of them run the same configuration, and then all-reduces through
// c10d::ProcessGroupGloo (CPU tensors) or c10d::ProcessGroupNCCL (CUDA tensors).
//
// One process group per process, as torch.distributed's default group: the first session of a
// distributed run creates it; later sessions in the same process (same rank, world size,
// address, port, backend and timeout) reuse it, each with its own configuration check.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "distributed/communicator.h"

namespace nivp {

// What every process must agree on, as (name, value) pairs: the problem, the options, p, ….
using Fingerprint = std::vector<std::pair<std::string, std::string>>;

struct DistributedConfig {
  int rank = 0;
  int worldSize = 1;
  std::string address = "127.0.0.1";  // rank 0's host: the TCPStore's address
  int port = 29500;
  std::string backend = "gloo";  // "gloo" or "nccl"
  // Rendezvous and every collective fail after this long without progress from a peer.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  Fingerprint fingerprint;
};

// Joins (or reuses) the process group and checks the configurations of all processes against
// each other. Throws DistributedError naming the cause: a busy port, a peer that does not arrive
// within the timeout, two processes claiming one rank, different world sizes, a configuration
// that differs (naming the entry and both values), or a backend this build lacks. A failure
// detected by one process is posted in the store, so that the others fail with it too.
std::shared_ptr<Communicator> joinProcessGroup(const DistributedConfig& config);

// The same rendezvous and check, but a group of its own, outside the process-wide one (tests run
// the ranks of a group as threads of one process).
std::shared_ptr<Communicator> connectProcessGroup(const DistributedConfig& config);

// The backends this build of the addon was compiled with (a subset of "gloo", "nccl").
std::vector<std::string> availableBackends();

// Fingerprints on the wire, and the first difference between two ("" when they agree).
std::string encodeFingerprint(const Fingerprint& fingerprint);
Fingerprint decodeFingerprint(const std::string& bytes);
std::string describeDifference(const Fingerprint& mine, int myRank, const Fingerprint& theirs, int theirRank);

}  // namespace nivp
