/**
 * The plan format: compiled PDE expressions as flat, topologically ordered node lists. This exact
 * format is consumed by the native plan evaluator (native/plan), so changes need both sides.
 */

export type PlanNode =
  | { op: 'const'; value: number }
  | { op: 'x'; axis: number }
  | { op: 't' }
  | { op: 'field'; field: number; term: 'value' }
  | { op: 'field'; field: number; term: 'd'; i: number }
  | { op: 'field'; field: number; term: 'd2'; i: number; j: number } // i <= j
  | { op: 'field'; field: number; term: 'lap' }
  | { op: 'add' | 'sub' | 'mul' | 'div'; a: number; b: number } // indices of earlier nodes
  | { op: 'neg' | 'sin' | 'cos' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'abs' | 'sign'; a: number }
  | { op: 'pow'; a: number; exponent: number };

export interface Program {
  /** Topological order: every operand index is below the node's own index. */
  nodes: PlanNode[];
  /** Node index per output (per field, in `fields` order). Every output is an n-vector; a const broadcasts. */
  outputs: number[];
  /** Per node: true when it depends on neither t nor any field (cacheable per point set). */
  static: boolean[];
}

/** Jet terms of the fields that a program needs. `pairs` sorted, i <= j, unique. */
export interface JetRequest {
  gradient: boolean;
  pairs: [number, number][];
  laplacian: boolean;
}

/** The highest order of the derivatives a jet request reads: 2 (Hessian pairs, Laplacian), 1 (gradient) or 0. */
export function derivativeOrder(jets: JetRequest): number {
  if (jets.laplacian || jets.pairs.length > 0) return 2;
  return jets.gradient ? 1 : 0;
}

export interface CompiledProblem {
  dim: number;
  fields: string[];
  lower: number[];
  upper: number[];
  boundary: 'dirichlet' | 'none';
  /** May reference fields, x and t. */
  rhs: Program;
  /** x only; null when the problem gives `initialValues` instead. */
  initial: Program | null;
  /** x and t only; null when the problem has no exact solution. */
  exact: Program | null;
  /** The union over fields of the jet terms `rhs` needs. */
  jets: JetRequest;
}
