#include "bindings/distributed_binding.h"

#include <chrono>

#include "bindings/convert.h"

namespace nivp::js {

void InitDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedBackends",
              Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                const auto backends = availableBackends();
                Napi::Array out = Napi::Array::New(info.Env(), backends.size());
                for (uint32_t i = 0; i < backends.size(); ++i) out.Set(i, backends[i]);
                return out;
              }));
}

DistributedConfig parseDistributedConfig(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  if (!value.IsObject()) throwType(env, "distributed must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  DistributedConfig c;
  c.worldSize = static_cast<int>(intProp(o, "distributed", "worldSize", 1, 1, 1 << 20));
  c.rank = static_cast<int>(intProp(o, "distributed", "rank", 0, 0, c.worldSize - 1));
  const Napi::Value address = o.Get("address");
  if (!address.IsString()) throwType(env, "distributed.address must be a string");
  c.address = address.As<Napi::String>().Utf8Value();
  c.port = static_cast<int>(intProp(o, "distributed", "port", c.port, 1, 65535));
  c.backend = stringProp(o, "distributed", "backend", "gloo", {"gloo", "nccl"});
  const double timeout = numberProp(o, "distributed", "timeoutSeconds", 300);
  if (!(timeout > 0)) throwRange(env, "distributed.timeoutSeconds must be > 0");
  c.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  const Napi::Value fingerprint = o.Get("fingerprint");
  if (!fingerprint.IsArray())
    throwType(env, "distributed.fingerprint must be an array of [name, value] pairs");
  const Napi::Array entries = fingerprint.As<Napi::Array>();
  for (uint32_t i = 0; i < entries.Length(); ++i) {
    const Napi::Value entry = entries.Get(i);
    const bool pair = entry.IsArray() && entry.As<Napi::Array>().Length() == 2 &&
                      entry.As<Napi::Array>().Get(0u).IsString() &&
                      entry.As<Napi::Array>().Get(1u).IsString();
    if (!pair)
      throwType(env, "distributed.fingerprint[" + std::to_string(i) + "] must be a [name, value] pair");
    const Napi::Array e = entry.As<Napi::Array>();
    c.fingerprint.emplace_back(e.Get(0u).As<Napi::String>().Utf8Value(),
                               e.Get(1u).As<Napi::String>().Utf8Value());
  }
  return c;
}

SampleShares parseSampleShares(const Napi::Value& value) {
  SampleShares shares;
  if (value.IsUndefined() || value.IsNull()) return shares;
  if (!value.IsObject()) throwType(value.Env(), "sampleShares must be { count, drawn }");
  const Napi::Object o = value.As<Napi::Object>();
  shares.count = intProp(o, "sampleShares", "count", 1, 1, 1 << 20);
  const Napi::Value drawn = o.Get("drawn");
  if (!drawn.IsArray()) throwType(value.Env(), "sampleShares.drawn must be an array of share numbers");
  shares.drawn.clear();
  const Napi::Array a = drawn.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i)
    shares.drawn.push_back(
        countArg(a.Get(i), "sampleShares.drawn[" + std::to_string(i) + "]", 0, shares.count - 1));
  return shares;
}

}  // namespace nivp::js
