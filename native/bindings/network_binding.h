// JS classes `Network` and `Linearization` over the engine's Network and Linearization.
#pragma once
#include <napi.h>

#include <memory>
#include <utility>

#include "engine/linearization.h"
#include "engine/network.h"

namespace nivp::js {

// A NativeNetworkConfig object (ts/native.ts), validated; errors name `network.<field>`.
NetworkConfig parseNetworkConfig(const Napi::Value& value);

class NetworkWrap : public Napi::ObjectWrap<NetworkWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit NetworkWrap(const Napi::CallbackInfo& info);
  const std::shared_ptr<const Network>& network() const { return network_; }

 private:
  Napi::Value ParameterCount(const Napi::CallbackInfo& info);
  Napi::Value FieldParameterCount(const Napi::CallbackInfo& info);
  Napi::Value Layout(const Napi::CallbackInfo& info);
  Napi::Value InitialParameters(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Linearize(const Napi::CallbackInfo& info);

  std::shared_ptr<const Network> network_;
};

class LinearizationWrap : public Napi::ObjectWrap<LinearizationWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Object New(Napi::Env env, std::shared_ptr<const Linearization> linearization,
                          std::shared_ptr<const Network> network);
  explicit LinearizationWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Samples(const Napi::CallbackInfo& info);
  Napi::Value Values(const Napi::CallbackInfo& info);
  Napi::Value Jvp(const Napi::CallbackInfo& info);
  Napi::Value Vjp(const Napi::CallbackInfo& info);
  Napi::Value Mvm(const Napi::CallbackInfo& info);
  Napi::Value MvmLaunches(const Napi::CallbackInfo& info);
  Napi::Value MvmSeconds(const Napi::CallbackInfo& info);
  Napi::Value Rhs(const Napi::CallbackInfo& info);
  Napi::Value Jacobian(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  std::pair<at::Tensor, double> mvmArguments(const Napi::CallbackInfo& info) const;

  static Napi::FunctionReference constructor_;
  std::shared_ptr<const Network> network_;  // keeps the network alive while this exists
  std::shared_ptr<const Linearization> linearization_;
};

}  // namespace nivp::js
