#include "bindings/defaults_binding.h"

#include <initializer_list>
#include <utility>

#include "engine/dynamics.h"
#include "engine/session.h"
#include "fit/fit.h"
#include "fit/gauss_newton.h"
#include "sampling/importance.h"

namespace nivp::js {

namespace {

// A JS value of one struct member.
Napi::Value value(Napi::Env env, double x) { return Napi::Number::New(env, x); }
Napi::Value value(Napi::Env env, int64_t x) { return Napi::Number::New(env, static_cast<double>(x)); }
Napi::Value value(Napi::Env env, uint64_t x) { return Napi::Number::New(env, static_cast<double>(x)); }
Napi::Value value(Napi::Env env, bool x) { return Napi::Boolean::New(env, x); }
Napi::Value value(Napi::Env env, const char* x) { return Napi::String::New(env, x); }

template <typename... Members>
Napi::Object object(Napi::Env env, std::pair<const char*, Members>... members) {
  Napi::Object o = Napi::Object::New(env);
  (o.Set(members.first, value(env, members.second)), ...);
  return o;
}

Napi::Object structDefaults(Napi::Env env) {
  const NetworkConfig network;
  const LinearSolverConfig linear;
  const SessionConfig session;
  const SessionFitConfig fit;
  const GaussNewtonOptions gaussNewton;
  const AdamOptions adam;
  const ImportanceConfig importance;
  Napi::Object o = Napi::Object::New(env);
  o.Set("network",
        object(env, std::pair{"width", network.width}, std::pair{"depth", network.depth},
               std::pair{"activation", network.activation == Activation::Tanh ? "tanh" : "swish"},
               std::pair{"frequencies", network.frequencies}, std::pair{"decay", network.decay},
               std::pair{"embeddingScale", network.embeddingScale}, std::pair{"embedding", network.embedding},
               std::pair{"output", network.output == Output::Exp ? "exp" : "linear"},
               std::pair{"memoryBudget", network.memoryBudgetBytes}));
  o.Set("linear",
        object(env, std::pair{"method", linear.method == LinearSolverConfig::Method::Dense ? "dense" : "pcg"},
               std::pair{"tol", linear.tol}, std::pair{"maxIters", linear.maxIters},
               std::pair{"rank", linear.rank}, std::pair{"maxRank", linear.maxRank},
               std::pair{"mu", linear.mu}, std::pair{"muScale", linear.muRelative ? "solution" : "absolute"},
               std::pair{"mixedPrecision", linear.mixedPrecision},
               std::pair{"reusePreconditioner", linear.reusePreconditioner},
               std::pair{"memoryBudget", linear.memoryBudgetBytes}));
  o.Set(
      "session",
      object(env, std::pair{"samples", session.samples}, std::pair{"seed", session.seed},
             std::pair{"sequence", session.sampling.sequence == PointSequence::Sobol ? "sobol" : "uniform"}));
  o.Set(
      "fit",
      object(env, std::pair{"method", fit.method == SessionFitConfig::Method::Adam ? "adam" : "gauss-newton"},
             std::pair{"maxIterations", fit.maxIterations}, std::pair{"tol", fit.tol},
             std::pair{"maxSeconds", fit.maxSeconds}, std::pair{"warmupSteps", fit.warmupSteps},
             std::pair{"headTuning", fit.headTuning}, std::pair{"headSamples", fit.headSamples}));
  o.Set("gaussNewton",
        object(env, std::pair{"maxIterations", gaussNewton.maxIterations}, std::pair{"tol", gaussNewton.tol},
               std::pair{"maxSeconds", gaussNewton.maxSeconds}, std::pair{"samples", gaussNewton.samples},
               std::pair{"maxSamples", gaussNewton.maxSamples}, std::pair{"rank", gaussNewton.rank}));
  o.Set("adam", object(env, std::pair{"steps", adam.steps}, std::pair{"lr", adam.lr},
                       std::pair{"batch", adam.batch}));
  o.Set("importance", object(env, std::pair{"uniformShare", importance.uniformShare},
                             std::pair{"kernels", importance.kernels}, std::pair{"pilot", importance.pilot},
                             std::pair{"imageShare", importance.imageShare}));
  return o;
}

}  // namespace

void InitDefaults(Napi::Env env, Napi::Object exports) {
  exports.Set("structDefaults", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return structDefaults(info.Env());
              }));
}

}  // namespace nivp::js
