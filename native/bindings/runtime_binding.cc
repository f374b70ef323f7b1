#include "bindings/runtime_binding.h"

#include "bindings/convert.h"
#include "engine/calibrate.h"
#include "engine/runtime.h"

namespace nivp::js {

void InitRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("torchVersion", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::String::New(info.Env(), torchVersion());
              }));
  exports.Set("cudaAvailable", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Boolean::New(info.Env(), cudaAvailable());
              }));
  exports.Set("cudaVersion", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                const std::string version = cudaVersion();
                if (version.empty()) return info.Env().Null();
                return Napi::String::New(info.Env(), version);
              }));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::Number::New(info.Env(), static_cast<double>(cudaDeviceCount()));
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
  // deviceMemory(device?) → { free, total } in bytes (null when unknown): the machine's available
  // memory for 'cpu' (the default), the device's for 'cuda'.
  exports.Set("deviceMemory", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return guard(info.Env(), [&]() -> Napi::Value {
                  const bool cuda = info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "cuda";
                  const DeviceMemory m = deviceMemory(cuda ? at::Device(at::kCUDA) : at::Device(at::kCPU));
                  const auto bytes = [&](int64_t b) -> Napi::Value {
                    return b < 0 ? info.Env().Null() : Napi::Number::New(info.Env(), static_cast<double>(b));
                  };
                  Napi::Object o = Napi::Object::New(info.Env());
                  o.Set("free", bytes(m.free));
                  o.Set("total", bytes(m.total));
                  return o;
                });
              }));
  // gemmGflops(m, k, n, repeats, dtype?, device?): the benchmark's GEMM reference, measured natively.
  exports.Set(
      "gemmGflops", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
        return guard(info.Env(), [&]() -> Napi::Value {
          ensureThreads();
          const int64_t m = countArg(info[0], "m", 1, 1 << 20), k = countArg(info[1], "k", 1, 1 << 20);
          const int64_t n = countArg(info[2], "n", 1, 1 << 20), r = countArg(info[3], "repeats", 1, 100000);
          const bool single = info[4].IsString() && info[4].As<Napi::String>().Utf8Value() == "float32";
          const bool cuda = info[5].IsString() && info[5].As<Napi::String>().Utf8Value() == "cuda";
          if (cuda && !at::hasCUDA())
            throwRange(info.Env(), "device is 'cuda' but this libtorch has no CUDA device");
          return Napi::Number::New(info.Env(),
                                   gemmGflops(m, k, n, r, single ? at::kFloat : at::kDouble,
                                              cuda ? at::Device(at::kCUDA) : at::Device(at::kCPU)));
        });
      }));
}

}  // namespace nivp::js
