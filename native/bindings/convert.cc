#include "bindings/convert.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "solvers/dense.h"

namespace nivp::js {

void throwType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }
void throwRange(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

namespace {
Napi::Float64Array float64Array(const Napi::Value& value, const std::string& name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throwType(value.Env(), name + " must be a Float64Array");
  return value.As<Napi::Float64Array>();
}

at::Tensor copyToTensor(const Napi::Float64Array& array, const std::vector<int64_t>& shape) {
  at::Tensor t = at::empty(shape, at::kDouble);
  if (array.ElementLength() > 0)
    std::memcpy(t.data_ptr<double>(), array.Data(), array.ElementLength() * sizeof(double));
  return t;
}
}  // namespace

at::Tensor tensorArg(const Napi::Value& value, const std::string& name, const std::vector<int64_t>& shape) {
  const Napi::Float64Array array = float64Array(value, name);
  int64_t expected = 1;
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    expected *= shape[i];
    dims += (i ? "×" : "") + std::to_string(shape[i]);
  }
  if (static_cast<int64_t>(array.ElementLength()) != expected)
    throwRange(value.Env(), name + " must hold " + std::to_string(expected) + " numbers (" + dims +
                                "), got " + std::to_string(array.ElementLength()));
  return copyToTensor(array, shape);
}

at::Tensor rowsArg(const Napi::Value& value, const std::string& name, int64_t rowWidth) {
  const Napi::Float64Array array = float64Array(value, name);
  const auto length = static_cast<int64_t>(array.ElementLength());
  if (length == 0 || length % rowWidth != 0)
    throwRange(value.Env(), name + " must hold a positive multiple of " + std::to_string(rowWidth) +
                                " numbers (row-major n×" + std::to_string(rowWidth) + "), got " +
                                std::to_string(length));
  return copyToTensor(array, {length / rowWidth, rowWidth});
}

int64_t countArg(const Napi::Value& value, const std::string& name, int64_t min, int64_t max) {
  if (!value.IsNumber()) throwType(value.Env(), name + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(min) || v > static_cast<double>(max))
    throwRange(value.Env(), name + " must be an integer in " + std::to_string(min) + ".." +
                                std::to_string(max) + ", got " + value.ToString().Utf8Value());
  return static_cast<int64_t>(v);
}

double numberArg(const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) throwType(value.Env(), name + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) throwRange(value.Env(), name + " must be finite");
  return v;
}

namespace {
std::string propName(const std::string& prefix, const char* key) {
  return prefix.empty() ? std::string(key) : prefix + "." + key;
}
}  // namespace

int64_t intProp(const Napi::Object& obj, const std::string& prefix, const char* key, int64_t fallback,
                int64_t min, int64_t max) {
  const Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  return countArg(v, propName(prefix, key), min, max);
}

double numberProp(const Napi::Object& obj, const std::string& prefix, const char* key, double fallback) {
  const Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  return numberArg(v, propName(prefix, key));
}

bool boolProp(const Napi::Object& obj, const std::string& prefix, const char* key, bool fallback) {
  const Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throwType(obj.Env(), propName(prefix, key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::vector<bool> flagsProp(const Napi::Object& obj, const std::string& prefix, const char* key,
                            std::vector<bool> fallback) {
  const Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (v.IsBoolean()) return {v.As<Napi::Boolean>().Value()};
  const std::string name = propName(prefix, key);
  if (!v.IsArray()) throwType(obj.Env(), name + " must be a boolean or an array of booleans");
  const Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() == 0) throwRange(obj.Env(), name + " must not be an empty array");
  std::vector<bool> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value e = arr.Get(i);
    if (!e.IsBoolean()) throwType(obj.Env(), name + "[" + std::to_string(i) + "] must be a boolean");
    out.push_back(e.As<Napi::Boolean>().Value());
  }
  return out;
}

std::string stringProp(const Napi::Object& obj, const std::string& prefix, const char* key,
                       const std::string& fallback, const std::vector<std::string>& allowed) {
  const Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  const std::string name = propName(prefix, key);
  if (!v.IsString()) throwType(obj.Env(), name + " must be a string");
  const std::string s = v.As<Napi::String>().Utf8Value();
  std::string options;
  for (const std::string& a : allowed) {
    if (a == s) return s;
    options += (options.empty() ? "'" : ", '") + a + "'";
  }
  throwRange(obj.Env(), name + " must be one of " + options + ", got '" + s + "'");
}

std::vector<double> numberArrayProp(const Napi::Object& obj, const std::string& prefix, const char* key) {
  const Napi::Value v = obj.Get(key);
  const std::string name = propName(prefix, key);
  if (!v.IsArray()) throwType(obj.Env(), name + " must be an array of numbers");
  const Napi::Array arr = v.As<Napi::Array>();
  std::vector<double> out;
  for (uint32_t i = 0; i < arr.Length(); ++i)
    out.push_back(numberArg(arr.Get(i), name + "[" + std::to_string(i) + "]"));
  return out;
}

Napi::Float64Array toFloat64Array(Napi::Env env, const at::Tensor& tensor) {
  const at::Tensor t = tensor.to(at::kCPU, at::kDouble).contiguous();
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(t.numel()));
  if (t.numel() > 0)
    std::memcpy(out.Data(), t.data_ptr<double>(), static_cast<size_t>(t.numel()) * sizeof(double));
  return out;
}

namespace {

// libtorch appends its C++ stack trace ("Exception raised from …", "frame #0: …") to what(); a
// user needs what comes before.
std::string withoutTrace(const std::string& message) {
  const size_t at = std::min(message.find("Exception raised from"), message.find("frame #0: "));
  std::string out = at == std::string::npos ? message : message.substr(0, at);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

bool mentions(const std::string& text, const char* what) { return text.find(what) != std::string::npos; }

// The N of the first "allocate N" ("can't allocate memory: you tried to allocate N bytes. Error code
// 12 (Cannot allocate memory)"); -1 when the message does not say.
int64_t requestedBytes(const std::string& message) {
  for (size_t at = message.find("allocate "); at != std::string::npos;
       at = message.find("allocate ", at + 1)) {
    const char* digits = message.c_str() + at + 9;
    char* end = nullptr;
    const long long bytes = std::strtoll(digits, &end, 10);
    if (end != digits) return static_cast<int64_t>(bytes);
  }
  return -1;
}

}  // namespace

NativeFailure describeFailure(const std::exception& error) {
  NativeFailure failure;
  if (const auto* budget = dynamic_cast<const MemoryBudgetError*>(&error)) {
    failure.name = "OutOfMemoryError";
    failure.message = budget->what();
    failure.neededBytes = budget->neededBytes();
    failure.limitBytes = budget->budgetBytes();
    return failure;
  }
  if (dynamic_cast<const std::bad_alloc*>(&error) != nullptr) {
    failure.name = "OutOfMemoryError";
    failure.message = "out of memory: a native allocation failed (std::bad_alloc)";
    return failure;
  }
  const auto* torch = dynamic_cast<const c10::Error*>(&error);
  failure.message = withoutTrace(torch != nullptr ? torch->what_without_backtrace() : error.what());
  const bool memory =
      dynamic_cast<const c10::OutOfMemoryError*>(&error) != nullptr ||
      mentions(failure.message, "alloc_cpu") || mentions(failure.message, "not enough memory") ||
      mentions(failure.message, "can't allocate memory") || mentions(failure.message, "out of memory");
  if (memory) {
    failure.name = "OutOfMemoryError";
    failure.neededBytes = requestedBytes(failure.message);
    failure.message = "out of memory: " + failure.message;
  }
  return failure;
}

Napi::Error toJsError(Napi::Env env, const NativeFailure& failure) {
  Napi::Error error = Napi::Error::New(env, failure.message);
  if (failure.name != "Error") error.Set("name", Napi::String::New(env, failure.name));
  if (failure.neededBytes >= 0) error.Set("neededBytes", Napi::Number::New(env, double(failure.neededBytes)));
  if (failure.limitBytes >= 0) error.Set("limitBytes", Napi::Number::New(env, double(failure.limitBytes)));
  return error;
}

Napi::Value guard(Napi::Env env, const std::function<Napi::Value()>& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::exception& e) {
    throw toJsError(env, describeFailure(e));
  }
}

}  // namespace nivp::js
