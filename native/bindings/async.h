// Heavy native calls run on libuv's worker pool and settle a Promise: `work` runs off the
// main thread (no JS values there), `finish` turns its result into JS on the main thread.
// Any C++ exception in `work` rejects the promise with an Error (memory failures named
// 'OutOfMemoryError', libtorch's messages without their C++ trace: convert.h's describeFailure);
// nothing aborts the process.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "bindings/convert.h"
#include "common/cancelled.h"
#include "engine/runtime.h"

namespace nivp::js {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using Finish = std::function<Napi::Value(Napi::Env, Result&)>;

  static Napi::Promise run(Napi::Env env, Work work, Finish finish) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(finish));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();  // owned and deleted by node-addon-api
    return promise;
  }

 protected:
  void Execute() override {
    try {
      ensureThreads();
      result_ = std::make_unique<Result>(work_());
    } catch (const Cancelled& e) {
      cancelled_ = true;
      SetError(e.what());
    } catch (const std::exception& e) {
      failure_ = describeFailure(e);
      SetError(failure_.message);
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(finish_(env, *result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }
  void OnError(const Napi::Error& error) override {
    if (cancelled_) {
      error.Value().Set("name", "AbortError");
    } else if (failure_.name != "Error") {
      deferred_.Reject(toJsError(Env(), failure_).Value());
      return;
    }
    deferred_.Reject(error.Value());
  }

 private:
  PromiseWorker(Napi::Env env, Work work, Finish finish)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        finish_(std::move(finish)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Finish finish_;
  std::unique_ptr<Result> result_;
  bool cancelled_ = false;
  NativeFailure failure_;
};

}  // namespace nivp::js
