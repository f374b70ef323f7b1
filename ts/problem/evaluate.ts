import type { PlanNode, Program } from './plan';

/** The jet of one field at n points: values, per-axis first derivatives, second derivatives, Laplacian. */
export interface FieldJets {
  value: Float64Array;
  /** One n-vector per axis. */
  d?: Float64Array[];
  /** Key `${i},${j}` with i <= j. */
  d2?: Map<string, Float64Array>;
  lap?: Float64Array;
}

export interface EvaluateInputs {
  /** Number of points. */
  n: number;
  /** Points, n×D row-major. */
  x: Float64Array;
  t: number;
  /** One jet per field, in `fields` order; needed only when the program reads fields. */
  jets?: readonly FieldJets[];
}

const UNARY = new Map<string, (v: number) => number>([
  ['neg', (v) => -v],
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['exp', Math.exp],
  ['log', Math.log],
  ['sqrt', Math.sqrt],
  ['tanh', Math.tanh],
  ['abs', Math.abs],
  ['sign', Math.sign],
]);

function checkVector(v: Float64Array | undefined, n: number, what: string): Float64Array {
  if (!(v instanceof Float64Array)) throw new TypeError(`evaluateProgram: ${what} is missing`);
  if (v.length !== n) throw new RangeError(`evaluateProgram: ${what} has length ${v.length}, expected ${n}`);
  return v;
}

function fieldTerm(node: Extract<PlanNode, { op: 'field' }>, inputs: EvaluateInputs): Float64Array {
  const jets = inputs.jets?.[node.field];
  const name = `field ${node.field}`;
  if (jets === undefined) throw new TypeError(`evaluateProgram: jets for ${name} are missing`);
  switch (node.term) {
    case 'value':
      return checkVector(jets.value, inputs.n, `${name} value`);
    case 'd':
      return checkVector(jets.d?.[node.i], inputs.n, `${name} d${node.i}`);
    case 'd2':
      return checkVector(jets.d2?.get(`${node.i},${node.j}`), inputs.n, `${name} d2 ${node.i},${node.j}`);
    case 'lap':
      return checkVector(jets.lap, inputs.n, `${name} laplacian`);
  }
}

/**
 * Evaluates a program on n points in plain TypeScript (the reference semantics of the plan, and a
 * CPU fallback). Returns one fresh n-vector per output; constant outputs are broadcast.
 */
export function evaluateProgram(program: Program, inputs: EvaluateInputs): Float64Array[] {
  const { n, x, t } = inputs;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`evaluateProgram: n must be a non-negative integer, got ${n}`);
  if (!(x instanceof Float64Array)) throw new TypeError('evaluateProgram: x must be a Float64Array');
  if (n > 0 && x.length % n !== 0) {
    throw new RangeError(`evaluateProgram: x has length ${x.length}, not a multiple of n = ${n}`);
  }
  const dim = n > 0 ? x.length / n : 0;
  const nodes = program.nodes;
  const lastUse = new Int32Array(nodes.length).fill(-1);
  nodes.forEach((node, k) => {
    if ('a' in node) lastUse[node.a] = k;
    if ('b' in node) lastUse[node.b] = k;
  });
  for (const o of program.outputs) lastUse[o] = nodes.length;

  const values: (Float64Array | undefined)[] = new Array(nodes.length);
  const get = (k: number, at: number): Float64Array => {
    const v = k < at ? values[k] : undefined;
    if (v === undefined) throw new RangeError(`evaluateProgram: node ${at} reads node ${k}, which is not earlier`);
    return v;
  };
  nodes.forEach((node, k) => {
    let out: Float64Array;
    switch (node.op) {
      case 'const':
        out = new Float64Array(n).fill(node.value);
        break;
      case 't':
        out = new Float64Array(n).fill(t);
        break;
      case 'x': {
        if (n > 0 && node.axis >= dim)
          throw new RangeError(`evaluateProgram: x has ${dim} axes, node ${k} reads axis ${node.axis}`);
        out = new Float64Array(n);
        for (let p = 0; p < n; p++) out[p] = x[p * dim + node.axis];
        break;
      }
      case 'field':
        out = fieldTerm(node, inputs);
        break;
      case 'add':
      case 'sub':
      case 'mul':
      case 'div': {
        const a = get(node.a, k);
        const b = get(node.b, k);
        out = new Float64Array(n);
        if (node.op === 'add') for (let p = 0; p < n; p++) out[p] = a[p] + b[p];
        else if (node.op === 'sub') for (let p = 0; p < n; p++) out[p] = a[p] - b[p];
        else if (node.op === 'mul') for (let p = 0; p < n; p++) out[p] = a[p] * b[p];
        else for (let p = 0; p < n; p++) out[p] = a[p] / b[p];
        break;
      }
      case 'pow': {
        const a = get(node.a, k);
        out = new Float64Array(n);
        for (let p = 0; p < n; p++) out[p] = a[p] ** node.exponent;
        break;
      }
      default: {
        const f = UNARY.get(node.op);
        if (f === undefined) throw new TypeError(`evaluateProgram: unknown op at node ${k}`);
        const a = get(node.a, k);
        out = new Float64Array(n);
        for (let p = 0; p < n; p++) out[p] = f(a[p]);
      }
    }
    values[k] = out;
    // Release operands whose last reader was this node.
    if ('a' in node && lastUse[node.a] === k) values[node.a] = undefined;
    if ('b' in node && lastUse[node.b] === k) values[node.b] = undefined;
  });
  return program.outputs.map((o) => {
    const v = values[o];
    if (v === undefined) throw new RangeError(`evaluateProgram: output node ${o} does not exist`);
    return Float64Array.from(v);
  });
}
