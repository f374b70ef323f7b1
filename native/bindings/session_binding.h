// JS class `Session` (ts/solver/session.ts) over the engine's Session.
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engine/session.h"

namespace nivp::js {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit SessionWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Alias(const Napi::CallbackInfo& info);
  Napi::Value Combine(const Napi::CallbackInfo& info);
  Napi::Value Norm(const Napi::CallbackInfo& info);
  Napi::Value IsFinite(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value ReleaseMany(const Napi::CallbackInfo& info);
  Napi::Value StoredVectors(const Napi::CallbackInfo& info);
  Napi::Value Stage(const Napi::CallbackInfo& info);
  Napi::Value FinishStep(const Napi::CallbackInfo& info);
  Napi::Value FitInitial(const Napi::CallbackInfo& info);
  Napi::Value Refit(const Napi::CallbackInfo& info);
  Napi::Value RefineStep(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value EvaluateSync(const Napi::CallbackInfo& info);
  Napi::Value OpenMeasurement(const Napi::CallbackInfo& info);
  Napi::Value CloseMeasurement(const Napi::CallbackInfo& info);
  Napi::Value Residual(const Napi::CallbackInfo& info);
  Napi::Value Error(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  // Sample-parallel runs (bindings/distributed_binding.h).
  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value CheckReplicated(const Napi::CallbackInfo& info);
  Napi::Value CollectiveStats(const Napi::CallbackInfo& info);

  Napi::Value MeasureAt(const Napi::CallbackInfo& info,
                        double (Session::*measure)(const at::Tensor&, double, int64_t, MeasureStreams&)
                            const);
  // [coefficient, handle] pairs, the handles resolved to their tensors.
  Terms termsArg(const Napi::Value& value, const std::string& name) const;
  Napi::Value FitPromise(Napi::Env env, const Napi::Value& onProgress, SessionFitConfig config,
                         std::function<SessionFitResult(Session&, const SessionFitConfig&)> run);
  int64_t handleArg(const Napi::Value& value, const std::string& name) const;
  // A predicate that turns true once cancel() is called after this moment.
  std::function<bool()> cancellation() const;

  // Shared with worker threads: heavy work is serialised on `work`, and cancel() bumps `epoch`.
  struct Shared {
    std::unique_ptr<Session> session;
    std::mutex work;
    std::atomic<int64_t> epoch{0};
  };
  std::shared_ptr<Shared> shared_;
  // Open measurements' streams (used on the main thread only; a worker holds its own reference).
  std::unordered_map<int64_t, std::shared_ptr<MeasureStreams>> measurements_;
  int64_t nextMeasurement_ = 1;
};

}  // namespace nivp::js
