// Plans from JS (the CompiledProblem programs of ts/problem/plan.ts) and evaluateProgram().
#pragma once
#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "plan/program.h"

namespace nivp::js {

Program parseProgram(const Napi::Value& value, const std::string& name);
std::vector<std::pair<int64_t, int64_t>> parsePairs(const Napi::Value& value, const std::string& name,
                                                    int64_t dim);
void InitPlan(Napi::Env env, Napi::Object exports);

}  // namespace nivp::js
