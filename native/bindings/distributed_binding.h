// The JS side of sample-parallel runs: `distributedBackends()`, and the distributed part of a
// session's config (ts/solver/session.ts: SessionDistributedConfig, sampleShares).
#pragma once
#include <napi.h>

#include "distributed/process_group.h"
#include "distributed/shares.h"

namespace nivp::js {

void InitDistributed(Napi::Env env, Napi::Object exports);

// { rank, worldSize, address, port, backend, timeoutSeconds, fingerprint: [name, value][] }
DistributedConfig parseDistributedConfig(const Napi::Value& value);
// { count, drawn: number[] } (absent: one share)
SampleShares parseSampleShares(const Napi::Value& value);

}  // namespace nivp::js
