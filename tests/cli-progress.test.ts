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
    advice: [],
    rateFeatures: null,
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
    expect(lines.some((l) => l.includes('starts at zero'))).toBe(false);
    progress.fitDone({ ...report(9), rateFeatures: { fields: ['v'], relativeError: 3.2e-3, seconds: 4.25 } });
    expect(lines.at(-1)).toBe(
      'fit: v starts at zero: features fitted to the initial rate f(u0) (relative error 3.20e-3, 4.3 s of the fit), last layer zero',
    );

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
      heldOutResidual: 0.02,
      errorNorm: 0.42,
      stiffness: 0.5,
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

/** A writable that says it is a terminal (cli-progress draws its bar there), keeping what was drawn. */
function fakeTerminal(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _e, done) {
        text += String(chunk);
        done();
      },
    }),
    { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
  );
  return { stream, text: () => text };
}

describe('the fit bar on a terminal', () => {
  it('shows every stopping rule, and ends at the iteration the fit stopped at, saying why', async () => {
    const screen = fakeTerminal();
    const tty = screen.stream;
    const progress = barProgress(tty, () => {});
    progress.fitStart({ ...fit, maxIterations: 200, steps: null, tol: 1e-6, maxSeconds: 60 } as ResolvedFit);
    progress.fitUpdate({ step: 3, error: 2e-4 });
    await sleep(250); // the bar redraws on its own timer
    expect(screen.text()).toMatch(
      /3\/200 iterations \(at most\) {2}\d+ s of 60 s {2}loss - {2}error 2\.00e-4 \(to 1e-6\)/,
    );
    progress.fitUpdate({ step: 9, error: 3e-6 });
    progress.fitDone(report(9));
    // The last frame: the iteration it stopped at, why, and the final error (1e-7, after head tuning).
    expect(screen.text()).toMatch(
      /9\/9 iterations \(stopped: tol\) {2}\d+ s of 60 s {2}loss - {2}error 1\.00e-7 \(to 1e-6\)/,
    );
    expect(screen.text()).not.toMatch(/200\/200/);
  });

  it('counts the Adam warm-up steps of a Gauss–Newton fit in its cap, as the fit reports them', async () => {
    const screen = fakeTerminal();
    const tty = screen.stream;
    const lines: string[] = [];
    const progress = barProgress(tty, (l) => lines.push(l));
    progress.fitStart({ ...fit, maxIterations: 20, steps: null, warmupSteps: 50 } as ResolvedFit);
    expect(lines[0]).toMatch(/Gauss–Newton, at most 20 iterations after 50 Adam steps/);
    progress.fitUpdate({ step: 60, error: 1e-3 });
    await sleep(250);
    expect(screen.text()).toMatch(/60\/70 iterations \(at most\)/);
    progress.stop();
  });
});
