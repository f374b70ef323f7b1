#include "bindings/plan_binding.h"

#include <map>

#include "bindings/convert.h"

namespace nivp::js {

namespace {

const std::map<std::string, PlanOp>& opNames() {
  static const std::map<std::string, PlanOp> names = {
      {"const", PlanOp::Const}, {"x", PlanOp::X},       {"t", PlanOp::T},       {"field", PlanOp::Field},
      {"add", PlanOp::Add},     {"sub", PlanOp::Sub},   {"mul", PlanOp::Mul},   {"div", PlanOp::Div},
      {"neg", PlanOp::Neg},     {"sin", PlanOp::Sin},   {"cos", PlanOp::Cos},   {"exp", PlanOp::Exp},
      {"log", PlanOp::Log},     {"sqrt", PlanOp::Sqrt}, {"tanh", PlanOp::Tanh}, {"abs", PlanOp::Abs},
      {"sign", PlanOp::Sign},   {"pow", PlanOp::Pow}};
  return names;
}

constexpr int64_t kMaxIndex = int64_t{1} << 40;

PlanNode parseNode(const Napi::Value& value, const std::string& name) {
  const Napi::Env env = value.Env();
  if (!value.IsObject()) throwType(env, name + " must be an object");
  const Napi::Object o = value.As<Napi::Object>();
  const Napi::Value opValue = o.Get("op");
  if (!opValue.IsString()) throwType(env, name + ".op must be a string");
  const auto it = opNames().find(opValue.As<Napi::String>().Utf8Value());
  if (it == opNames().end())
    throwRange(env, name + ".op: unknown operation '" + opValue.ToString().Utf8Value() + "'");
  PlanNode n;
  n.op = it->second;
  switch (n.op) {
    case PlanOp::Const:
      n.value = numberArg(o.Get("value"), name + ".value");
      break;
    case PlanOp::X:
      n.axis = countArg(o.Get("axis"), name + ".axis", 0, 63);
      break;
    case PlanOp::Field: {
      n.field = countArg(o.Get("field"), name + ".field", 0, kMaxIndex);
      const std::string term = stringProp(o, name, "term", "", {"value", "d", "d2", "lap"});
      n.term = term == "d"     ? JetTerm::D
               : term == "d2"  ? JetTerm::D2
               : term == "lap" ? JetTerm::Lap
                               : JetTerm::Value;
      if (n.term == JetTerm::D || n.term == JetTerm::D2) n.i = countArg(o.Get("i"), name + ".i", 0, 63);
      if (n.term == JetTerm::D2) n.j = countArg(o.Get("j"), name + ".j", 0, 63);
      break;
    }
    case PlanOp::T:
      break;
    case PlanOp::Add:
    case PlanOp::Sub:
    case PlanOp::Mul:
    case PlanOp::Div:
      n.b = countArg(o.Get("b"), name + ".b", 0, kMaxIndex);
      [[fallthrough]];
    default:
      n.a = countArg(o.Get("a"), name + ".a", 0, kMaxIndex);
      if (n.op == PlanOp::Pow) n.exponent = numberArg(o.Get("exponent"), name + ".exponent");
  }
  return n;
}

}  // namespace

Program parseProgram(const Napi::Value& value, const std::string& name) {
  const Napi::Env env = value.Env();
  if (!value.IsObject()) throwType(env, name + " must be a program object");
  const Napi::Object o = value.As<Napi::Object>();
  const Napi::Value nodes = o.Get("nodes"), outputs = o.Get("outputs"), statics = o.Get("static");
  if (!nodes.IsArray()) throwType(env, name + ".nodes must be an array");
  if (!outputs.IsArray()) throwType(env, name + ".outputs must be an array");
  if (!statics.IsArray()) throwType(env, name + ".static must be an array");
  Program p;
  const Napi::Array nodeArray = nodes.As<Napi::Array>();
  for (uint32_t k = 0; k < nodeArray.Length(); ++k)
    p.nodes.push_back(parseNode(nodeArray.Get(k), name + ".nodes[" + std::to_string(k) + "]"));
  const Napi::Array outputArray = outputs.As<Napi::Array>();
  for (uint32_t k = 0; k < outputArray.Length(); ++k)
    p.outputs.push_back(
        countArg(outputArray.Get(k), name + ".outputs[" + std::to_string(k) + "]", 0, kMaxIndex));
  const Napi::Array staticArray = statics.As<Napi::Array>();
  for (uint32_t k = 0; k < staticArray.Length(); ++k) {
    const Napi::Value flag = staticArray.Get(k);
    if (!flag.IsBoolean()) throwType(env, name + ".static[" + std::to_string(k) + "] must be a boolean");
    p.isStatic.push_back(flag.As<Napi::Boolean>().Value());
  }
  return p;
}

std::vector<std::pair<int64_t, int64_t>> parsePairs(const Napi::Value& value, const std::string& name,
                                                    int64_t dim) {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  if (value.IsUndefined()) return pairs;
  if (!value.IsArray()) throwType(value.Env(), name + " must be an array of [i, j] pairs");
  const Napi::Array arr = value.As<Napi::Array>();
  for (uint32_t q = 0; q < arr.Length(); ++q) {
    const std::string item = name + "[" + std::to_string(q) + "]";
    const Napi::Value pair = arr.Get(q);
    if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2)
      throwType(value.Env(), item + " must be a pair [i, j]");
    int64_t i = countArg(pair.As<Napi::Array>().Get(0u), item + "[0]", 0, dim - 1);
    int64_t j = countArg(pair.As<Napi::Array>().Get(1u), item + "[1]", 0, dim - 1);
    if (i > j) std::swap(i, j);
    pairs.emplace_back(i, j);
  }
  return pairs;
}

// evaluateProgram(program, { dim, fields, pairs? }, points: n×dim, t, jets?) → n×outputs.
// jets: { values: n×fields, gradients?: n×fields×dim, second?: n×fields×P, laplacian?: n×fields }.
void InitPlan(Napi::Env env, Napi::Object exports) {
  exports.Set(
      "evaluateProgram", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
        return guard(info.Env(), [&]() -> Napi::Value {
          const Napi::Env e = info.Env();
          const Program program = parseProgram(info[0], "program");
          if (!info[1].IsObject()) throwType(e, "shape must be an object { dim, fields, pairs? }");
          const Napi::Object shape = info[1].As<Napi::Object>();
          const int64_t dim = countArg(shape.Get("dim"), "shape.dim", 1, 64);
          const int64_t fields = countArg(shape.Get("fields"), "shape.fields", 1, 1024);
          const auto pairs = parsePairs(shape.Get("pairs"), "shape.pairs", dim);
          program.validate("program", dim, fields, pairs);
          const at::Tensor points = rowsArg(info[2], "points", dim);
          const int64_t n = points.size(0);
          const double t = numberArg(info[3], "t");
          Jets jets;
          const bool hasJets = info[4].IsObject();
          if (hasJets) {
            const Napi::Object j = info[4].As<Napi::Object>();
            jets.values = tensorArg(j.Get("values"), "jets.values", {n, fields});
            if (!j.Get("gradients").IsUndefined())
              jets.gradients = tensorArg(j.Get("gradients"), "jets.gradients", {n, fields, dim});
            if (!j.Get("second").IsUndefined())
              jets.second =
                  tensorArg(j.Get("second"), "jets.second", {n, fields, static_cast<int64_t>(pairs.size())});
            if (!j.Get("laplacian").IsUndefined())
              jets.laplacian = tensorArg(j.Get("laplacian"), "jets.laplacian", {n, fields});
          }
          for (size_t k = 0; k < program.nodes.size(); ++k) {
            const PlanNode& node = program.nodes[k];
            if (node.op != PlanOp::Field) continue;
            const bool missing = !hasJets || (node.term == JetTerm::D && !jets.gradients.defined()) ||
                                 (node.term == JetTerm::D2 && !jets.second.defined()) ||
                                 (node.term == JetTerm::Lap && !jets.laplacian.defined());
            if (missing)
              throwType(e,
                        "jets: program.nodes[" + std::to_string(k) + "] needs a jet term that was not given");
          }
          ProgramEvaluator evaluator(program, pairs);
          const StaticValues statics = evaluator.prepare(points);
          return toFloat64Array(e, evaluator.evaluate(points, t, hasJets ? &jets : nullptr, &statics));
        });
      }));
}

}  // namespace nivp::js
