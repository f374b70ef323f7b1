#include "plan/program.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nivp {

namespace {

bool unary(PlanOp op) {
  switch (op) {
    case PlanOp::Neg:
    case PlanOp::Sin:
    case PlanOp::Cos:
    case PlanOp::Exp:
    case PlanOp::Log:
    case PlanOp::Sqrt:
    case PlanOp::Tanh:
    case PlanOp::Abs:
    case PlanOp::Sign:
    case PlanOp::Pow:
      return true;
    default:
      return false;
  }
}

bool binary(PlanOp op) {
  return op == PlanOp::Add || op == PlanOp::Sub || op == PlanOp::Mul || op == PlanOp::Div;
}

}  // namespace

bool Program::usesFields() const {
  return std::any_of(nodes.begin(), nodes.end(), [](const PlanNode& n) { return n.op == PlanOp::Field; });
}

void Program::validate(const std::string& name, int64_t dim, int64_t fields,
                       const std::vector<std::pair<int64_t, int64_t>>& pairs) const {
  const auto fail = [&](size_t index, const std::string& what) {
    throw std::invalid_argument(name + ".nodes[" + std::to_string(index) + "]" + what);
  };
  if (isStatic.size() != nodes.size()) throw std::invalid_argument(name + ".static: needs one flag per node");
  for (size_t k = 0; k < nodes.size(); ++k) {
    const PlanNode& n = nodes[k];
    const auto operand = [&](int64_t idx, const char* which) {
      if (idx < 0 || idx >= static_cast<int64_t>(k))
        fail(k, std::string(".") + which + ": must index an earlier node");
    };
    if (n.op == PlanOp::Const && !std::isfinite(n.value)) fail(k, ".value: must be finite");
    if (n.op == PlanOp::X && (n.axis < 0 || n.axis >= dim)) fail(k, ".axis: out of range");
    if (n.op == PlanOp::Field) {
      if (n.field < 0 || n.field >= fields) fail(k, ".field: out of range");
      if (n.term == JetTerm::D && (n.i < 0 || n.i >= dim)) fail(k, ".i: out of range");
      if (n.term == JetTerm::D2 &&
          std::find(pairs.begin(), pairs.end(), std::make_pair(n.i, n.j)) == pairs.end())
        fail(k, ": second derivative (" + std::to_string(n.i) + "," + std::to_string(n.j) +
                    ") is not in the jet pairs");
    }
    if (unary(n.op)) operand(n.a, "a");
    if (binary(n.op)) {
      operand(n.a, "a");
      operand(n.b, "b");
    }
    if (n.op == PlanOp::Pow && !std::isfinite(n.exponent)) fail(k, ".exponent: must be finite");
    if (isStatic[k] && (n.op == PlanOp::T || n.op == PlanOp::Field))
      fail(k, ": a t or field node cannot be static");
  }
  for (size_t o = 0; o < outputs.size(); ++o)
    if (outputs[o] < 0 || outputs[o] >= static_cast<int64_t>(nodes.size()))
      throw std::invalid_argument(name + ".outputs[" + std::to_string(o) + "]: must index a node");
}

ProgramEvaluator::ProgramEvaluator(Program program, std::vector<std::pair<int64_t, int64_t>> pairs)
    : program_(std::move(program)), pairs_(std::move(pairs)) {}

at::Tensor ProgramEvaluator::node(size_t index, const std::vector<at::Tensor>& v, const at::Tensor& points,
                                  double t, const Jets* jets) const {
  const PlanNode& n = program_.nodes[index];
  const auto opts = points.options();
  switch (n.op) {
    case PlanOp::Const:
      return at::scalar_tensor(n.value, opts);
    case PlanOp::X:
      return points.select(1, n.axis);
    case PlanOp::T:
      return at::scalar_tensor(t, opts);
    case PlanOp::Field: {
      if (!jets) throw std::invalid_argument("plan: field terms need the fields' jets");
      switch (n.term) {
        case JetTerm::Value:
          return jets->values.select(1, n.field);
        case JetTerm::D:
          return jets->gradients.select(1, n.field).select(1, n.i);
        case JetTerm::D2: {
          const auto it = std::find(pairs_.begin(), pairs_.end(), std::make_pair(n.i, n.j));
          return jets->second.select(1, n.field).select(1, it - pairs_.begin());
        }
        case JetTerm::Lap:
          return jets->laplacian.select(1, n.field);
      }
      break;
    }
    case PlanOp::Add:
      return v[n.a] + v[n.b];
    case PlanOp::Sub:
      return v[n.a] - v[n.b];
    case PlanOp::Mul:
      return v[n.a] * v[n.b];
    case PlanOp::Div:
      return v[n.a] / v[n.b];
    case PlanOp::Neg:
      return -v[n.a];
    case PlanOp::Sin:
      return at::sin(v[n.a]);
    case PlanOp::Cos:
      return at::cos(v[n.a]);
    case PlanOp::Exp:
      return at::exp(v[n.a]);
    case PlanOp::Log:
      return at::log(v[n.a]);
    case PlanOp::Sqrt:
      return at::sqrt(v[n.a]);
    case PlanOp::Tanh:
      return at::tanh(v[n.a]);
    case PlanOp::Abs:
      return at::abs(v[n.a]);
    case PlanOp::Sign:
      return at::sign(v[n.a]);
    case PlanOp::Pow:
      return n.exponent == 2 ? v[n.a].square() : at::pow(v[n.a], n.exponent);
  }
  throw std::logic_error("plan: unknown node kind");
}

StaticValues ProgramEvaluator::prepare(const at::Tensor& points) const {
  StaticValues statics;
  statics.values.resize(program_.nodes.size());
  for (size_t k = 0; k < program_.nodes.size(); ++k)
    if (program_.isStatic[k]) statics.values[k] = node(k, statics.values, points, 0.0, nullptr);
  return statics;
}

at::Tensor ProgramEvaluator::evaluate(const at::Tensor& points, double t, const Jets* jets,
                                      const StaticValues* statics) const {
  std::vector<at::Tensor> values(program_.nodes.size());
  for (size_t k = 0; k < program_.nodes.size(); ++k) {
    values[k] = statics && program_.isStatic[k] ? statics->values[k] : node(k, values, points, t, jets);
  }
  const int64_t n = points.size(0);
  at::Tensor out = at::empty({n, static_cast<int64_t>(program_.outputs.size())}, points.options());
  for (size_t o = 0; o < program_.outputs.size(); ++o)
    out.select(1, static_cast<int64_t>(o)).copy_(values[program_.outputs[o]].expand({n}));
  return out;
}

}  // namespace nivp
