#include "bindings/session_binding.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "bindings/async.h"
#include "bindings/convert.h"
#include "bindings/distributed_binding.h"
#include "bindings/launch_counts.h"
#include "bindings/network_binding.h"
#include "bindings/plan_binding.h"

namespace nivp::js {

namespace {

constexpr int64_t kMaxHandle = int64_t{1} << 52;
constexpr int64_t kMaxCount = int64_t{1} << 32;

Napi::Object objectArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject()) throwType(value.Env(), name + " must be an object");
  return value.As<Napi::Object>();
}

bool boolArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsBoolean()) throwType(value.Env(), name + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

bool present(const Napi::Value& value) { return !value.IsNull() && !value.IsUndefined(); }

// The config is built and validated by TypeScript (ts/solver/session-config.ts, and save-format.ts
// for a loaded solution): it is read here trusting its values, asserting only what memory safety
// relies on — the types read, sizes and index ranges. The network section is the Network class's
// own (parseNetworkConfig), the plans' node indices are checked by Program::validate.
SessionConfig readSessionConfig(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  const Napi::Object o = objectArg(value, "session config");
  SessionConfig c;
  c.network = parseNetworkConfig(o.Get("network"));
  const Napi::Object plan = objectArg(o.Get("plan"), "plan");
  c.rhs = parseProgram(plan.Get("rhs"), "plan.rhs");
  if (present(plan.Get("initial"))) c.initial = parseProgram(plan.Get("initial"), "plan.initial");
  if (present(plan.Get("exact"))) c.exact = parseProgram(plan.Get("exact"), "plan.exact");
  if (present(plan.Get("lower")) || present(plan.Get("upper"))) {
    c.domainLower = numberArrayProp(plan, "plan", "lower");
    c.domainUpper = numberArrayProp(plan, "plan", "upper");
    const auto dim = static_cast<size_t>(c.network.dim);
    if (c.domainLower.size() != dim || c.domainUpper.size() != dim)
      throwRange(env, "plan.lower and plan.upper must have network.dim entries");
  }
  const Napi::Object jets = objectArg(plan.Get("jets"), "plan.jets");
  c.jets.gradient = boolArg(jets.Get("gradient"), "plan.jets.gradient");
  c.jets.laplacian = boolArg(jets.Get("laplacian"), "plan.jets.laplacian");
  c.jets.pairs = parsePairs(jets.Get("pairs"), "plan.jets.pairs", c.network.dim);
  c.samples = countArg(o.Get("samples"), "samples", 1, kMaxCount);
  // Absent in configs written before it existed: no held-out points.
  c.heldOutSamples = intProp(o, "", "heldOutSamples", 0, 0, kMaxCount);
  const Napi::Object linear = objectArg(o.Get("linear"), "linear");
  const Napi::Value method = linear.Get("method");
  c.linear.mu = numberArg(linear.Get("mu"), "linear.mu");
  const Napi::Value muScale = linear.Get("muScale");
  c.linear.muRelative = muScale.StrictEquals(Napi::String::New(env, "solution"));
  if (!c.linear.muRelative && !muScale.StrictEquals(Napi::String::New(env, "absolute")))
    throwType(env, "linear.muScale must be 'solution' or 'absolute'");
  if (method.StrictEquals(Napi::String::New(env, "dense"))) {
    c.linear.method = LinearSolverConfig::Method::Dense;
  } else if (method.StrictEquals(Napi::String::New(env, "pcg"))) {
    c.linear.method = LinearSolverConfig::Method::Pcg;
    c.linear.tol = numberArg(linear.Get("tol"), "linear.tol");
    c.linear.maxIters = countArg(linear.Get("maxIters"), "linear.maxIters", 0, kMaxCount);
    c.linear.rank = countArg(linear.Get("rank"), "linear.rank", 0, kMaxCount);
    // Absent in configs written before it existed: a fixed rank.
    c.linear.maxRank = intProp(linear, "linear", "maxRank", 0, 0, kMaxCount);
    c.linear.mixedPrecision = boolArg(linear.Get("mixedPrecision"), "linear.mixedPrecision");
    c.linear.reusePreconditioner = boolArg(linear.Get("reusePreconditioner"), "linear.reusePreconditioner");
    // Absent in configs written before it existed: the engine's choice per block.
    c.linear.sketchRows = intProp(linear, "linear", "sketchRows", c.linear.sketchRows, -1, kMaxCount);
  } else {
    throwType(env, "linear.method must be 'pcg' or 'dense'");
  }
  // Absent in configs made before it existed: the L² projection for every field.
  if (present(linear.Get("gradientWeights"))) {
    c.linear.gradientWeights = numberArrayProp(linear, "linear", "gradientWeights");
    if (c.linear.gradientWeights.size() != static_cast<size_t>(c.network.fields))
      throwRange(env, "linear.gradientWeights must have network.fields entries");
    c.linear.stencilStep = numberArg(linear.Get("stencilStep"), "linear.stencilStep");
    // Absent in configs made before sampled directions existed: every axis.
    if (present(linear.Get("stencilDirections")))
      c.linear.stencilDirections =
          stringProp(linear, "linear", "stencilDirections", "axes", {"axes", "sampled"}) == "sampled"
              ? StencilDirections::Sampled
              : StencilDirections::Axes;
  }
  c.linear.memoryBudgetBytes = countArg(o.Get("memoryBudget"), "memoryBudget", 0, kMaxHandle);
  c.seed = static_cast<uint64_t>(countArg(o.Get("seed"), "seed", 0, std::numeric_limits<int32_t>::max()));
  c.shares = parseSampleShares(o.Get("sampleShares"));
  c.countLaunches = boolProp(o, "", "countLaunches", c.countLaunches);
  // A distributed CUDA run: each local process on its own device (LOCAL_RANK).
  if (c.network.device.is_cuda() && present(o.Get("deviceIndex")))
    c.network.device = at::Device(
        at::kCUDA, static_cast<c10::DeviceIndex>(countArg(o.Get("deviceIndex"), "deviceIndex", 0, 127)));
  // Absent in configs made before it existed: uniform points, no importance sampling.
  c.sampling.sequence = PointSequence::Uniform;
  if (present(o.Get("sampling"))) {
    const Napi::Object sampling = objectArg(o.Get("sampling"), "sampling");
    const Napi::Value sequence = sampling.Get("sequence");
    if (sequence.StrictEquals(Napi::String::New(env, "sobol"))) {
      c.sampling.sequence = PointSequence::Sobol;
    } else if (sequence.StrictEquals(Napi::String::New(env, "uniform"))) {
      c.sampling.sequence = PointSequence::Uniform;
    } else {
      throwType(env, "sampling.sequence must be 'uniform' or 'sobol'");
    }
    if (present(sampling.Get("importance"))) {
      const Napi::Object i = objectArg(sampling.Get("importance"), "sampling.importance");
      ImportanceConfig ic;
      ic.uniformShare = numberArg(i.Get("uniformShare"), "sampling.importance.uniformShare");
      ic.kernels = countArg(i.Get("kernels"), "sampling.importance.kernels", 1, kMaxCount);
      ic.pilot = countArg(i.Get("pilot"), "sampling.importance.pilot", 1, kMaxCount);
      // Absent in configs made before it existed: no kernels at images.
      ic.imageShare = numberProp(i, "sampling.importance", "imageShare", 0.0);
      c.sampling.importance = ic;
    }
  }
  return c;
}

// Trusted as the session config is (options.ts validates the fit section).
SessionFitConfig readFitConfig(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  const Napi::Object o = objectArg(value, "fit config");
  SessionFitConfig c;
  const Napi::Value method = o.Get("method");
  if (method.StrictEquals(Napi::String::New(env, "adam"))) {
    c.method = SessionFitConfig::Method::Adam;
  } else if (!method.StrictEquals(Napi::String::New(env, "gauss-newton"))) {
    throwType(env, "fit.method must be 'gauss-newton' or 'adam'");
  }
  c.maxIterations = countArg(o.Get("maxIterations"), "fit.maxIterations", 0, kMaxCount);
  c.tol = numberArg(o.Get("tol"), "fit.tol");
  c.maxSeconds = numberArg(o.Get("maxSeconds"), "fit.maxSeconds");
  c.adam.lr = numberArg(o.Get("lr"), "fit.lr");
  c.adam.batch = countArg(o.Get("batch"), "fit.batch", 1, kMaxCount);
  c.warmupSteps = countArg(o.Get("warmupSteps"), "fit.warmupSteps", 0, kMaxCount);
  c.gaussNewton.samples = countArg(o.Get("samples"), "fit.samples", 1, kMaxCount);
  c.gaussNewton.maxSamples = countArg(o.Get("maxSamples"), "fit.maxSamples", 1, kMaxCount);
  c.gaussNewton.rank = countArg(o.Get("rank"), "fit.rank", 0, kMaxCount);
  c.headTuning = boolArg(o.Get("headTuning"), "fit.headTuning");
  c.headSamples = countArg(o.Get("headSamples"), "fit.headSamples", 1, kMaxCount);
  return c;
}

struct FitOutcome {
  SessionFitResult fit;
  double seconds = 0;
};

// Progress from a worker thread to a JS callback, without blocking the worker.
std::function<bool(int64_t, double)> progressTo(const std::shared_ptr<Napi::ThreadSafeFunction>& tsfn) {
  if (!tsfn) return {};
  return [tsfn](int64_t step, double loss) {
    auto* data = new std::pair<int64_t, double>(step, loss);
    const napi_status status =
        tsfn->NonBlockingCall(data, [](Napi::Env env, Napi::Function fn, std::pair<int64_t, double>* d) {
          Napi::Object p = Napi::Object::New(env);
          p.Set("step", static_cast<double>(d->first));
          p.Set("loss", d->second);
          delete d;
          fn.Call({p});
        });
    if (status != napi_ok) delete data;
    return true;
  };
}

}  // namespace

void SessionWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "Session",
                                  {
                                      InstanceAccessor<&SessionWrap::ParameterCount>("parameterCount"),
                                      InstanceMethod<&SessionWrap::Write>("write"),
                                      InstanceMethod<&SessionWrap::Read>("read"),
                                      InstanceMethod<&SessionWrap::Alias>("alias"),
                                      InstanceMethod<&SessionWrap::Combine>("combine"),
                                      InstanceMethod<&SessionWrap::Norm>("norm"),
                                      InstanceMethod<&SessionWrap::IsFinite>("isFinite"),
                                      InstanceMethod<&SessionWrap::Release>("release"),
                                      InstanceMethod<&SessionWrap::ReleaseMany>("releaseMany"),
                                      InstanceMethod<&SessionWrap::StoredVectors>("storedVectors"),
                                      InstanceMethod<&SessionWrap::Stage>("stage"),
                                      InstanceMethod<&SessionWrap::FinishStep>("finishStep"),
                                      InstanceMethod<&SessionWrap::FitInitial>("fitInitial"),
                                      InstanceMethod<&SessionWrap::Refit>("refit"),
                                      InstanceMethod<&SessionWrap::RefineStep>("refineStep"),
                                      InstanceMethod<&SessionWrap::Evaluate>("evaluate"),
                                      InstanceMethod<&SessionWrap::EvaluateSync>("evaluateSync"),
                                      InstanceMethod<&SessionWrap::OpenMeasurement>("openMeasurement"),
                                      InstanceMethod<&SessionWrap::CloseMeasurement>("closeMeasurement"),
                                      InstanceMethod<&SessionWrap::Residual>("residual"),
                                      InstanceMethod<&SessionWrap::Error>("error"),
                                      InstanceMethod<&SessionWrap::Cancel>("cancel"),
                                      InstanceMethod<&SessionWrap::Join>("join"),
                                      InstanceMethod<&SessionWrap::CheckReplicated>("checkReplicated"),
                                      InstanceMethod<&SessionWrap::CollectiveStats>("collectiveStats"),
                                  });
  exports.Set("Session", fn);
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    shared_ = std::make_shared<Shared>();
    shared_->session = std::make_unique<Session>(readSessionConfig(info[0]));
    return info.Env().Undefined();
  });
}

int64_t SessionWrap::handleArg(const Napi::Value& value, const std::string& name) const {
  return countArg(value, name, 1, kMaxHandle);
}

std::function<bool()> SessionWrap::cancellation() const {
  auto shared = shared_;
  const int64_t epoch = shared->epoch.load();
  return [shared, epoch] { return shared->epoch.load() != epoch; };
}

Napi::Value SessionWrap::ParameterCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(shared_->session->network().parameterCount()));
}

Napi::Value SessionWrap::Write(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const Network& net = shared_->session->network();
    const at::Tensor v = tensorArg(info[0], "values", {net.parameterCount()}).to(net.options());
    return Napi::Number::New(info.Env(), static_cast<double>(shared_->session->store(v)));
  });
}

Napi::Value SessionWrap::Read(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    return toFloat64Array(info.Env(), shared_->session->get(handleArg(info[0], "handle")));
  });
}

Napi::Value SessionWrap::Alias(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Session& session = *shared_->session;
    return Napi::Number::New(info.Env(),
                             static_cast<double>(session.store(session.get(handleArg(info[0], "handle")))));
  });
}

Terms SessionWrap::termsArg(const Napi::Value& value, const std::string& name) const {
  if (!value.IsArray()) throwType(value.Env(), name + " must be an array of [coefficient, handle] pairs");
  const Napi::Array arr = value.As<Napi::Array>();
  Terms terms;
  terms.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    const std::string item = name + "[" + std::to_string(k) + "]";
    const Napi::Value term = arr.Get(k);
    if (!term.IsArray() || term.As<Napi::Array>().Length() != 2)
      throwType(value.Env(), item + " must be a [coefficient, handle] pair");
    const Napi::Array pair = term.As<Napi::Array>();
    terms.emplace_back(numberArg(pair.Get(0u), item + "[0]"),
                       shared_->session->get(handleArg(pair.Get(1u), item + "[1]")));
  }
  return terms;
}

// The small vector operations run on the worker pool too: on a GPU each one ends in a device sync.
Napi::Value SessionWrap::Combine(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    at::Tensor base;
    if (!info[0].IsNull() && !info[0].IsUndefined()) base = shared->session->get(handleArg(info[0], "base"));
    Terms terms = termsArg(info[1], "terms");
    if (!base.defined() && terms.empty())
      throwRange(info.Env(), "combine: needs a base or at least one term");
    return PromiseWorker<int64_t>::run(
        info.Env(), [=] { return shared->session->store(shared->session->combine(base, terms)); },
        [](Napi::Env env, int64_t& handle) -> Napi::Value {
          return Napi::Number::New(env, static_cast<double>(handle));
        });
  });
}

Napi::Value SessionWrap::Norm(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const at::Tensor v = shared_->session->get(handleArg(info[0], "handle"));
    return PromiseWorker<double>::run(
        info.Env(), [=] { return v.norm().item<double>(); },
        [](Napi::Env env, double& norm) -> Napi::Value { return Napi::Number::New(env, norm); });
  });
}

Napi::Value SessionWrap::IsFinite(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const at::Tensor v = shared_->session->get(handleArg(info[0], "handle"));
    return PromiseWorker<bool>::run(
        info.Env(), [=] { return v.isfinite().all().item<bool>(); },
        [](Napi::Env env, bool& finite) -> Napi::Value { return Napi::Boolean::New(env, finite); });
  });
}

Napi::Value SessionWrap::Release(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    shared_->session->release({handleArg(info[0], "handle")});
    return info.Env().Undefined();
  });
}

Napi::Value SessionWrap::ReleaseMany(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsArray()) throwType(info.Env(), "handles must be an array");
    const Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<int64_t> handles;
    handles.reserve(arr.Length());
    for (uint32_t k = 0; k < arr.Length(); ++k)
      handles.push_back(handleArg(arr.Get(k), "handles[" + std::to_string(k) + "]"));
    shared_->session->release(handles);
    return info.Env().Undefined();
  });
}

Napi::Value SessionWrap::StoredVectors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(shared_->session->storedVectors()));
}

// stage(t, base, terms, resample): one RK stage on a worker — resampling when asked, the stage
// input, θ̇ there — resolving to θ̇'s handle, its finiteness and the solve's scalars.
Napi::Value SessionWrap::Stage(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const double t = numberArg(info[0], "t");
    const at::Tensor base = shared->session->get(handleArg(info[1], "base"));
    Terms terms = termsArg(info[2], "terms");
    const bool resample = info[3].ToBoolean().Value();
    auto cancelled = cancellation();
    const bool countLaunches = shared->session->config().countLaunches;
    struct Out {
      StageResult result;
      int64_t handle = 0;
    };
    return PromiseWorker<Out>::run(
        info.Env(),
        [=] {
          std::lock_guard<std::mutex> lock(shared->work);
          Out out;
          out.result = shared->session->stage(t, base, terms, resample, cancelled);
          out.handle = shared->session->store(out.result.dynamics.thetaDot);
          return out;
        },
        [countLaunches](Napi::Env env, Out& out) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("handle", static_cast<double>(out.handle));
          o.Set("finite", out.result.finite);
          o.Set("cgIterations", static_cast<double>(out.result.dynamics.cgIterations));
          o.Set("residual", out.result.dynamics.residual);
          o.Set("heldOutResidual", out.result.heldOutResidual);
          o.Set("converged", out.result.dynamics.converged);
          const StageSeconds& s = out.result.dynamics.seconds;
          Napi::Object seconds = Napi::Object::New(env);
          seconds.Set("sampling", out.result.samplingSeconds);
          seconds.Set("heldOut", out.result.heldOutSeconds);
          seconds.Set("jets", s.jets);
          seconds.Set("plan", s.plan);
          seconds.Set("linearization", s.linearization);
          seconds.Set("preconditioner", s.preconditioner);
          seconds.Set("cg", s.cg);
          seconds.Set("total", out.result.samplingSeconds + s.total + out.result.heldOutSeconds);
          o.Set("seconds", seconds);
          o.Set("preconditionerRank", static_cast<double>(out.result.dynamics.preconditionerRank));
          o.Set("preconditionerAge", static_cast<double>(out.result.dynamics.preconditionerAge));
          o.Set("preconditionersBuilt", static_cast<double>(out.result.dynamics.preconditionersBuilt));
          if (countLaunches) {
            o.Set("launches", launchCountsObject(env, out.result.dynamics.launches));
            o.Set("cgLaunches", launchCountsObject(env, out.result.dynamics.cgLaunches));
          }
          return o;
        });
  });
}

// finishStep(y, solution, error, norm?): y1 stored, the error's norm ('parameters', the default:
// ‖error‖₂; 'function': relative in u on the current samples) and y1's finiteness, on a worker.
Napi::Value SessionWrap::FinishStep(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const at::Tensor y = shared->session->get(handleArg(info[0], "y"));
    Terms solution = termsArg(info[1], "solution");
    Terms error = termsArg(info[2], "error");
    if (error.empty()) throwRange(info.Env(), "error: needs at least one term");
    const bool function = info[3].StrictEquals(Napi::String::New(info.Env(), "function"));
    if (!function && present(info[3]) && !info[3].StrictEquals(Napi::String::New(info.Env(), "parameters")))
      throwType(info.Env(), "norm must be 'parameters' or 'function'");
    const ErrorNorm norm = function ? ErrorNorm::Function : ErrorNorm::Parameters;
    struct Out {
      StepEnd end;
      int64_t handle = 0;
    };
    return PromiseWorker<Out>::run(
        info.Env(),
        [=] {
          // The function norm reads the samples, which a stage may be replacing.
          std::lock_guard<std::mutex> lock(shared->work);
          Out out;
          out.end = shared->session->finishStep(y, solution, error, norm);
          out.handle = shared->session->store(out.end.y1);
          return out;
        },
        [](Napi::Env env, Out& out) -> Napi::Value {
          Napi::Object o = Napi::Object::New(env);
          o.Set("y1", static_cast<double>(out.handle));
          o.Set("errorNorm", out.end.errorNorm);
          o.Set("finite", out.end.finite);
          return o;
        });
  });
}

// The fits' common wrapper: on a worker, under the session's work lock, with progress sent to
// onProgress (when a function), then the fitted θ stored as a new handle.
Napi::Value SessionWrap::FitPromise(Napi::Env env, const Napi::Value& onProgress, SessionFitConfig config,
                                    std::function<SessionFitResult(Session&, const SessionFitConfig&)> run) {
  std::shared_ptr<Napi::ThreadSafeFunction> tsfn;
  if (onProgress.IsFunction())
    tsfn = std::make_shared<Napi::ThreadSafeFunction>(
        Napi::ThreadSafeFunction::New(env, onProgress.As<Napi::Function>(), "neural-ivp fit progress", 0, 1));
  struct Out {
    FitOutcome outcome;
    int64_t handle = 0;
    bool finite = false;
  };
  auto shared = shared_;
  return PromiseWorker<Out>::run(
      env,
      [=]() mutable {
        struct ReleaseOnExit {
          std::shared_ptr<Napi::ThreadSafeFunction> f;
          ~ReleaseOnExit() {
            if (f) f->Release();
          }
        } releaser{tsfn};
        const auto start = std::chrono::steady_clock::now();
        Out out;
        {
          std::lock_guard<std::mutex> lock(shared->work);
          config.adam.progress = progressTo(tsfn);
          out.outcome.fit = run(*shared->session, config);
        }
        out.outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        out.finite = out.outcome.fit.theta.isfinite().all().item<bool>();
        out.handle = shared->session->store(out.outcome.fit.theta);
        return out;
      },
      [](Napi::Env e, Out& out) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("theta", static_cast<double>(out.handle));
        o.Set("finite", out.finite);
        o.Set("relativeError", out.outcome.fit.relativeError);
        o.Set("seconds", out.outcome.seconds);
        const SessionFitResult& fit = out.outcome.fit;
        o.Set("iterations", static_cast<double>(fit.iterations));
        o.Set("stopped", toString(fit.stopped));
        o.Set("message", fit.message);
        o.Set("rejected", static_cast<double>(fit.rejected));
        o.Set("cgIterations", static_cast<double>(fit.cgIterations));
        o.Set("samples", static_cast<double>(fit.samples));
        o.Set("headTuned", fit.headTuned);
        o.Set("loss", fit.loss);
        if (!std::isnan(fit.initialError)) o.Set("initialError", fit.initialError);
        return o;
      });
}

Napi::Value SessionWrap::FitInitial(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    SessionFitConfig config = readFitConfig(info[0]);
    at::Tensor poolPoints, poolValues;
    if (info[1].IsObject()) {
      const Napi::Object pool = info[1].As<Napi::Object>();
      const Network& net = shared->session->network();
      poolPoints = rowsArg(pool.Get("points"), "pool.points", net.config().dim);
      poolValues = tensorArg(pool.Get("values"), "pool.values", {poolPoints.size(0), net.config().fields});
    } else if (!info[1].IsNull() && !info[1].IsUndefined()) {
      throwType(info.Env(), "pool must be null or { points, values }");
    }
    auto cancelled = cancellation();
    return FitPromise(info.Env(), info[2], config, [=](Session& session, const SessionFitConfig& c) {
      return session.fitInitial(c, poolPoints, poolValues, cancelled);
    });
  });
}

Napi::Value SessionWrap::Refit(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const at::Tensor theta = shared->session->get(handleArg(info[0], "theta"));
    SessionFitConfig config = readFitConfig(info[1]);
    auto cancelled = cancellation();
    return FitPromise(info.Env(), info[2], config, [=](Session& session, const SessionFitConfig& c) {
      return session.refit(theta, c, cancelled);
    });
  });
}

// refineStep(y, stages, y1, config, onProgress): stages are { t, weight, terms }, each stage's
// input being y + Σ terms.
Napi::Value SessionWrap::RefineStep(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const at::Tensor y = shared->session->get(handleArg(info[0], "y"));
    if (!info[1].IsArray()) throwType(info.Env(), "stages must be an array of { t, weight, terms }");
    const Napi::Array list = info[1].As<Napi::Array>();
    std::vector<std::pair<StepStage, Terms>> stages;
    for (uint32_t k = 0; k < list.Length(); ++k) {
      const std::string name = "stages[" + std::to_string(k) + "]";
      const Napi::Object o = objectArg(list.Get(k), name);
      StepStage stage;
      stage.t = numberArg(o.Get("t"), name + ".t");
      stage.weight = numberArg(o.Get("weight"), name + ".weight");
      stages.emplace_back(stage, termsArg(o.Get("terms"), name + ".terms"));
    }
    const at::Tensor y1 = shared->session->get(handleArg(info[2], "y1"));
    SessionFitConfig config = readFitConfig(info[3]);
    auto cancelled = cancellation();
    return FitPromise(info.Env(), info[4], config, [=](Session& session, const SessionFitConfig& c) {
      std::vector<StepStage> inputs;
      for (const auto& [stage, terms] : stages) {
        inputs.push_back(stage);
        inputs.back().theta = terms.empty() ? y : session.combine(y, terms);
      }
      return session.refineStep(y, inputs, y1, c, cancelled);
    });
  });
}

Napi::Value SessionWrap::Evaluate(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const at::Tensor theta = shared->session->get(handleArg(info[0], "theta"));
    const at::Tensor points = rowsArg(info[1], "points", shared->session->network().config().dim);
    return PromiseWorker<at::Tensor>::run(
        info.Env(), [=] { return shared->session->evaluate(theta, points); },
        [](Napi::Env env, at::Tensor& v) -> Napi::Value { return toFloat64Array(env, v); });
  });
}

// A forward pass on the calling thread, for Solution.evaluate (the network is immutable, so this
// is safe beside work running on a worker).
Napi::Value SessionWrap::EvaluateSync(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const at::Tensor theta = shared_->session->get(handleArg(info[0], "theta"));
    const at::Tensor points = rowsArg(info[1], "points", shared_->session->network().config().dim);
    ensureThreads();
    return toFloat64Array(info.Env(), shared_->session->evaluate(theta, points));
  });
}

Napi::Value SessionWrap::OpenMeasurement(const Napi::CallbackInfo& info) {
  const int64_t id = nextMeasurement_++;
  measurements_.emplace(id, std::make_shared<MeasureStreams>(shared_->session->measureStreams()));
  return Napi::Number::New(info.Env(), static_cast<double>(id));
}

Napi::Value SessionWrap::CloseMeasurement(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    measurements_.erase(countArg(info[0], "measurement", 1, kMaxHandle));
    return info.Env().Undefined();
  });
}

// residual(θ, t, samples, measurement) and error(…): a number measured at time t on points drawn
// from the measurement's own streams.
Napi::Value SessionWrap::MeasureAt(const Napi::CallbackInfo& info,
                                   double (Session::*measure)(const at::Tensor&, double, int64_t,
                                                              MeasureStreams&) const) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const at::Tensor theta = shared->session->get(handleArg(info[0], "theta"));
    const double t = numberArg(info[1], "t");
    const int64_t samples = countArg(info[2], "samples", 1, kMaxCount);
    const auto found = measurements_.find(countArg(info[3], "measurement", 1, kMaxHandle));
    if (found == measurements_.end()) throwRange(info.Env(), "measurement is not open");
    std::shared_ptr<MeasureStreams> streams = found->second;
    return PromiseWorker<double>::run(
        info.Env(),
        [=] {
          std::lock_guard<std::mutex> lock(shared->work);
          return (shared->session.get()->*measure)(theta, t, samples, *streams);
        },
        [](Napi::Env env, double& r) -> Napi::Value { return Napi::Number::New(env, r); });
  });
}

Napi::Value SessionWrap::Residual(const Napi::CallbackInfo& info) {
  return MeasureAt(info, &Session::residual);
}

Napi::Value SessionWrap::Error(const Napi::CallbackInfo& info) { return MeasureAt(info, &Session::error); }

// join(distributed): the rendezvous, on a worker (it waits for the peers up to the timeout).
Napi::Value SessionWrap::Join(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const DistributedConfig config = parseDistributedConfig(info[0]);
    return PromiseWorker<bool>::run(
        info.Env(),
        [=] {
          std::lock_guard<std::mutex> lock(shared->work);
          shared->session->join(config);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  });
}

// checkReplicated(θ, t, what, vote): resolves to the largest vote when θ and t agree in every
// process, else rejects.
Napi::Value SessionWrap::CheckReplicated(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto shared = shared_;
    const at::Tensor theta = shared->session->get(handleArg(info[0], "theta"));
    const double t = numberArg(info[1], "t");
    if (!info[2].IsString()) throwType(info.Env(), "what must be a string");
    const std::string what = info[2].As<Napi::String>().Utf8Value();
    const int64_t vote = countArg(info[3], "vote", 0, int64_t{1} << 52);
    return PromiseWorker<int64_t>::run(
        info.Env(),
        [=] {
          std::lock_guard<std::mutex> lock(shared->work);
          return shared->session->checkReplicated(theta, t, what, vote);
        },
        [](Napi::Env env, int64_t& max) -> Napi::Value {
          return Napi::Number::New(env, static_cast<double>(max));
        });
  });
}

// { rank, worldSize, backend, calls, bytes, seconds }: what the collectives cost so far.
Napi::Value SessionWrap::CollectiveStats(const Napi::CallbackInfo& info) {
  const Communicator& comm = shared_->session->communicator();
  const nivp::CollectiveStats s = comm.stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("rank", comm.rank());
  o.Set("worldSize", comm.worldSize());
  o.Set("backend", comm.backend());
  o.Set("calls", static_cast<double>(s.calls));
  o.Set("bytes", static_cast<double>(s.bytes));
  o.Set("seconds", s.seconds);
  return o;
}

Napi::Value SessionWrap::Cancel(const Napi::CallbackInfo& info) {
  shared_->epoch.fetch_add(1);
  return info.Env().Undefined();
}

}  // namespace nivp::js
