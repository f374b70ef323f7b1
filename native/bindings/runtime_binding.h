// torchVersion(), cudaAvailable(), threads(), setThreads(n).
#pragma once
#include <napi.h>

namespace nivp::js {
void InitRuntime(Napi::Env env, Napi::Object exports);
}
