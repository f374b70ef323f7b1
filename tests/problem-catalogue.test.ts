import { describe, expect, it } from 'vitest';
import { type Problem, type Program, SpecError } from '../ts/problem';
import { compileProgram } from '../ts/problem/compile';
import { coord } from '../ts/problem/expr';
import { problems } from '../ts/problems';
import { schwarzschildMetric } from '../ts/problems/wave-maps';
import { type ClosedForm, expectClose, fd1, fd2, jetsOf, randomPoints, rng, run, shift } from './problem-helpers';

function program(p: Program | null): Program {
  if (p === null) throw new Error('expected a program');
  return p;
}

/** Evaluates the exact solution (all fields) at one point and time. */
function exactAt(problem: Problem, point: number[], t: number): number[] {
  return run(program(problem.plan.exact), [point], t).map((v) => v[0]);
}

/** exp(c·x): jets are c_i u, c_i c_j u, |c|² u. */
function expForm(c: number[]): ClosedForm {
  const value = (p: readonly number[]) => Math.exp(p.reduce((s, x, i) => s + c[i] * x, 0));
  return {
    value,
    grad: (p) => c.map((ci) => ci * value(p)),
    hess: (p) => c.map((ci) => c.map((cj) => ci * cj * value(p))),
  };
}

describe('heat', () => {
  it.each([1, 2, 3])('exact solution satisfies u_t = κΔu (dim %i)', (dim) => {
    const kappa = 0.3;
    const problem = problems.heat({ dim, diffusivity: kappa });
    const random = rng(dim);
    for (const p of randomPoints(random, 5, dim, -0.9, 0.9)) {
      for (const t of [0.1, 0.8]) {
        const u = (q: number[], s: number) => exactAt(problem, q, s)[0];
        const ut = fd1((h) => u(p, t + h), 1e-3);
        let lapU = 0;
        for (let i = 0; i < dim; i++) lapU += fd2((h) => u(shift(p, i, h), t), 1e-3);
        expectClose(ut, kappa * lapU, 1e-7, 1e-10, `heat ${dim}d at ${p}, t ${t}`);
      }
      const u0 = run(program(problem.plan.initial), [p])[0][0];
      expectClose(u0, exactAt(problem, p, 0)[0], 1e-14, 1e-15, 'initial = exact(0)');
      // by hand: Π cos(πx_i/2)
      expectClose(
        u0,
        p.reduce((s, x) => s * Math.cos((Math.PI * x) / 2), 1),
        1e-14,
        1e-15,
        'u0 formula',
      );
    }
    // zero on a face
    expect(Math.abs(exactAt(problem, [1, ...Array(dim - 1).fill(0.3)], 0.5)[0])).toBeLessThan(1e-15);
    expect(problem.params).toEqual({ dim, diffusivity: kappa });
    expect(problem.boundary).toBe('dirichlet');
  });

  it('rhs is κ lap(u)', () => {
    const problem = problems.heat();
    const pts = randomPoints(rng(9), 4, 2);
    const form = expForm([0.4, -1.1]);
    const out = run(problem.plan.rhs, pts, 0, jetsOf([form], pts))[0];
    pts.forEach((p, k) => {
      expectClose(out[k], 0.1 * (0.16 + 1.21) * form.value(p), 1e-13, 0, 'heat rhs');
    });
  });
});

describe('wave', () => {
  it('3-D outgoing wave: φ_tt = Δφ and psi = ∂_t φ outside the front r = t, zero inside', () => {
    const problem = problems.wave();
    expect(problem.dim).toBe(3);
    expect(problem.fields).toEqual(['phi', 'psi']);
    const random = rng(33);
    let checked = 0;
    for (const t of [0.1, 0.3, 0.5]) {
      for (let k = 0; k < 6; k++) {
        // points in the shell where the pulse is, r in (t, t + 0.2], clear of the front's kink
        const dir = [random() - 0.5, random() - 0.5, random() - 0.5];
        const norm = Math.hypot(...dir);
        const r = t + 0.005 + 0.195 * random();
        const p = dir.map((v) => (r * v) / norm);
        const f = (q: number[], s: number) => exactAt(problem, q, s);
        // and inside the front nothing: the initial pulse has left and no source refills it
        const inner = dir.map((v) => ((t - 0.005) * random() * v) / norm);
        expect(f(inner, t).map(Math.abs)).toEqual([0, 0]);
        const phiTT = fd2((h) => f(p, t + h)[0], 1e-3);
        let lapPhi = 0;
        for (let i = 0; i < 3; i++) lapPhi += fd2((h) => f(shift(p, i, h), t)[0], 1e-3);
        const scale = Math.max(Math.abs(phiTT), 1e-3);
        expect(Math.abs(phiTT - lapPhi) / scale, `t ${t}, r ${r}`).toBeLessThan(2e-5);
        const psi = f(p, t)[1];
        expectClose(
          psi,
          fd1((h) => f(p, t + h)[0], 1e-4),
          1e-7,
          1e-9,
          `psi at t ${t}, r ${r}`,
        );
        checked++;
      }
    }
    expect(checked).toBe(18);
  });

  it('3-D exact solution is source-free: r·φ → 0 at the origin, unlike the paper formula f(t − r)/r', () => {
    // v = rφ solves v_tt = v_rr; regularity at r = 0 (no point source) needs v(0, t) = 0. The
    // paper's f(t - r)/r has v(0, t) = f(t) = 2t²e^{-200t²} ≠ 0: it is driven by 4πf(t)δ(x).
    const problem = problems.wave({ dim: 3 });
    for (const t of [0.05, 0.1]) {
      const r = 1e-6;
      const [phi] = exactAt(problem, [r, 0, 0], t);
      expect(r * phi).toBe(0);
      expect(2 * t * t * Math.exp(-200 * t * t)).toBeGreaterThan(1e-4); // what the formula would give
    }
    // C¹ across the front r = t (f(0) = f'(0) = 0): one-sided values and slopes agree.
    const t = 0.3;
    const h = 1e-5;
    const at = (r: number) => exactAt(problem, [r, 0, 0], t)[0];
    expect(Math.abs(at(t + h) - at(t - h))).toBeLessThan(1e-8);
    expect(Math.abs((at(t + 2 * h) - at(t + h)) / h - (at(t - h) - at(t - 2 * h)) / h)).toBeLessThan(1e-3);
  });

  it('3-D initial data equal the exact solution at t = 0 and match the paper formula', () => {
    const problem = problems.wave({ dim: 3 });
    const pts = randomPoints(rng(5), 8, 3, -0.3, 0.3);
    const init = run(program(problem.plan.initial), pts);
    const ex = run(program(problem.plan.exact), pts, 0);
    pts.forEach((p, k) => {
      const r = Math.hypot(...p);
      // u = f(t - r)/r, f(s) = 2s² e^{-200 s²}, at t = 0
      expectClose(init[0][k], (2 * r * r * Math.exp(-200 * r * r)) / r, 1e-12, 1e-15, 'phi0');
      expectClose(init[0][k], ex[0][k], 1e-12, 1e-15, 'phi0 = exact');
      expectClose(init[1][k], ex[1][k], 1e-12, 1e-12, 'psi0 = exact');
    });
    // regular at the origin
    const origin = run(program(problem.plan.initial), [[0, 0, 0]]);
    expect(origin[0][0]).toBe(0);
    expect(origin[1][0]).toBe(-4);
  });

  it('rhs is (psi, lap phi)', () => {
    const problem = problems.wave();
    const pts = randomPoints(rng(6), 3, 3);
    const phi = expForm([0.5, 0.25, -1]);
    const psi = expForm([1, 0, 0]);
    const out = run(problem.plan.rhs, pts, 0.2, jetsOf([phi, psi], pts));
    pts.forEach((p, k) => {
      expectClose(out[0][k], psi.value(p), 1e-15, 0, 'phi_t');
      expectClose(out[1][k], 1.3125 * phi.value(p), 1e-13, 0, 'psi_t');
    });
    expect(problem.plan.jets).toEqual({ gradient: false, pairs: [], laplacian: true });
  });

  it.each([1, 2, 4])('standing wave in %i-D satisfies φ_tt = Δφ and psi = ∂_t φ', (dim) => {
    const problem = problems.wave({ dim });
    for (const p of randomPoints(rng(dim + 40), 4, dim, -0.9, 0.9)) {
      const t = 0.37;
      const f = (q: number[], s: number) => exactAt(problem, q, s);
      let lapPhi = 0;
      for (let i = 0; i < dim; i++) lapPhi += fd2((h) => f(shift(p, i, h), t)[0], 1e-3);
      expectClose(
        fd2((h) => f(p, t + h)[0], 1e-3),
        lapPhi,
        1e-6,
        1e-8,
        'phi_tt',
      );
      expectClose(
        f(p, t)[1],
        fd1((h) => f(p, t + h)[0], 1e-3),
        1e-8,
        1e-10,
        'psi',
      );
      const init = run(program(problem.plan.initial), [p]);
      expectClose(init[0][0], f(p, 0)[0], 1e-14, 1e-15, 'phi0');
      expect(init[1][0]).toBe(0);
    }
  });
});

describe('advection', () => {
  it('exact solution satisfies u_t = -c·∇u, and rhs is -c·∇u', () => {
    const velocity = [0.7, -0.4, 0.2];
    const problem = problems.advection({ dim: 3, velocity, center: [0.1, 0, -0.2], width: 0.3 });
    expect(problem.boundary).toBe('none');
    for (const p of randomPoints(rng(77), 5, 3, -0.6, 0.6)) {
      const t = 0.25;
      const u = (q: number[], s: number) => exactAt(problem, q, s)[0];
      const ut = fd1((h) => u(p, t + h), 1e-3);
      const adv = velocity.reduce((s, c, i) => s + c * fd1((h) => u(shift(p, i, h), t), 1e-3), 0);
      expectClose(ut, -adv, 1e-7, 1e-9, 'advection');
      const u0 = Math.exp(-((p[0] - 0.1) ** 2 + p[1] ** 2 + (p[2] + 0.2) ** 2) / (2 * 0.09));
      expectClose(run(program(problem.plan.initial), [p])[0][0], u0, 1e-13, 0, 'u0');
    }
    const pts = randomPoints(rng(78), 3, 3);
    const form = expForm([1, 2, 3]);
    const out = run(problem.plan.rhs, pts, 0, jetsOf([form], pts))[0];
    pts.forEach((p, k) => {
      expectClose(out[k], -(0.7 - 0.8 + 0.6) * form.value(p), 1e-13, 1e-15, 'rhs');
    });
    expect(problems.advection().params).toMatchObject({ 'velocity[0]': 1, 'velocity[1]': 0 });
  });
});

describe('vlasov', () => {
  it('rhs is -v·∇_x u - E·∇_v u with E = ∇ exp(-|x|²)', () => {
    const problem = problems.vlasov();
    expect(problem.dim).toBe(6);
    const c = [0.3, -0.2, 0.5, 0.1, 0.9, -0.6];
    const form = expForm(c);
    const pts = randomPoints(rng(6), 5, 6);
    const out = run(problem.plan.rhs, pts, 0, jetsOf([form], pts))[0];
    pts.forEach((z, k) => {
      const u = form.value(z);
      const g = Math.exp(-(z[0] ** 2 + z[1] ** 2 + z[2] ** 2));
      let truth = 0;
      for (let i = 0; i < 3; i++) {
        const E = -2 * z[i] * g; // ∂_i exp(-|x|²)
        truth -= z[3 + i] * c[i] * u + E * c[3 + i] * u;
      }
      expectClose(out[k], truth, 1e-12, 1e-14, 'vlasov rhs');
    });
    expect(problem.plan.jets).toEqual({ gradient: true, pairs: [], laplacian: false });
    // u0 = N(x; 0, 0.3² I) N(v; 0, 0.3² I)
    const z = [0.1, -0.2, 0.05, 0.3, 0, -0.1];
    const s2 = 0.09;
    const truth0 = Math.exp(-z.reduce((s, v) => s + v * v, 0) / (2 * s2)) / (2 * Math.PI * s2) ** 3;
    expectClose(run(program(problem.plan.initial), [z])[0][0], truth0, 1e-13, 0, 'u0');
  });
});

describe('fokkerPlanck', () => {
  it.each([3, 8])('drift ∇·(hu) matches finite differences (dim %i)', (dim) => {
    const D = 0.02;
    const alpha = 0.3;
    const a = 0.15;
    const problem = problems.fokkerPlanck({ dim, D, alpha, a });
    const c = Array.from({ length: dim }, (_, i) => 0.4 * Math.sin(i + 1));
    const form = expForm(c);
    const pts = randomPoints(rng(dim * 11), 4, dim);
    const out = run(problem.plan.rhs, pts, 0, jetsOf([form], pts))[0];
    const h = (q: number[], i: number) => a - q[i] + alpha * (q.reduce((s, v) => s + v, 0) / dim - q[i]);
    pts.forEach((p, k) => {
      let div = 0;
      for (let i = 0; i < dim; i++) div += fd1((s) => h(shift(p, i, s), i) * form.value(shift(p, i, s)), 1e-3);
      const lapU = c.reduce((s, v) => s + v * v, 0) * form.value(p);
      expectClose(out[k], D * lapU - div, 1e-9, 1e-12, `fp rhs at point ${k}`);
    });
  });

  it('initial condition (3/4)^d Π(1 - x_i²) and defaults', () => {
    const problem = problems.fokkerPlanck();
    expect(problem.dim).toBe(8);
    expect(problem.params).toMatchObject({ dim: 8, D: 0.01, alpha: 0.25, 'a[0]': 0.2 });
    const p = [0.1, -0.5, 0.3, 0.9, 0, -0.2, 0.7, 0.4];
    const truth = 0.75 ** 8 * p.reduce((s, x) => s * (1 - x * x), 1);
    expectClose(run(program(problem.plan.initial), [p])[0][0], truth, 1e-14, 0, 'u0');
  });
});

// ---- wave maps: an independent numerical evaluation of g^{μν}∇_μ∇_νφ = 0 ----

function metricAt(p: readonly number[], mass: number, c: readonly number[]): number[][] {
  const rs = 2 * mass;
  const y = p.map((v, i) => v - c[i]);
  const rc = Math.hypot(...y);
  const g = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
  g[0][0] = -(1 - rs / rc);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) g[i + 1][j + 1] = (i === j ? 1 : 0) + (y[i] * y[j]) / (rc * rc * (rc / rs - 1));
  }
  return g;
}

function inverse(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    [a[col], a[piv]] = [a[piv], a[col]];
    const d = a[col][col];
    for (let j = 0; j < 2 * n; j++) a[col][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col];
      for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[col][j];
    }
  }
  return a.map((row) => row.slice(n));
}

// φ = sin(x0 + 2x1) cos(x2) + x0² x1, with hand-computed derivatives
const PHI: ClosedForm = {
  value: ([x, y, z]) => Math.sin(x + 2 * y) * Math.cos(z) + x * x * y,
  grad: ([x, y, z]) => {
    const [s, c] = [Math.sin(x + 2 * y), Math.cos(x + 2 * y)];
    return [c * Math.cos(z) + 2 * x * y, 2 * c * Math.cos(z) + x * x, -s * Math.sin(z)];
  },
  hess: ([x, y, z]) => {
    const [s, c] = [Math.sin(x + 2 * y), Math.cos(x + 2 * y)];
    const [sz, cz] = [Math.sin(z), Math.cos(z)];
    return [
      [-s * cz + 2 * y, -2 * s * cz + 2 * x, -c * sz],
      [-2 * s * cz + 2 * x, -4 * s * cz, -2 * c * sz],
      [-c * sz, -2 * c * sz, -s * cz],
    ];
  },
};
const PSI: ClosedForm = { value: ([x, y]) => 0.3 + x * y, grad: () => [0, 0, 0], hess: () => [[0], [0], [0]] };

function phiTTReference(p: number[], mass: number, c: number[]): number {
  const g = metricAt(p, mass, c);
  const ginv = inverse(g);
  // ∂_μ g by finite differences; ∂_t g = 0 (static)
  const dg = [0, 1, 2, 3].map((mu) =>
    mu === 0
      ? g.map((row) => row.map(() => 0))
      : g.map((row, a) => row.map((_, b) => fd1((h) => metricAt(shift(p, mu - 1, h), mass, c)[a][b], 1e-4))),
  );
  const gamma = (s: number, m: number, n: number) => {
    let sum = 0;
    for (let l = 0; l < 4; l++) sum += ginv[s][l] * (dg[m][l][n] + dg[n][l][m] - dg[l][m][n]);
    return 0.5 * sum;
  };
  const grad = PHI.grad(p);
  const hess = PHI.hess(p);
  const dphi = [PSI.value(p), ...grad];
  // g^{tt} φ_tt + g^{ij} φ_ij - g^{μν} Γ^σ_{μν} ∂_σ φ = 0, with g^{ti} taken from the numerical inverse
  let rest = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) rest += ginv[i + 1][j + 1] * hess[i][j];
  for (let s = 0; s < 4; s++) {
    let cs = 0;
    for (let m = 0; m < 4; m++) for (let n = 0; n < 4; n++) cs += ginv[m][n] * gamma(s, m, n);
    rest -= cs * dphi[s];
  }
  return -rest / ginv[0][0];
}

describe('waveMaps', () => {
  const configs: [string, { mass?: number; center?: number[] }][] = [
    ['paper defaults', {}],
    ['M = 0.3, c = (0.5, 3, -0.5)', { mass: 0.3, center: [0.5, 3, -0.5] }],
  ];

  it.each(configs)('rhs matches an independent finite-difference ☐_g φ (%s)', (_name, options) => {
    const problem = problems.waveMaps(options);
    const mass = options.mass ?? 0.5;
    const c = options.center ?? [-2, 0, 0];
    const pts = randomPoints(rng(99), 8, 3).map((p) => [0.9 * p[0] + 0.1, p[1], p[2]]); // keep x0 >= -0.8
    const out = run(problem.plan.rhs, pts, 0.1, jetsOf([PHI, PSI], pts));
    pts.forEach((p, k) => {
      expectClose(out[0][k], PSI.value(p), 1e-15, 0, 'phi_t = psi');
      expectClose(out[1][k], phiTTReference(p, mass, c), 1e-7, 1e-9, `psi_t at ${p}`);
    });
    // static metric: psi does not enter psi_t, and the rhs needs the gradient and all Hessian pairs
    expect(problem.plan.rhs.nodes.filter((n) => n.op === 'field' && n.field === 1)).toHaveLength(1);
    expect(problem.plan.jets.gradient).toBe(true);
    expect(problem.plan.jets.pairs).toHaveLength(6);
    expect(problem.plan.jets.laplacian).toBe(false);
  });

  it('closed-form inverse metric equals the numerical inverse', () => {
    const x = [coord(0), coord(1), coord(2)];
    const { g, ginv } = schwarzschildMetric(x, 0.5, [-2, 0, 0]);
    const prog = compileProgram([...g.flat(), ...ginv.flat()]);
    for (const p of randomPoints(rng(3), 5, 3)) {
      const vals = run(prog, [p]).map((v) => v[0]);
      const gNum = metricAt(p, 0.5, [-2, 0, 0]);
      const invNum = inverse(gNum);
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++) {
          expectClose(vals[4 * a + b], gNum[a][b], 1e-13, 1e-14, `g ${a}${b}`);
          expectClose(vals[16 + 4 * a + b], invNum[a][b], 1e-11, 1e-12, `ginv ${a}${b}`);
        }
      }
    }
  });

  it('refuses a horizon inside the box', () => {
    expect(() => problems.waveMaps({ center: [-1.5, 0, 0] })).toThrow(SpecError);
    expect(() => problems.waveMaps({ mass: 0.6 })).toThrow(/event horizon/);
    expect(problems.waveMaps().params).toMatchObject({ mass: 0.5, 'center[0]': -2 });
  });
});

describe('wavePacket', () => {
  it('is the section 4.1 two-packet u0 with u_t = 0', () => {
    const f = 2;
    const problem = problems.wavePacket({ f });
    const [s1, s2] = [0.2, 0.15];
    const u0 = ([x1, x2, x3]: number[]) => {
      const v2 = x1 ** 2 + (x2 - 0.5) ** 2 + (x3 - 0.5) ** 2;
      const w2 = (x1 + 1 / 6) ** 2 + (x2 + 1 / 6) ** 2 + (x3 + 1 / 6) ** 2;
      const xn = (x1 + x2) / Math.SQRT2;
      const xm = 0.5 * (x2 + (x1 * x1) / 3);
      return (
        (30 / (2 * Math.PI * s1 * s1)) * Math.exp(-v2 / (2 * s1 * s1)) * Math.cos(2 * Math.PI * f * xn) +
        (24 / (2 * Math.PI * s2 * s2)) * Math.exp(-w2 / (2 * s2 * s2)) * Math.cos(2 * Math.PI * f * xm)
      );
    };
    const pts = [[0, 0.5, 0.5], [-1 / 6, -1 / 6, -1 / 6], ...randomPoints(rng(4), 5, 3)];
    const init = run(program(problem.plan.initial), pts)[0];
    const ex = run(program(problem.plan.exact), pts, 0.7)[0];
    pts.forEach((p, k) => {
      expectClose(init[k], u0(p), 1e-12, 1e-13, `u0 at ${p}`);
      expect(ex[k]).toBe(init[k]);
    });
    expect(problem.plan.rhs.nodes).toEqual([{ op: 'const', value: 0 }]);
    expect(problem.params).toEqual({ f: 2, s1: 0.2, s2: 0.15 });
  });
});

describe('catalogue options', () => {
  const bad: [string, () => unknown, string][] = [
    ['heat dim 0', () => problems.heat({ dim: 0 }), 'dim'],
    ['heat diffusivity', () => problems.heat({ diffusivity: -1 }), 'diffusivity'],
    ['heat unknown option', () => problems.heat({ kappa: 1 } as never), 'kappa'],
    ['options not an object', () => problems.heat(null as never), 'options'],
    ['advection velocity length', () => problems.advection({ velocity: [1] }), 'velocity'],
    ['advection velocity entry', () => problems.advection({ velocity: [1, Number.NaN] }), 'velocity[1]'],
    ['advection width', () => problems.advection({ width: 0 }), 'width'],
    ['wave dim', () => problems.wave({ dim: 'x' as never }), 'dim'],
    ['vlasov sigma', () => problems.vlasov({ sigma: 0 }), 'sigma'],
    ['fokkerPlanck alpha', () => problems.fokkerPlanck({ alpha: Number.NaN }), 'alpha'],
    ['fokkerPlanck a', () => problems.fokkerPlanck({ dim: 2, a: [1, 2, 3] }), 'a'],
    ['fokkerPlanck D', () => problems.fokkerPlanck({ D: -0.1 }), 'D'],
    ['waveMaps mass', () => problems.waveMaps({ mass: -1 }), 'mass'],
    ['waveMaps center', () => problems.waveMaps({ center: [0, 0, 0] }), 'center'],
    ['wavePacket f', () => problems.wavePacket({ f: -1 }), 'f'],
    ['name', () => problems.wavePacket({ name: '' }), 'name'],
  ];
  it.each(bad)('%s', (_name, make, path) => {
    let err: unknown;
    try {
      make();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    expect((err as SpecError).path).toBe(path);
  });

  it('names and params echo the options', () => {
    expect(problems.heat({ dim: 3, name: 'h3' }).name).toBe('h3');
    expect(problems.heat({ dim: 3 }).name).toBe('heat-3d');
    expect(problems.vlasov().params).toEqual({ sigma: 0.3, charge: 1, mass: 1 });
    expect(problems.wave({ dim: 2 }).params).toEqual({ dim: 2 });
  });
});
