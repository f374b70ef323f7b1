// Module registration only: each family of exports lives in native/bindings/.
#include <napi.h>

#include "bindings/defaults_binding.h"
#include "bindings/distributed_binding.h"
#include "bindings/network_binding.h"
#include "bindings/plan_binding.h"
#include "bindings/runtime_binding.h"
#include "bindings/session_binding.h"
#include "engine/runtime.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  nivp::setThreads(0);  // all cores: inside Node libtorch would otherwise start with one
  nivp::js::InitRuntime(env, exports);
  nivp::js::NetworkWrap::Init(env, exports);
  nivp::js::InitPlan(env, exports);
  nivp::js::LinearizationWrap::Init(env, exports);
  nivp::js::SessionWrap::Init(env, exports);
  nivp::js::InitDistributed(env, exports);
  nivp::js::InitDefaults(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(neural_ivp, Init)
