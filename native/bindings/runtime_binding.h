// torchVersion(), cudaAvailable(), cudaVersion(), cudaDeviceCount(), threads(), setThreads(n),
// gemmGflops(...).
#pragma once
#include <napi.h>

namespace nivp::js {
void InitRuntime(Napi::Env env, Napi::Object exports);
}
