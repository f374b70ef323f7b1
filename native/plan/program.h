// A compiled PDE expression (ts/problem/plan.ts): a topologically ordered list of nodes over
// the point coordinates x, the time t and the fields' jet terms, evaluated on batches of points.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/jets.h"

namespace nivp {

enum class PlanOp {
  Const,
  X,
  T,
  Field,
  Add,
  Sub,
  Mul,
  Div,
  Neg,
  Sin,
  Cos,
  Exp,
  Log,
  Sqrt,
  Tanh,
  Abs,
  Sign,
  Pow
};
enum class JetTerm { Value, D, D2, Lap };

struct PlanNode {
  PlanOp op = PlanOp::Const;
  double value = 0;     // Const
  double exponent = 0;  // Pow
  int64_t axis = 0;     // X
  int64_t field = 0;    // Field
  JetTerm term = JetTerm::Value;
  int64_t i = 0, j = 0;    // D (i), D2 (i <= j)
  int64_t a = -1, b = -1;  // operands: indices of earlier nodes
};

struct Program {
  std::vector<PlanNode> nodes;
  std::vector<int64_t> outputs;  // one node per output (per field)
  std::vector<bool> isStatic;    // depends on neither t nor a field: cacheable per point set

  bool usesFields() const;
  // Throws std::invalid_argument naming the node ("rhs.nodes[3].a: …") when the program is
  // malformed for `dim` coordinates, `fields` fields and the jet pairs that will be supplied.
  void validate(const std::string& name, int64_t dim, int64_t fields,
                const std::vector<std::pair<int64_t, int64_t>>& pairs) const;
};

// Static nodes evaluated once for a point set, reused by every evaluation on those points.
struct StaticValues {
  std::vector<at::Tensor> values;  // per node; undefined for non-static nodes
};

class ProgramEvaluator {
 public:
  // `pairs` is the pair list the jets' `second` member follows (JetRequest::pairs).
  ProgramEvaluator(Program program, std::vector<std::pair<int64_t, int64_t>> pairs);

  const Program& program() const { return program_; }
  StaticValues prepare(const at::Tensor& points) const;
  // n×outputs. `jets` may be null for programs without field terms; `statics` may be null.
  at::Tensor evaluate(const at::Tensor& points, double t, const Jets* jets,
                      const StaticValues* statics) const;

 private:
  at::Tensor node(size_t index, const std::vector<at::Tensor>& values, const at::Tensor& points, double t,
                  const Jets* jets) const;

  Program program_;
  std::vector<std::pair<int64_t, int64_t>> pairs_;
};

}  // namespace nivp
