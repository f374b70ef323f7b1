import { SpecError } from '../errors';

/** Elementwise functions of one expression. `sign` appears as the derivative of `abs`. */
export type UnaryOp = 'neg' | 'sin' | 'cos' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'abs' | 'sign';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

/** Which jet term of a field an expression stands for. `d2` always has i <= j. */
export type JetTerm =
  | { readonly term: 'value' }
  | { readonly term: 'd'; readonly i: number }
  | { readonly term: 'd2'; readonly i: number; readonly j: number }
  | { readonly term: 'lap' };

export type ExprNode =
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'x'; readonly axis: number }
  | { readonly kind: 't' }
  | { readonly kind: 'field'; readonly field: number; readonly name: string; readonly jet: JetTerm }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly a: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'pow'; readonly a: Expr; readonly exponent: number };

/** An expression or a plain number (a constant). */
export type ExprLike = Expr | number;

/** The path that expression-level errors carry until `defineProblem` re-paths them (e.g. to `rhs`). */
export const EXPRESSION_PATH = 'expression';

const TOKEN = Symbol('Expr');

/**
 * An immutable symbolic expression. Instances are hash-consed: two structurally equal expressions
 * built in the same process are the same object, so `id` is a structural key and common
 * subexpressions are shared automatically. Build them with `ops` and the arithmetic methods.
 */
export class Expr {
  /**
   * The expression's root node.
   * @internal
   */
  readonly node: ExprNode;
  /** Unique per structure (hash-consing). */
  readonly id: number;
  /** True when the expression depends on the time `t`. */
  readonly dependsOnT: boolean;
  /** True when the expression depends on any field jet term. */
  readonly dependsOnField: boolean;
  /** Largest coordinate axis referenced (by `x[i]` or by a jet term's derivative axes), -1 if none. */
  readonly maxAxis: number;

  /** @internal Use `ops` and the arithmetic methods; direct construction is refused. */
  constructor(token: symbol, node: ExprNode, id: number) {
    if (token !== TOKEN) {
      throw new SpecError(EXPRESSION_PATH, 'expressions are built with ops and Expr methods, not with new Expr()');
    }
    this.node = node;
    this.id = id;
    let t = false;
    let f = false;
    let axis = -1;
    switch (node.kind) {
      case 'const':
        break;
      case 'x':
        axis = node.axis;
        break;
      case 't':
        t = true;
        break;
      case 'field':
        f = true;
        if (node.jet.term === 'd') axis = node.jet.i;
        else if (node.jet.term === 'd2') axis = node.jet.j;
        break;
      case 'unary':
      case 'pow':
        t = node.a.dependsOnT;
        f = node.a.dependsOnField;
        axis = node.a.maxAxis;
        break;
      case 'binary':
        t = node.a.dependsOnT || node.b.dependsOnT;
        f = node.a.dependsOnField || node.b.dependsOnField;
        axis = Math.max(node.a.maxAxis, node.b.maxAxis);
        break;
    }
    this.dependsOnT = t;
    this.dependsOnField = f;
    this.maxAxis = axis;
    Object.freeze(this);
  }

  /** this + b. */
  add(b: ExprLike): Expr {
    return add(this, toExpr(b));
  }
  /** this − b. */
  sub(b: ExprLike): Expr {
    return sub(this, toExpr(b));
  }
  /** this · b. */
  mul(b: ExprLike): Expr {
    return mul(this, toExpr(b));
  }
  /** this / b. */
  div(b: ExprLike): Expr {
    return div(this, toExpr(b));
  }
  /** −this. */
  neg(): Expr {
    return neg(this);
  }
  /** `this ** n` for a finite number `n`. */
  pow(n: number): Expr {
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new SpecError(EXPRESSION_PATH, `pow expects a finite number exponent, got ${describe(n)}`);
    }
    return pow(this, n);
  }

  /** True for a constant node. */
  get isConst(): boolean {
    return this.node.kind === 'const';
  }

  /** The expression in infix notation, for messages and reports. */
  toString(): string {
    return format(this);
  }

  /**
   * Refuses JavaScript's arithmetic and comparison operators, which cannot build expressions
   * (`u * 2` would be NaN, `u + 1` a string); a template string still gets the infix form.
   */
  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.toString();
    throw new SpecError(
      EXPRESSION_PATH,
      `${format(this)} was used as a JavaScript number (by an operator such as +, -, *, /, **, <, or a Math function such as Math.cos), which cannot build expressions; use its methods (u.mul(2), u.add(v)) or ops (ops.cos(u))`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Hash-consing. Entries are weak so unused expressions can be collected; a parent holds its
// children strongly, so a live parent's key (made of child ids) always names live children.

const table = new Map<string, WeakRef<Expr>>();
const registry = new FinalizationRegistry<string>((key) => {
  const ref = table.get(key);
  if (ref !== undefined && ref.deref() === undefined) table.delete(key);
});
let nextId = 0;

function intern(key: string, node: ExprNode): Expr {
  const hit = table.get(key)?.deref();
  if (hit !== undefined) return hit;
  const e = new Expr(TOKEN, Object.freeze(node), nextId++);
  table.set(key, new WeakRef(e));
  registry.register(e, key);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Expr) return `expression ${format(v)}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** `n` and its noun for messages: "1 number", "3 numbers". */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Converts an `Expr` or finite number to an `Expr`; anything else is a `SpecError` at `path`. */
export function toExpr(v: unknown, path: string = EXPRESSION_PATH): Expr {
  if (v instanceof Expr) return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SpecError(path, `constants must be finite, got ${v}`);
    return constant(v);
  }
  throw new SpecError(path, `expected an expression or a finite number, got ${describe(v)}`);
}

function finite(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new SpecError(EXPRESSION_PATH, `${what} is not finite (${v})`);
  return v === 0 ? 0 : v; // normalise -0
}

export function isConstValue(e: Expr, v: number): boolean {
  return e.node.kind === 'const' && e.node.value === v;
}

export function constValue(e: Expr): number | undefined {
  return e.node.kind === 'const' ? e.node.value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Leaves

export function constant(value: number): Expr {
  const v = finite(value, 'constant');
  return intern(`c:${v}`, { kind: 'const', value: v });
}

export const ZERO = constant(0);
export const ONE = constant(1);

export function coord(axis: number): Expr {
  return intern(`x:${axis}`, { kind: 'x', axis });
}

export function time(): Expr {
  return intern('t', { kind: 't' });
}

export function fieldTerm(field: number, name: string, jet: JetTerm): Expr {
  let k: string;
  switch (jet.term) {
    case 'value':
      k = 'v';
      break;
    case 'd':
      k = `d${jet.i}`;
      break;
    case 'd2':
      if (jet.i > jet.j) return fieldTerm(field, name, { term: 'd2', i: jet.j, j: jet.i });
      k = `d${jet.i},${jet.j}`;
      break;
    case 'lap':
      k = 'l';
      break;
  }
  return intern(`f:${field}:${name}:${k}`, { kind: 'field', field, name, jet: Object.freeze({ ...jet }) });
}

// ---------------------------------------------------------------------------------------------
// Smart constructors with light simplification and constant folding.

const UNARY_FOLD: Record<UnaryOp, (v: number) => number> = {
  neg: (v) => -v,
  sin: Math.sin,
  cos: Math.cos,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  abs: Math.abs,
  sign: Math.sign,
};

export function unary(op: UnaryOp, a: Expr): Expr {
  const c = constValue(a);
  if (c !== undefined) return constant(finite(UNARY_FOLD[op](c), `${op}(${c})`));
  if (op === 'neg') {
    if (a.node.kind === 'unary' && a.node.op === 'neg') return a.node.a;
    if (a.node.kind === 'binary' && a.node.op === 'sub') return sub(a.node.b, a.node.a);
  }
  if (op === 'abs' && a.node.kind === 'unary' && (a.node.op === 'abs' || a.node.op === 'neg')) {
    return unary('abs', a.node.a);
  }
  return intern(`${op}:${a.id}`, { kind: 'unary', op, a });
}

export function neg(a: Expr): Expr {
  return unary('neg', a);
}

function binaryNode(op: BinaryOp, a: Expr, b: Expr): Expr {
  // add and mul are commutative (exactly, in IEEE arithmetic): order operands canonically so
  // that a+b and b+a share one node. Constants go first.
  if ((op === 'add' || op === 'mul') && !a.isConst && (b.isConst || b.id < a.id)) {
    const tmp = a;
    a = b;
    b = tmp;
  }
  return intern(`${op}:${a.id},${b.id}`, { kind: 'binary', op, a, b });
}

export function add(a: Expr, b: Expr): Expr {
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return constant(finite(ca + cb, `${ca} + ${cb}`));
  if (ca === 0) return b;
  if (cb === 0) return a;
  if (b.node.kind === 'unary' && b.node.op === 'neg') return sub(a, b.node.a);
  if (a.node.kind === 'unary' && a.node.op === 'neg') return sub(b, a.node.a);
  // c1 + (c2 + y) -> (c1 + c2) + y
  const c = ca ?? cb;
  const other = ca !== undefined ? b : a;
  if (c !== undefined && other.node.kind === 'binary' && other.node.op === 'add') {
    const inner = constValue(other.node.a);
    if (inner !== undefined) return add(constant(finite(c + inner, `${c} + ${inner}`)), other.node.b);
  }
  return binaryNode('add', a, b);
}

export function sub(a: Expr, b: Expr): Expr {
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return constant(finite(ca - cb, `${ca} - ${cb}`));
  if (cb === 0) return a;
  if (ca === 0) return neg(b);
  if (a === b) return ZERO;
  if (b.node.kind === 'unary' && b.node.op === 'neg') return add(a, b.node.a);
  if (cb !== undefined) return add(constant(-cb), a);
  return binaryNode('sub', a, b);
}

export function mul(a: Expr, b: Expr): Expr {
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return constant(finite(ca * cb, `${ca} * ${cb}`));
  if (ca === 0 || cb === 0) return ZERO;
  if (ca === 1) return b;
  if (cb === 1) return a;
  if (ca === -1) return neg(b);
  if (cb === -1) return neg(a);
  const an = a.node.kind === 'unary' && a.node.op === 'neg' ? a.node.a : undefined;
  const bn = b.node.kind === 'unary' && b.node.op === 'neg' ? b.node.a : undefined;
  if (an !== undefined && bn !== undefined) return mul(an, bn);
  const c = ca ?? cb;
  const other = ca !== undefined ? b : a;
  if (c !== undefined) {
    // c * (-y) -> (-c) * y ;  c1 * (c2 * y) -> (c1 c2) * y
    if (other.node.kind === 'unary' && other.node.op === 'neg') return mul(constant(-c), other.node.a);
    if (other.node.kind === 'binary' && other.node.op === 'mul') {
      const inner = constValue(other.node.a);
      if (inner !== undefined) return mul(constant(finite(c * inner, `${c} * ${inner}`)), other.node.b);
    }
  }
  return binaryNode('mul', a, b);
}

export function div(a: Expr, b: Expr): Expr {
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) return constant(finite(ca / cb, `${ca} / ${cb}`));
  if (cb === 0) throw new SpecError(EXPRESSION_PATH, `division by the constant 0 in ${format(a)} / 0`);
  if (ca === 0) return ZERO;
  if (cb === 1) return a;
  if (cb === -1) return neg(a);
  return binaryNode('div', a, b);
}

export function pow(a: Expr, exponent: number): Expr {
  if (!Number.isFinite(exponent)) throw new SpecError(EXPRESSION_PATH, `pow exponent must be finite, got ${exponent}`);
  const n = exponent === 0 ? 0 : exponent;
  if (n === 0) return ONE;
  if (n === 1) return a;
  const ca = constValue(a);
  if (ca !== undefined) return constant(finite(ca ** n, `${ca} ** ${n}`));
  return intern(`pow:${a.id}:${n}`, { kind: 'pow', a, exponent: n });
}

// ---------------------------------------------------------------------------------------------
// Traversal

/**
 * Visits every distinct node reachable from `roots` once, children before parents (a topological
 * order), without recursion.
 */
export function walk(roots: readonly Expr[], visit: (e: Expr) => void): void {
  const done = new Set<number>();
  const stack: { e: Expr; expanded: boolean }[] = [];
  for (let r = roots.length - 1; r >= 0; r--) stack.push({ e: roots[r], expanded: false });
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (done.has(top.e.id)) {
      stack.pop();
      continue;
    }
    if (top.expanded) {
      stack.pop();
      done.add(top.e.id);
      visit(top.e);
      continue;
    }
    top.expanded = true;
    const n = top.e.node;
    if (n.kind === 'binary') {
      if (!done.has(n.b.id)) stack.push({ e: n.b, expanded: false });
      if (!done.has(n.a.id)) stack.push({ e: n.a, expanded: false });
    } else if (n.kind === 'unary' || n.kind === 'pow') {
      if (!done.has(n.a.id)) stack.push({ e: n.a, expanded: false });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Printing (for messages and debugging). Shared subexpressions are printed in full, so output is
// truncated for very large expressions.

const BINARY_SYMBOL: Record<BinaryOp, string> = { add: '+', sub: '-', mul: '*', div: '/' };
const MAX_FORMAT = 200;

function jetName(name: string, jet: JetTerm): string {
  switch (jet.term) {
    case 'value':
      return name;
    case 'd':
      return `d${jet.i}(${name})`;
    case 'd2':
      return `d${jet.i}${jet.j}(${name})`;
    case 'lap':
      return `lap(${name})`;
  }
}

function format(e: Expr): string {
  const out: string[] = [];
  let length = 0;
  const emit = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length < MAX_FORMAT;
  };
  const go = (x: Expr): boolean => {
    const n = x.node;
    switch (n.kind) {
      case 'const':
        return emit(String(n.value));
      case 'x':
        return emit(`x[${n.axis}]`);
      case 't':
        return emit('t');
      case 'field':
        return emit(jetName(n.name, n.jet));
      case 'unary':
        return emit(n.op === 'neg' ? '-(' : `${n.op}(`) && go(n.a) && emit(')');
      case 'binary':
        return emit('(') && go(n.a) && emit(` ${BINARY_SYMBOL[n.op]} `) && go(n.b) && emit(')');
      case 'pow':
        return emit('(') && go(n.a) && emit(`)^${n.exponent}`);
    }
  };
  if (!go(e)) out.push('…');
  return out.join('');
}
