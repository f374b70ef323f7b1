// One contract for every call (docs/api.md): unknown keys are SpecErrors as in the constructor,
// wrong kinds of value TypeErrors, aborts name the aborted call, and evaluating outside the box the
// network was fitted on warns. Against the JavaScript stand-in session (no native code).
import { afterEach, describe, expect, it } from 'vitest';
import { SpecError } from '../ts/errors';
import { problems } from '../ts/problems/index';
import { NeuralIVP } from '../ts/solver/neural-ivp';
import { fakeFactory } from './solver-fake-session';

const heat = problems.heat({ dim: 2 }); // the domain [-1, 1]², Dirichlet: no margin

function setup(fake = {}) {
  const { make, sessions } = fakeFactory(fake);
  const ivp = new NeuralIVP({ problem: heat, device: 'cpu', restarts: false }, { createSession: make });
  return { ivp, sessions };
}

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe('fit() and evolve() options', () => {
  it('fit() refuses unknown keys with a SpecError naming the key, before any work', async () => {
    const { ivp, sessions } = setup();
    const e = await rejection(ivp.fit({ bogus: 1 } as never));
    expect(e).toBeInstanceOf(SpecError);
    expect((e as Error).message).toBe("fit(): unknown key 'bogus' (allowed: signal, onProgress)");
    expect(sessions).toHaveLength(0);
  });

  it('evolve() refuses unknown keys too', async () => {
    const { ivp } = setup();
    const e = await rejection(ivp.evolve(1, { saveat: [0, 1] } as never));
    expect(e).toBeInstanceOf(SpecError);
    expect((e as Error).message).toMatch(/^evolve\(\): unknown key 'saveat' \(allowed: saveAt, /);
  });

  it('a wrong kind of value is a TypeError', async () => {
    const { ivp, sessions } = setup();
    const cases: [string, () => Promise<unknown>][] = [
      ['evolve("1")', () => ivp.evolve('1' as never)],
      ['evolve(1, "x")', () => ivp.evolve(1, 'x' as never)],
      ['saveAt entry', () => ivp.evolve(1, { saveAt: [0, '1' as never] })],
      ['maxSeconds', () => ivp.evolve(1, { maxSeconds: '5' as never })],
      ['fit onProgress', () => ivp.fit({ onProgress: 3 as never })],
      ['fit signal', () => ivp.fit({ signal: {} as never })],
      ['fit(null)', () => ivp.fit(null as never)],
    ];
    for (const [name, call] of cases) {
      const e = await rejection(call());
      expect(e, name).toBeInstanceOf(TypeError);
    }
    expect(sessions).toHaveLength(0);
    // a value of the right kind out of range stays a RangeError
    expect(await rejection(ivp.evolve(-1))).toBeInstanceOf(RangeError);
  });
});

describe('aborts name what was aborted', () => {
  it('an aborted fit says "fit aborted"; an aborted evolve "evolve aborted"', async () => {
    const { ivp } = setup({ delayMs: 20 });
    const fit = await rejection(ivp.fit({ signal: AbortSignal.abort() }));
    expect(fit).toMatchObject({ name: 'AbortError', message: 'fit aborted' });
    const controller = new AbortController();
    const running = rejection(ivp.evolve(1, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 30);
    expect(await running).toMatchObject({ name: 'AbortError', message: 'evolve aborted' });
  });
});

describe('Solution.evaluate outside the fitted box', () => {
  const warnings: Error[] = [];
  // Only this warning: the fake session's fit (1e-3) also warns that it missed its tolerance.
  const listen = (w: Error): void => {
    if ((w as Error & { code?: string }).code === 'NIVP_OUTSIDE_DOMAIN') warnings.push(w);
  };
  afterEach(() => {
    process.off('warning', listen);
    warnings.length = 0;
  });

  it('warns once (NIVP_OUTSIDE_DOMAIN) and still returns the values; inside: no warning', async () => {
    process.on('warning', listen);
    const { ivp } = setup();
    const sol = await ivp.evolve(0.05);
    sol.evaluate(
      [
        [0.5, -0.5],
        [1, -1],
      ],
      0.05,
    );
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(warnings).toHaveLength(0);
    const values = sol.evaluate([[5, 5]], 0.05);
    expect(values).toHaveLength(1);
    sol.evaluate([[-3, 0.5]], 0.05);
    await new Promise((r) => setImmediate(r));
    expect(warnings).toHaveLength(1);
    expect((warnings[0] as Error & { code?: string }).code).toBe('NIVP_OUTSIDE_DOMAIN');
    expect(warnings[0].message).toMatch(
      /point \[5, 5\] lies outside the box the network was fitted on \(lower \[-1, -1\], upper \[1, 1\]\)/,
    );
  });
});
