/**
 * The plan format: compiled PDE expressions as flat, topologically ordered node lists. This exact
 * format is consumed by the native plan evaluator (native/plan), so changes need both sides.
 */

/**
 * A boundary condition along an axis. 'dirichlet': every field zero on the axis's two faces, built
 * into the network; 'periodic': every field repeats with the box along the axis, built into the
 * network; 'none': no constraint (the network is fitted and evolved on a box grown along the axis,
 * `margin`).
 */
export type Boundary = 'dirichlet' | 'none' | 'periodic';

/**
 * The box's boundary condition: one `Boundary` for every axis, or an array of one per axis (a
 * channel periodic along x and zero on the faces of y: `['periodic', 'dirichlet']`).
 */
export type BoundarySpec = Boundary | readonly Boundary[];

/**
 * One node of a plan. Operands (`a`, `b`) are indices of earlier nodes; `field` indexes the
 * problem's fields; `axis`, `i`, `j` are coordinate axes, with i ≤ j for 'd2'.
 */
export type PlanNode =
  | {
      /** A constant. */
      op: 'const';
      /** Its value. */
      value: number;
    }
  | {
      /** A coordinate x_axis. */
      op: 'x';
      /** The axis. */
      axis: number;
    }
  | {
      /** The time t. */
      op: 't';
    }
  | {
      /** A field's jet term. */
      op: 'field';
      /** The field. */
      field: number;
      /** Its value. */
      term: 'value';
    }
  | {
      /** A field's jet term. */
      op: 'field';
      /** The field. */
      field: number;
      /** Its first derivative ∂/∂x_i. */
      term: 'd';
      /** The axis. */
      i: number;
    }
  | {
      /** A field's jet term. */
      op: 'field';
      /** The field. */
      field: number;
      /** Its second derivative ∂²/∂x_i∂x_j. */
      term: 'd2';
      /** The first axis. */
      i: number;
      /** The second axis, j ≥ i. */
      j: number;
    }
  | {
      /** A field's jet term. */
      op: 'field';
      /** The field. */
      field: number;
      /** Its Laplacian. */
      term: 'lap';
    }
  | {
      /** A binary operation. */
      op: 'add' | 'sub' | 'mul' | 'div';
      /** The left operand's node. */
      a: number;
      /** The right operand's node. */
      b: number;
    }
  | {
      /** A unary function. */
      op: 'neg' | 'sin' | 'cos' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'abs' | 'sign';
      /** The operand's node. */
      a: number;
    }
  | {
      /** A power with a constant exponent. */
      op: 'pow';
      /** The base's node. */
      a: number;
      /** The exponent. */
      exponent: number;
    };

/** A compiled expression list: the nodes and which of them are the outputs. */
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
  /** The D first derivatives. */
  gradient: boolean;
  /** The second derivatives ∂²/∂x_i∂x_j read, as pairs (i, j). */
  pairs: [number, number][];
  /** The Laplacian. */
  laplacian: boolean;
}

/** The highest order of the derivatives a jet request reads: 2 (Hessian pairs, Laplacian), 1 (gradient) or 0. */
export function derivativeOrder(jets: JetRequest): number {
  if (jets.laplacian || jets.pairs.length > 0) return 2;
  return jets.gradient ? 1 : 0;
}

/** A problem compiled to plans: what native code evaluates, and what a saved solution stores. */
export interface CompiledProblem {
  /** Spatial dimension D. */
  dim: number;
  /** The field names, in order. */
  fields: string[];
  /** The box's lower corner. */
  lower: number[];
  /** The box's upper corner. */
  upper: number[];
  /** The boundary condition: one for every axis, or one per axis. */
  boundary: BoundarySpec;
  /** May reference fields, x and t. */
  rhs: Program;
  /** x only; null when the problem gives `initialValues` instead. */
  initial: Program | null;
  /** x and t only; null when the problem has no exact solution. */
  exact: Program | null;
  /** The union over fields of the jet terms `rhs` needs. */
  jets: JetRequest;
}
