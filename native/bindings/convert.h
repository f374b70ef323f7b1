// Argument checking and conversions at the JS ↔ native border. Every check names the
// argument, so a bad call fails with a TypeError or RangeError a user can act on.
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nivp::js {

[[noreturn]] void throwType(Napi::Env env, const std::string& message);
[[noreturn]] void throwRange(Napi::Env env, const std::string& message);

// A Float64Array argument copied into a (CPU, float64) tensor of the given shape; the
// element count must equal the product of `shape`.
at::Tensor tensorArg(const Napi::Value& value, const std::string& name, const std::vector<int64_t>& shape);
// A Float64Array of any length that is a multiple of `rowWidth`; returns rows×rowWidth.
at::Tensor rowsArg(const Napi::Value& value, const std::string& name, int64_t rowWidth);
// A positive integer argument.
int64_t countArg(const Napi::Value& value, const std::string& name, int64_t min, int64_t max);
double numberArg(const Napi::Value& value, const std::string& name);

// Optional object properties with defaults; the name in errors is `prefix.key` (`key` when the
// prefix is empty).
int64_t intProp(const Napi::Object& obj, const std::string& prefix, const char* key, int64_t fallback,
                int64_t min, int64_t max);
double numberProp(const Napi::Object& obj, const std::string& prefix, const char* key, double fallback);
bool boolProp(const Napi::Object& obj, const std::string& prefix, const char* key, bool fallback);
// A boolean (one flag for every axis) or an array of booleans (one per axis).
std::vector<bool> flagsProp(const Napi::Object& obj, const std::string& prefix, const char* key,
                            std::vector<bool> fallback);
std::string stringProp(const Napi::Object& obj, const std::string& prefix, const char* key,
                       const std::string& fallback, const std::vector<std::string>& allowed);
std::vector<double> numberArrayProp(const Napi::Object& obj, const std::string& prefix, const char* key);

// A tensor copied out to a new Float64Array (any dtype or device).
Napi::Float64Array toFloat64Array(Napi::Env env, const at::Tensor& tensor);

// A C++ exception as JS will see it: libtorch's messages without their C++ stack trace, and
// memory failures (a refused dense solve, an allocation libtorch could not make) named
// 'OutOfMemoryError' with the bytes asked for and the limit when known (-1: unknown).
struct NativeFailure {
  std::string name = "Error";
  std::string message;
  int64_t neededBytes = -1;
  int64_t limitBytes = -1;
};
NativeFailure describeFailure(const std::exception& error);
// The JS error of a failure: an Error with its name and, when known, neededBytes/limitBytes.
Napi::Error toJsError(Napi::Env env, const NativeFailure& failure);

// Runs `body`, turning C++ exceptions into JS errors (std::invalid_argument → RangeError,
// memory failures as `describeFailure` says).
Napi::Value guard(Napi::Env env, const std::function<Napi::Value()>& body);

}  // namespace nivp::js
