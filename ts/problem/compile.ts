import { type Expr, walk } from './expr';
import type { BoundarySpec, CompiledProblem, JetRequest, PlanNode, Program } from './plan';

/**
 * Compiles expressions to a `Program`. Expressions are hash-consed, so each distinct
 * subexpression (and each distinct constant) becomes exactly one node; constants were folded when
 * the expressions were built. Nodes come out children first.
 */
export function compileProgram(outputs: readonly Expr[]): Program {
  const index = new Map<number, number>();
  const nodes: PlanNode[] = [];
  const isStatic: boolean[] = [];
  const at = (e: Expr): number => {
    const k = index.get(e.id);
    if (k === undefined) throw new Error(`internal: operand ${e.id} compiled out of order`);
    return k;
  };
  walk(outputs, (e) => {
    index.set(e.id, nodes.length);
    nodes.push(planNode(e, at));
    isStatic.push(!e.dependsOnT && !e.dependsOnField);
  });
  return { nodes, outputs: outputs.map(at), static: isStatic };
}

function planNode(e: Expr, at: (e: Expr) => number): PlanNode {
  const n = e.node;
  switch (n.kind) {
    case 'const':
      return { op: 'const', value: n.value };
    case 'x':
      return { op: 'x', axis: n.axis };
    case 't':
      return { op: 't' };
    case 'field':
      switch (n.jet.term) {
        case 'value':
          return { op: 'field', field: n.field, term: 'value' };
        case 'd':
          return { op: 'field', field: n.field, term: 'd', i: n.jet.i };
        case 'd2':
          return { op: 'field', field: n.field, term: 'd2', i: n.jet.i, j: n.jet.j };
        case 'lap':
          return { op: 'field', field: n.field, term: 'lap' };
      }
      break;
    case 'unary':
      return { op: n.op, a: at(n.a) };
    case 'binary':
      return { op: n.op, a: at(n.a), b: at(n.b) };
    case 'pow':
      return { op: 'pow', a: at(n.a), exponent: n.exponent };
  }
  throw new Error('internal: unknown expression node');
}

/**
 * The jet terms a program reads: `gradient` when any first-derivative (`d`) term appears, `pairs`
 * the second-derivative (`d2`) pairs, `laplacian` when any `lap` term appears.
 */
export function jetRequest(program: Program): JetRequest {
  let gradient = false;
  let laplacian = false;
  const pairs = new Map<string, [number, number]>();
  for (const node of program.nodes) {
    if (node.op !== 'field') continue;
    if (node.term === 'd') gradient = true;
    else if (node.term === 'lap') laplacian = true;
    else if (node.term === 'd2') pairs.set(`${node.i},${node.j}`, [node.i, node.j]);
  }
  const sorted = [...pairs.values()].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  return { gradient, pairs: sorted, laplacian };
}

export interface ProblemParts {
  dim: number;
  fields: string[];
  lower: number[];
  upper: number[];
  boundary: BoundarySpec;
  rhs: readonly Expr[];
  initial: readonly Expr[] | null;
  exact: readonly Expr[] | null;
}

/** Compiles a validated problem to its plan. */
export function compileProblem(parts: ProblemParts): CompiledProblem {
  const rhs = compileProgram(parts.rhs);
  return {
    dim: parts.dim,
    fields: [...parts.fields],
    lower: [...parts.lower],
    upper: [...parts.upper],
    boundary: parts.boundary,
    rhs,
    initial: parts.initial === null ? null : compileProgram(parts.initial),
    exact: parts.exact === null ? null : compileProgram(parts.exact),
    jets: jetRequest(rhs),
  };
}
