// LaunchCounts as the JS object { ops, syncs } (bench and stage results).
#pragma once
#include <napi.h>

#include "common/launches.h"

namespace nivp::js {

inline Napi::Object launchCountsObject(Napi::Env env, const LaunchCounts& counts) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ops", static_cast<double>(counts.ops));
  o.Set("syncs", static_cast<double>(counts.syncs));
  return o;
}

}  // namespace nivp::js
