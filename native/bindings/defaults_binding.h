// structDefaults(): what the native config structs hold when nothing sets them, so that a test
// can hold them to the option tables (native/common/option_defaults.h is written from those).
#pragma once
#include <napi.h>

namespace nivp::js {

void InitDefaults(Napi::Env env, Napi::Object exports);

}  // namespace nivp::js
