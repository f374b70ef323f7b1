#include "distributed/process_group.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#if defined(NIVP_HAVE_GLOO) || defined(NIVP_HAVE_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef NIVP_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef NIVP_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace nivp {

// ---------------------------------------------------------------------------------------------
// Fingerprints: "<length>:<name><length>:<value>" per entry, so that values may hold anything.

std::string encodeFingerprint(const Fingerprint& fingerprint) {
  std::string out;
  for (const auto& [name, value] : fingerprint) {
    out += std::to_string(name.size()) + ":" + name;
    out += std::to_string(value.size()) + ":" + value;
  }
  return out;
}

Fingerprint decodeFingerprint(const std::string& bytes) {
  Fingerprint out;
  size_t at = 0;
  const auto field = [&]() {
    const size_t colon = bytes.find(':', at);
    if (colon == std::string::npos || colon == at)
      throw DistributedError("malformed configuration from a peer");
    const size_t length = std::stoul(bytes.substr(at, colon - at));
    if (colon + 1 + length > bytes.size()) throw DistributedError("malformed configuration from a peer");
    std::string value = bytes.substr(colon + 1, length);
    at = colon + 1 + length;
    return value;
  };
  while (at < bytes.size()) {
    std::string name = field();
    std::string value = field();
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

namespace {

std::string shown(const std::string& value) {
  constexpr size_t kShown = 120;
  return value.size() <= kShown ? value : value.substr(0, kShown) + "…";
}

std::string seconds(std::chrono::milliseconds t) {
  std::ostringstream s;
  s << static_cast<double>(t.count()) / 1000.0 << " s";
  return s.str();
}

}  // namespace

std::string describeDifference(const Fingerprint& mine, int myRank, const Fingerprint& theirs,
                               int theirRank) {
  const auto find = [](const Fingerprint& f, const std::string& name) -> const std::string* {
    for (const auto& [n, v] : f)
      if (n == name) return &v;
    return nullptr;
  };
  const std::string me = "rank " + std::to_string(myRank), them = "rank " + std::to_string(theirRank);
  for (const auto& [name, value] : mine) {
    const std::string* other = find(theirs, name);
    if (other == nullptr) return name + " is set on " + me + " but not on " + them;
    if (*other != value)
      return name + " differs: " + shown(value) + " on " + me + ", " + shown(*other) + " on " + them;
  }
  for (const auto& [name, value] : theirs)
    if (find(mine, name) == nullptr) return name + " is set on " + them + " but not on " + me;
  return "";
}

std::vector<std::string> availableBackends() {
  std::vector<std::string> out;
#ifdef NIVP_HAVE_GLOO
  out.emplace_back("gloo");
#endif
#ifdef NIVP_HAVE_NCCL
  out.emplace_back("nccl");
#endif
  return out;
}

namespace {

void checkBackend(const std::string& backend) {
  const auto have = availableBackends();
  if (std::find(have.begin(), have.end(), backend) != have.end()) return;
  std::string list;
  for (const auto& b : have) list += (list.empty() ? "" : ", ") + b;
  if (backend == "gloo")
    throw DistributedError(
        "this build of the addon has no Gloo backend: it was compiled against a libtorch without c10d's Gloo "
        "headers (on Debian install libgloo-dev and rebuild: npm run build:native)" +
        (list.empty() ? std::string() : "; available: " + list));
  if (backend == "nccl")
    throw DistributedError(
        "this build of the addon has no NCCL backend: it needs a CUDA libtorch with NCCL (the CUDA build)" +
        (list.empty() ? std::string() : "; available: " + list));
  throw DistributedError("unknown backend '" + backend + "'");
}

}  // namespace

#if defined(NIVP_HAVE_GLOO) || defined(NIVP_HAVE_NCCL)

namespace {

// c10::Error's what() carries a backtrace; the first line is the message.
std::string messageOf(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10 != nullptr ? c10->what_without_backtrace() : e.what();
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  return text;
}

// One c10d process group (Gloo's or NCCL's: the same calls in libtorch 1.13 and 2.x, where the
// group became a c10d::Backend).
template <typename Group>
class GroupCommunicator final : public Communicator {
 public:
  GroupCommunicator(c10::intrusive_ptr<Group> group, int rank, int size, std::string backend,
                    std::chrono::milliseconds timeout)
      : group_(std::move(group)), rank_(rank), size_(size), backend_(std::move(backend)), timeout_(timeout) {}

  int rank() const override { return rank_; }
  int worldSize() const override { return size_; }
  std::string backend() const override { return backend_; }

  void barrier() override {
    run("a barrier", [&](Group& g) { g.barrier()->wait(); });
  }

  void shutdown(const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (reason_.empty()) reason_ = reason;
    // Destroying the group closes its connections: peers' collectives fail instead of waiting.
    group_.reset();
  }

 protected:
  void reduce(at::Tensor& flat, Op op) override {
    const int64_t bytes = flat.numel() * static_cast<int64_t>(flat.element_size());
    run("an all-reduce of " + std::to_string(bytes) + " bytes", [&](Group& g) {
      std::vector<at::Tensor> tensors{flat};
      c10d::AllreduceOptions options;
      options.reduceOp = op == Op::Sum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX;
      g.allreduce(tensors, options)->wait();
    });
  }

 private:
  template <typename F>
  void run(const std::string& what, F&& collective) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!group_) throw DistributedError("this process left the run earlier: " + reason_);
    std::string failure;
    try {
      collective(*group_);
      return;
    } catch (const std::exception& e) {
      failure = messageOf(e);
    }
    lock.unlock();
    const std::string message =
        what + " failed on rank " + std::to_string(rank_) + " of " + std::to_string(size_) + " (" + backend_ +
        "): " + failure +
        ". A peer process exited, was killed or cancelled, or did not answer within the "
        "timeout of " +
        seconds(timeout_);
    shutdown(message);
    throw DistributedError(message);
  }

  std::mutex mutex_;
  c10::intrusive_ptr<Group> group_;
  const int rank_, size_;
  const std::string backend_;
  const std::chrono::milliseconds timeout_;
  std::string reason_;
};

// How long rank 0 keeps the store up after a failed rendezvous, for the others to read why.
constexpr std::chrono::milliseconds kLinger{5000};

bool isLoopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1";
}

// Waits for `key`, watching `abortKey`, where any process posts why the run cannot start.
void waitForKey(c10d::Store& store, const std::string& key, const std::string& abortKey,
                std::chrono::steady_clock::time_point deadline, const std::string& missing) {
  for (;;) {
    if (store.check({abortKey})) {
      const auto v = store.get(abortKey);
      throw DistributedError(std::string(v.begin(), v.end()));
    }
    if (store.check({key})) return;
    if (std::chrono::steady_clock::now() >= deadline) throw DistributedError(missing);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// Every process posts its configuration and reads every other's: each one compares the same
// pairs, so all of them reach the same verdict; the first to fail also posts it for the rest.
void agreeOnConfiguration(c10d::Store& store, const std::string& prefix, const DistributedConfig& c) {
  const std::string abortKey = prefix + "abort", leftKey = prefix + "left";
  const auto fail = [&](const std::string& message) {
    try {
      if (!store.check({abortKey})) store.set(abortKey, bytesOf(message));
      store.add(leftKey, 1);
      // Rank 0 hosts the store: it stays a little, until the others have read why.
      const auto until =
          std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(c.timeout, kLinger);
      while (c.rank == 0 && store.add(leftKey, 0) < c.worldSize && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } catch (const std::exception&) {
      // The store is gone (rank 0 exited): the others find out by themselves.
    }
    throw DistributedError(message);
  };
  Fingerprint mine = c.fingerprint;
  mine.insert(mine.begin(), {"backend", c.backend});
  mine.insert(mine.begin(), {"worldSize", std::to_string(c.worldSize)});
  if (store.add(prefix + "rank/" + std::to_string(c.rank), 1) > 1)
    fail("two processes claim rank " + std::to_string(c.rank) + " (check RANK / distributed.rank)");
  store.set(prefix + "config/" + std::to_string(c.rank), bytesOf(encodeFingerprint(mine)));
  const auto deadline = std::chrono::steady_clock::now() + c.timeout;
  for (int other = 0; other < c.worldSize; ++other) {
    if (other == c.rank) continue;
    const std::string key = prefix + "config/" + std::to_string(other);
    std::string difference;
    try {
      waitForKey(store, key, abortKey, deadline,
                 "rank " + std::to_string(other) + " did not join within " + seconds(c.timeout) +
                     " (world size " + std::to_string(c.worldSize) + " at " + c.address + ":" +
                     std::to_string(c.port) + "; is a process missing, or is WORLD_SIZE wrong?)");
      const auto raw = store.get(key);
      difference =
          describeDifference(mine, c.rank, decodeFingerprint(std::string(raw.begin(), raw.end())), other);
    } catch (const DistributedError& e) {
      fail(std::string(e.what()).substr(std::string("distributed: ").size()));
    } catch (const std::exception& e) {
      throw DistributedError("lost rank 0's rendezvous store at " + c.address + ":" + std::to_string(c.port) +
                             " (rank 0 exited or failed): " + messageOf(e));
    }
    if (!difference.empty()) fail("the processes' configurations differ: " + difference);
  }
}

c10::intrusive_ptr<c10d::Store> connectStore(const DistributedConfig& c) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(c.port);
  options.isServer = c.rank == 0;
  options.waitWorkers = false;  // arrivals are checked by agreeOnConfiguration, with clear errors
  options.timeout = c.timeout;
  const std::string where = c.address + ":" + std::to_string(c.port);
  try {
    return c10::make_intrusive<c10d::TCPStore>(c.address, options);
  } catch (const std::exception& e) {
    if (c.rank == 0)
      throw DistributedError("rank 0 cannot host the rendezvous store at " + where + ": " + messageOf(e) +
                             " (is the port in use? choose another with MASTER_PORT or distributed.port)");
    throw DistributedError("cannot reach rank 0's rendezvous store at " + where + " within " +
                           seconds(c.timeout) + ": " + messageOf(e));
  }
}

std::shared_ptr<Communicator> createGroup(const DistributedConfig& c,
                                          const c10::intrusive_ptr<c10d::Store>& store) {
  const auto groupStore = c10::make_intrusive<c10d::PrefixStore>("nivp/group", store);
  try {
#ifdef NIVP_HAVE_GLOO
    if (c.backend == "gloo") {
      auto options = c10d::ProcessGroupGloo::Options::create(c.timeout);
      // As torch.distributed: GLOO_SOCKET_IFNAME picks the interface; a loopback run stays on it.
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname != nullptr && *ifname != '\0') {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (isLoopback(c.address)) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      options->threads = 1;
      auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(groupStore, c.rank, c.worldSize, options);
      return std::make_shared<GroupCommunicator<c10d::ProcessGroupGloo>>(group, c.rank, c.worldSize, "gloo",
                                                                         c.timeout);
    }
#endif
#ifdef NIVP_HAVE_NCCL
    if (c.backend == "nccl") {
      // A failed or timed-out collective throws from wait() instead of tearing the process down
      // (libtorch 1.13 reads the unprefixed names, 2.x the TORCH_ ones).
      for (const char* name : {"TORCH_NCCL_ASYNC_ERROR_HANDLING", "NCCL_ASYNC_ERROR_HANDLING"})
        setenv(name, "2", /*overwrite=*/0);
      for (const char* name : {"TORCH_NCCL_BLOCKING_WAIT", "NCCL_BLOCKING_WAIT"}) setenv(name, "1", 0);
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = c.timeout;
      auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(groupStore, c.rank, c.worldSize, options);
      return std::make_shared<GroupCommunicator<c10d::ProcessGroupNCCL>>(group, c.rank, c.worldSize, "nccl",
                                                                         c.timeout);
    }
#endif
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError("creating the " + c.backend + " process group failed on rank " +
                           std::to_string(c.rank) + ": " + messageOf(e));
  }
  checkBackend(c.backend);  // throws
  return nullptr;
}

// The process's group, kept for the life of the process (never destroyed: tearing a group down
// while Node exits could wait on peers).
struct Registry {
  std::mutex mutex;
  std::string key;
  c10::intrusive_ptr<c10d::Store> store;
  std::shared_ptr<Communicator> communicator;
  int sessions = 0;
};

Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

std::string describe(const DistributedConfig& c) {
  return "rank " + std::to_string(c.rank) + " of " + std::to_string(c.worldSize) + " at " + c.address + ":" +
         std::to_string(c.port) + " (" + c.backend + ", timeout " + seconds(c.timeout) + ")";
}

}  // namespace

std::shared_ptr<Communicator> joinProcessGroup(const DistributedConfig& c) {
  checkBackend(c.backend);
  if (c.worldSize < 1 || c.rank < 0 || c.rank >= c.worldSize)
    throw DistributedError("rank " + std::to_string(c.rank) + " is outside the world of " +
                           std::to_string(c.worldSize) + " processes");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const std::string key = describe(c);
  if (r.communicator && r.key != key)
    throw DistributedError("this process already joined a run as " + r.key + "; one run per process, not " +
                           key);
  try {
    if (!r.store) r.store = connectStore(c);
    agreeOnConfiguration(*r.store, "nivp/session" + std::to_string(r.sessions) + "/", c);
    if (!r.communicator) r.communicator = createGroup(c, r.store);
  } catch (...) {
    if (!r.communicator) r.store.reset();  // nothing joined: a later attempt starts afresh
    ++r.sessions;
    throw;
  }
  r.key = key;
  ++r.sessions;
  return r.communicator;
}

std::shared_ptr<Communicator> connectProcessGroup(const DistributedConfig& c) {
  checkBackend(c.backend);
  const auto store = connectStore(c);
  agreeOnConfiguration(*store, "nivp/session0/", c);
  return createGroup(c, store);
}

#else  // no c10d backend in this build

std::shared_ptr<Communicator> joinProcessGroup(const DistributedConfig& c) {
  checkBackend(c.backend);  // throws, naming what the build lacks
  return nullptr;
}

std::shared_ptr<Communicator> connectProcessGroup(const DistributedConfig& c) { return joinProcessGroup(c); }

#endif

}  // namespace nivp
