// The CLI's progress: without a terminal, a plain line at least every so often (so a long run in a
// CI log does not look hung); on a terminal, a fit bar that ends where the fit stopped.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { barProgress } from '../ts/cli/progress';
import type { FitReport } from '../ts/solver/fit-report';
import { DEFAULT_OPTIONS, type ResolvedFit } from '../ts/solver/options';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function report(iterations: number): FitReport {
  return {
    relativeError: 1e-7,
    seconds: 0.1,
    iterations,
    method: 'gauss-newton',
    stopped: 'tol',
    tol: 1e-6,
    message: 'reached the tolerance',
    rejectedSteps: 0,
    cgIterations: 10,
    samples: 1000,
    headTuned: false,
  } as FitReport;
}

const fit = DEFAULT_OPTIONS.fit as ResolvedFit;

describe('progress without a terminal', () => {
  it('prints plain fit and evolve lines on its own clock, and none once a phase is done', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const progress = barProgress(sink, (l) => lines.push(l), { plainEverySeconds: 0.04 });
    progress.fitStart(fit);
    progress.fitUpdate({ step: 3, error: 2.5e-3 });
    await sleep(100);
    expect(lines.some((l) => /^fit: iteration 3 of at most 200, \d+ s of 60 s, loss -, error 2\.50e-3$/.test(l))).toBe(
      true,
    );
    progress.fitDone(report(9));

    progress.evolveStart(2);
    await sleep(60);
    expect(lines.at(-1)).toMatch(/^evolve: t = 0 of T = 2, no step accepted yet/);
    progress.evolveUpdate({
      t: 0.5,
      T: 2,
      step: 12,
      h: 0.01,
      cgIterations: 30,
      restarts: 1,
      rejectedSteps: 2,
      residual: 0.01,
      errorNorm: 0.42,
      restarted: false,
      seconds: 3,
      cost: {} as never,
    });
    await sleep(100);
    expect(lines.at(-1)).toMatch(
      /^evolve: t = 0\.5000 of T = 2 \(25\.0 %\), 12 steps \(2 rejected\), error estimate 4\.20e-1 of tolerance, h 1\.0e-2, 1 restarts, \d+ s$/,
    );
    progress.evolveDone();
    const count = lines.length;
    await sleep(100);
    expect(lines.length).toBe(count); // the timer stopped with the phase
  });
});

describe('the fit bar on a terminal', () => {
  it('ends at the iteration the fit stopped at, not at the cap', () => {
    let text = '';
    const tty = Object.assign(
      new Writable({
        write(chunk, _e, done) {
          text += String(chunk);
          done();
        },
      }),
      { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    const progress = barProgress(tty, () => {});
    progress.fitStart({ ...fit, maxIterations: 200, steps: null } as ResolvedFit);
    progress.fitUpdate({ step: 9, error: 1e-7 });
    progress.fitDone(report(9));
    expect(text).toMatch(/9\/9 iterations/);
    expect(text).not.toMatch(/200\/200/);
  });
});
