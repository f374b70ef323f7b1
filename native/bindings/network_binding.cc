#include "bindings/network_binding.h"

#include <limits>

#include "bindings/async.h"
#include "bindings/convert.h"
#include "bindings/launch_counts.h"
#include "bindings/plan_binding.h"
#include "engine/calibrate.h"

namespace nivp::js {

namespace {

constexpr int64_t kMaxCount = int64_t{1} << 40;

}  // namespace

NetworkConfig parseNetworkConfig(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  if (!value.IsObject()) throwType(env, "network config must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  const std::string p = "network";
  NetworkConfig c;
  c.dim = intProp(o, p, "dim", -1, 1, 64);
  if (c.dim < 0) throwType(env, "network.dim is required");
  c.fields = intProp(o, p, "fields", 1, 1, 1024);
  c.width = intProp(o, p, "width", c.width, 1, 1 << 16);
  c.depth = intProp(o, p, "depth", c.depth, 1, 64);
  c.activation = stringProp(o, p, "activation", "swish", {"swish", "tanh"}) == "tanh" ? Activation::Tanh
                                                                                      : Activation::Swish;
  c.embedding = boolProp(o, p, "embedding", c.embedding);
  c.output = outputNamed(stringProp(o, p, "output", "linear", {"linear", "exp"}));
  c.frequencies = intProp(o, p, "frequencies", c.frequencies, 0, 30);
  c.decay = numberProp(o, p, "decay", c.decay);
  c.embeddingScale = numberProp(o, p, "embeddingScale", c.embeddingScale);
  c.dirichlet = flagsProp(o, p, "dirichlet", c.dirichlet);
  c.periodic = flagsProp(o, p, "periodic", c.periodic);
  if (!o.Get("outputScale").IsUndefined()) {
    c.outputScale = numberArrayProp(o, p, "outputScale");
    if (static_cast<int64_t>(c.outputScale.size()) != c.fields)
      throwRange(env, "network.outputScale must have one entry per field");
  }
  if (!o.Get("outputOffset").IsUndefined()) {
    c.outputOffset = numberArrayProp(o, p, "outputOffset");
    if (static_cast<int64_t>(c.outputOffset.size()) != c.fields)
      throwRange(env, "network.outputOffset must have one entry per field");
  }
  c.lower = numberArrayProp(o, p, "lower");
  c.upper = numberArrayProp(o, p, "upper");
  if (static_cast<int64_t>(c.lower.size()) != c.dim) throwRange(env, "network.lower must have dim entries");
  if (static_cast<int64_t>(c.upper.size()) != c.dim) throwRange(env, "network.upper must have dim entries");
  c.dtype =
      stringProp(o, p, "dtype", "float64", {"float64", "float32"}) == "float32" ? at::kFloat : at::kDouble;
  const std::string device = stringProp(o, p, "device", "cpu", {"cpu", "cuda"});
  if (device == "cuda" && !at::hasCUDA())
    throwRange(env, "network.device is 'cuda' but this libtorch has no CUDA device");
  c.device = device == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU);
  const std::string chunking = stringProp(o, p, "chunking", "auto", {"auto", "cache", "batch"});
  c.chunking = chunking == "cache"   ? NetworkConfig::Chunking::Cache
               : chunking == "batch" ? NetworkConfig::Chunking::Batch
                                     : NetworkConfig::Chunking::Auto;
  c.chunkRows = intProp(o, p, "chunkRows", c.chunkRows, 1, kMaxCount);
  c.memoryBudgetBytes = intProp(o, p, "memoryBudget", c.memoryBudgetBytes, 1 << 20, kMaxCount);
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throwRange(env, e.what());
  }
  return c;
}

namespace {

JetRequest parseRequest(const Napi::Value& value, int64_t dim) {
  JetRequest r;
  if (value.IsUndefined()) return r;
  const Napi::Env env = value.Env();
  if (!value.IsObject()) throwType(env, "request must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  r.gradient = boolProp(o, "request", "gradient", false);
  r.laplacian = boolProp(o, "request", "laplacian", false);
  r.pairs = parsePairs(o.Get("pairs"), "request.pairs", dim);
  return r;
}

}  // namespace

void NetworkWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn =
      DefineClass(env, "Network",
                  {
                      InstanceAccessor<&NetworkWrap::ParameterCount>("parameterCount"),
                      InstanceAccessor<&NetworkWrap::FieldParameterCount>("fieldParameterCount"),
                      InstanceMethod<&NetworkWrap::Layout>("layout"),
                      InstanceMethod<&NetworkWrap::InitialParameters>("initialParameters"),
                      InstanceMethod<&NetworkWrap::Forward>("forward"),
                      InstanceMethod<&NetworkWrap::Linearize>("linearize"),
                  });
  exports.Set("Network", fn);
}

NetworkWrap::NetworkWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkWrap>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    network_ = std::make_shared<const Network>(parseNetworkConfig(info[0]));
    return info.Env().Undefined();
  });
}

Napi::Value NetworkWrap::ParameterCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(network_->parameterCount()));
}

Napi::Value NetworkWrap::FieldParameterCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(network_->fieldParameterCount()));
}

Napi::Value NetworkWrap::Layout(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Array layers = Napi::Array::New(env);
  uint32_t index = 0;
  for (const LinearLayer& L : network_->layers()) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("in", static_cast<double>(L.in));
    o.Set("out", static_cast<double>(L.out));
    o.Set("weightOffset", static_cast<double>(L.weightOffset));
    o.Set("biasOffset", static_cast<double>(L.biasOffset));
    layers.Set(index++, o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fields", static_cast<double>(network_->config().fields));
  out.Set("fieldParameterCount", static_cast<double>(network_->fieldParameterCount()));
  out.Set("inputFeatures", static_cast<double>(network_->config().inputFeatures()));
  out.Set("layers", layers);
  return out;
}

Napi::Value NetworkWrap::InitialParameters(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const int64_t seed = countArg(info[0], "seed", 0, std::numeric_limits<int32_t>::max());
    return toFloat64Array(info.Env(), network_->initialParameters(static_cast<uint64_t>(seed)));
  });
}

Napi::Value NetworkWrap::Forward(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const at::Tensor theta = tensorArg(info[0], "theta", {network_->parameterCount()});
    const at::Tensor points = rowsArg(info[1], "points", network_->config().dim);
    const JetRequest request = parseRequest(info[2], network_->config().dim);
    auto network = network_;
    return PromiseWorker<Jets>::run(
        info.Env(), [=] { return network->forward(theta.to(network->options()), points, request); },
        [](Napi::Env env, Jets& jets) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("values", toFloat64Array(env, jets.values));
          if (jets.gradients.defined()) out.Set("gradients", toFloat64Array(env, jets.gradients));
          if (jets.second.defined()) out.Set("second", toFloat64Array(env, jets.second));
          if (jets.laplacian.defined()) out.Set("laplacian", toFloat64Array(env, jets.laplacian));
          return out;
        });
  });
}

Napi::Value NetworkWrap::Linearize(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const at::Tensor theta = tensorArg(info[0], "theta", {network_->parameterCount()});
    const at::Tensor points = rowsArg(info[1], "points", network_->config().dim);
    auto network = network_;
    return PromiseWorker<std::shared_ptr<const Linearization>>::run(
        info.Env(), [=] { return std::make_shared<const Linearization>(*network, theta, points); },
        [network](Napi::Env env, std::shared_ptr<const Linearization>& lin) -> Napi::Value {
          return LinearizationWrap::New(env, lin, network);
        });
  });
}

Napi::FunctionReference LinearizationWrap::constructor_;

void LinearizationWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "Linearization",
                                  {
                                      InstanceAccessor<&LinearizationWrap::Samples>("samples"),
                                      InstanceMethod<&LinearizationWrap::Values>("values"),
                                      InstanceMethod<&LinearizationWrap::Jvp>("jvp"),
                                      InstanceMethod<&LinearizationWrap::Vjp>("vjp"),
                                      InstanceMethod<&LinearizationWrap::Mvm>("mvm"),
                                      InstanceMethod<&LinearizationWrap::MvmLaunches>("mvmLaunches"),
                                      InstanceMethod<&LinearizationWrap::MvmSeconds>("mvmSeconds"),
                                      InstanceMethod<&LinearizationWrap::Rhs>("rhs"),
                                      InstanceMethod<&LinearizationWrap::Jacobian>("jacobian"),
                                      InstanceMethod<&LinearizationWrap::Release>("release"),
                                  });
  constructor_ = Napi::Persistent(fn);
  exports.Set("Linearization", fn);
}

Napi::Object LinearizationWrap::New(Napi::Env, std::shared_ptr<const Linearization> linearization,
                                    std::shared_ptr<const Network> network) {
  Napi::Object obj = constructor_.New({});
  LinearizationWrap* self = Napi::ObjectWrap<LinearizationWrap>::Unwrap(obj);
  self->linearization_ = std::move(linearization);
  self->network_ = std::move(network);
  return obj;
}

LinearizationWrap::LinearizationWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<LinearizationWrap>(info) {}

namespace {
const Linearization& checked(Napi::Env env, const std::shared_ptr<const Linearization>& lin) {
  if (!lin)
    throwType(env, "this Linearization was released, or not made by network.linearize(theta, points)");
  return *lin;
}
}  // namespace

Napi::Value LinearizationWrap::Samples(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(checked(info.Env(), linearization_).samples()));
  });
}

Napi::Value LinearizationWrap::Values(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    return toFloat64Array(info.Env(), checked(info.Env(), linearization_).values());
  });
}

// jvp(V: p×r, r) → n×k×r
Napi::Value LinearizationWrap::Jvp(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    checked(info.Env(), lin);
    const int64_t r = countArg(info[1], "r", 1, 1 << 20);
    const at::Tensor V = tensorArg(info[0], "V", {network_->parameterCount(), r});
    return PromiseWorker<at::Tensor>::run(
        info.Env(), [=] { return lin->jvp(V.to(lin->network().options())); },
        [](Napi::Env env, at::Tensor& t) -> Napi::Value { return toFloat64Array(env, t); });
  });
}

// vjp(W: n×k×r, r) → p×r
Napi::Value LinearizationWrap::Vjp(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    checked(info.Env(), lin);
    const int64_t r = countArg(info[1], "r", 1, 1 << 20);
    const at::Tensor W = tensorArg(info[0], "W", {lin->samples(), network_->config().fields, r});
    return PromiseWorker<at::Tensor>::run(
        info.Env(), [=] { return lin->vjp(W.to(lin->network().options())); },
        [](Napi::Env env, at::Tensor& t) -> Napi::Value { return toFloat64Array(env, t); });
  });
}

// mvm(V: p×r, r, mu) → (JᵀJ/n + μI)V, p×r
Napi::Value LinearizationWrap::Mvm(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    const auto [V, mu] = mvmArguments(info);
    return PromiseWorker<at::Tensor>::run(
        info.Env(), [=] { return lin->mvm(V.to(lin->network().options()), mu); },
        [](Napi::Env env, at::Tensor& t) -> Napi::Value { return toFloat64Array(env, t); });
  });
}

// mvmLaunches(V: p×r, r, mu) → { ops, syncs } of one mvm: what it would launch on a GPU.
Napi::Value LinearizationWrap::MvmLaunches(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    const auto [V, mu] = mvmArguments(info);
    return PromiseWorker<LaunchCounts>::run(
        info.Env(),
        [=] {
          const at::Tensor Vd = V.to(lin->network().options());
          LaunchCounter counter;
          lin->mvm(Vd, mu);
          return counter.counts();
        },
        [](Napi::Env env, LaunchCounts& c) -> Napi::Value { return launchCountsObject(env, c); });
  });
}

// mvmSeconds(V: p×r, r, mu, repeats) → median seconds of one mvm on the device, V already there and
// the result left there: the product as a solver's CG runs it, without the copies and the worker
// hand-off around a call from JavaScript.
Napi::Value LinearizationWrap::MvmSeconds(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    const auto [V, mu] = mvmArguments(info);
    const int64_t repeats = countArg(info[3], "repeats", 1, 1 << 16);
    return PromiseWorker<double>::run(
        info.Env(),
        [=] {
          const at::Tensor Vd = V.to(lin->network().options());
          return medianDeviceSeconds([&] { lin->mvm(Vd, mu); }, repeats, lin->network().options().device());
        },
        [](Napi::Env env, double& seconds) -> Napi::Value { return Napi::Number::New(env, seconds); });
  });
}

// mvm's, mvmLaunches' and mvmSeconds' arguments (V: p×r, r, mu ≥ 0), checked against a live linearisation.
std::pair<at::Tensor, double> LinearizationWrap::mvmArguments(const Napi::CallbackInfo& info) const {
  checked(info.Env(), linearization_);
  const int64_t r = countArg(info[1], "r", 1, 1 << 20);
  const at::Tensor V = tensorArg(info[0], "V", {network_->parameterCount(), r});
  const double mu = info[2].IsUndefined() ? 0.0 : numberArg(info[2], "mu");
  if (mu < 0) throwRange(info.Env(), "mu must be >= 0");
  return {V, mu};
}

// rhs(f: n×k) → F = Jᵀf/n, p
Napi::Value LinearizationWrap::Rhs(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    checked(info.Env(), lin);
    const at::Tensor f = tensorArg(info[0], "f", {lin->samples(), network_->config().fields, 1});
    return PromiseWorker<at::Tensor>::run(
        info.Env(),
        [=] { return lin->vjp(f.to(lin->network().options())).div_(static_cast<double>(lin->samples())); },
        [](Napi::Env env, at::Tensor& t) -> Napi::Value { return toFloat64Array(env, t); });
  });
}

// release(): frees the caches now (work already started keeps its own reference), instead of when
// the garbage collector finds the object, which knows nothing of their size.
Napi::Value LinearizationWrap::Release(const Napi::CallbackInfo& info) {
  linearization_.reset();
  return info.Env().Undefined();
}

// jacobian(field) → J_a, n×p_a (row-major)
Napi::Value LinearizationWrap::Jacobian(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto lin = linearization_;
    checked(info.Env(), lin);
    const int64_t field = countArg(info[0], "field", 0, network_->config().fields - 1);
    return PromiseWorker<at::Tensor>::run(
        info.Env(), [=] { return lin->fieldJacobian(field); },
        [](Napi::Env env, at::Tensor& t) -> Napi::Value { return toFloat64Array(env, t); });
  });
}

}  // namespace nivp::js
