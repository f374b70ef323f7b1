#include "bindings/runtime_binding.h"

#include "bindings/convert.h"
#include "engine/runtime.h"

namespace nivp::js {

void InitRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("torchVersion", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::String::New(info.Env(), torchVersion());
              }));
  exports.Set("cudaAvailable", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Boolean::New(info.Env(), cudaAvailable());
              }));
  exports.Set("threads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Number::New(info.Env(), static_cast<double>(threads()));
              }));
  exports.Set("setThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return guard(info.Env(), [&]() -> Napi::Value {
                  setThreads(countArg(info[0], "threads", 0, 1024));
                  return Napi::Number::New(info.Env(), static_cast<double>(threads()));
                });
              }));
}

}  // namespace nivp::js
