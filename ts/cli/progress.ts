/**
 * Progress on stderr while `neural-ivp run` works: a cli-progress bar for the fit and one for the
 * time evolution when the stream is a terminal, and a line per phase otherwise.
 */
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { type FitReport, fitWarning } from '../solver/fit-report';
import type { EvolveProgress } from '../solver/neural-ivp';
import type { ResolvedFit } from '../solver/options';
import type { FitProgress } from '../solver/session';
import { duration, EvolvePace } from './pace';

export interface RunProgress {
  fitStart(fit: ResolvedFit): void;
  fitUpdate(progress: FitProgress): void;
  fitDone(report: FitReport): void;
  evolveStart(T: number): void;
  evolveUpdate(p: EvolveProgress): void;
  evolveDone(): void;
  /** A plain status line (between bars). */
  note(line: string): void;
  /** Stops any bar (on errors too). */
  stop(): void;
}

/** Nothing at all (`--quiet`). */
export const silentProgress: RunProgress = {
  fitStart() {},
  fitUpdate() {},
  fitDone() {},
  evolveStart() {},
  evolveUpdate() {},
  evolveDone() {},
  note() {},
  stop() {},
};

const EVOLVE_TICKS = 1000;

/** "Gauss–Newton to 1e-6, at most 200 iterations and 60 s" and the like. */
export function describeFit(fit: ResolvedFit): string {
  const cap = Math.min(fit.maxIterations, fit.steps ?? Number.POSITIVE_INFINITY);
  const parts = [fit.method === 'adam' ? `Adam, at most ${cap} steps` : `Gauss–Newton, at most ${cap} iterations`];
  if (fit.method !== 'adam' && fit.warmupSteps > 0) parts[0] += ` after ${fit.warmupSteps} Adam steps`;
  if (fit.maxSeconds !== null) parts.push(`${fit.maxSeconds} s`);
  if (fit.tol !== null) parts.unshift(`to ${fit.tol.toExponential(0)}`);
  return parts.join(', ');
}

/**
 * The most iterations a fit reports: the cap, after the Adam warm-up steps of a Gauss–Newton fit
 * (its progress and its report count those first).
 */
export function fitIterationCap(fit: ResolvedFit): number {
  const cap = Math.min(fit.maxIterations, fit.steps ?? Number.POSITIVE_INFINITY);
  return fit.method === 'adam' ? cap : cap + fit.warmupSteps;
}

/** How often a stream that is not a terminal gets a progress line, at the least. */
export const PLAIN_PROGRESS_SECONDS = 30;

export interface BarProgressOptions {
  /** Seconds between plain progress lines when the stream is not a terminal (default 30). */
  plainEverySeconds?: number;
}

/**
 * Bars on a terminal. Anything else (a CI log, a file) gets a line per phase and, so that a long
 * run never looks hung, a plain progress line at least every `plainEverySeconds`: the fit's
 * iteration and error, or the evolve's t, steps and the last step's error estimate.
 */
export function barProgress(
  stream: NodeJS.WritableStream,
  writeLine: (line: string) => void,
  options: BarProgressOptions = {},
): RunProgress {
  const tty = (stream as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  const everyMs = 1000 * (options.plainEverySeconds ?? PLAIN_PROGRESS_SECONDS);
  let bar: cliProgress.SingleBar | undefined;
  // The plain line of the running phase, and the timer that prints it.
  let status: (() => string) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let phaseStarted = 0;
  const elapsed = (): string => `${((performance.now() - phaseStarted) / 1000).toFixed(0)} s`;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    status = undefined;
  };
  const start = (format: string, total: number, payload: Record<string, unknown>, line: () => string): void => {
    stop();
    phaseStarted = performance.now();
    if (!tty) {
      status = line;
      timer = setInterval(() => {
        if (status !== undefined) writeLine(status());
      }, everyMs);
      timer.unref();
      return;
    }
    bar = new cliProgress.SingleBar(
      { format, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, payload);
  };
  let T = 1;
  const show = (x: number | undefined): string =>
    x === undefined ? '-' : Number.isFinite(x) ? x.toExponential(2) : String(x);
  let fitState = { step: 0, cap: 0, loss: '-', error: '-', budget: '' };
  let evolveState: EvolveProgress | undefined;
  let pace = new EvolvePace(1);
  return {
    fitStart(fit) {
      writeLine(`fitting the initial condition (${describeFit(fit)})…`);
      const cap = fitIterationCap(fit);
      const budget = fit.maxSeconds === null ? '' : ` of ${fit.maxSeconds} s`;
      const target = fit.tol === null ? '' : ` (to ${fit.tol.toExponential(0)})`;
      fitState = { step: 0, cap, loss: '-', error: '-', budget };
      // The bar shows every stopping rule: iterations against the cap, seconds against the budget,
      // the error against the tolerance. The fit may stop before the cap (tolerance, time, a
      // stall): the bar then ends at the iteration it stopped at, saying why.
      start(
        `fit    |{bar}| {value}/{total} iterations {rule}  {seconds}${budget}  loss {loss}  error {error}${target}`,
        Math.max(1, cap),
        { rule: '(at most)', loss: '-', error: '-', seconds: '0 s' },
        () =>
          `fit: iteration ${fitState.step} of at most ${fitState.cap}, ${elapsed()}${fitState.budget}, loss ${fitState.loss}, error ${fitState.error}`,
      );
    },
    fitUpdate(p) {
      fitState.step = p.step;
      if (p.loss !== undefined) fitState.loss = show(p.loss);
      if (p.error !== undefined) fitState.error = show(p.error);
      bar?.update(p.step, {
        ...(p.loss === undefined ? { error: show(p.error) } : { loss: show(p.loss) }),
        seconds: elapsed(),
      });
    },
    fitDone(report) {
      if (bar !== undefined) {
        // End where the fit stopped and why: 9/9 when it met its tolerance at iteration 9, not
        // 200/200; the error is the fit's final one (after head tuning).
        bar.setTotal(Math.max(1, report.iterations));
        bar.update(report.iterations, {
          rule: `(stopped: ${report.stopped})`,
          error: show(report.relativeError),
          seconds: elapsed(),
        });
      }
      stop();
      writeLine(
        `fit: relative error ${report.relativeError.toExponential(2)} in ${report.seconds.toFixed(1)} s, ` +
          `${report.iterations} iterations (${report.method}; stopped: ${report.stopped}, ${report.message})`,
      );
      const rate = report.rateFeatures;
      if (rate !== null) {
        writeLine(
          `fit: ${rate.fields.join(', ')} ${rate.fields.length === 1 ? 'starts' : 'start'} at zero: ` +
            `features fitted to the initial rate f(u0) (relative error ${rate.relativeError.toExponential(2)}, ` +
            `${rate.seconds.toFixed(1)} s of the fit), last layer zero`,
        );
      }
      const warning = fitWarning(report);
      if (warning !== undefined) writeLine(`warning: ${warning}`);
    },
    evolveStart(t) {
      T = t;
      evolveState = undefined;
      pace = new EvolvePace(t);
      writeLine(`evolving to T = ${t}…`);
      start(
        'evolve |{bar}| t = {t} / {T}  step {step}  h {h}  CG {cg}  restarts {restarts}',
        EVOLVE_TICKS,
        { t: '0', T: t, step: 0, h: '-', cg: 0, restarts: 0 },
        () => {
          const p = evolveState;
          if (p === undefined) return `evolve: t = 0 of T = ${T}, no step accepted yet, ${elapsed()}`;
          const projection = pace.projection();
          return (
            `evolve: t = ${p.t.toPrecision(4)} of T = ${T} (${((100 * p.t) / T).toFixed(1)} %), ${p.step} steps ` +
            `(${p.rejectedSteps} rejected), error estimate ${show(p.errorNorm)} of tolerance, h ${p.h.toExponential(1)}, ` +
            `${p.restarts} restarts, ${elapsed()}` +
            (projection === null ? '' : `, about ${duration(projection.seconds)} to T at this pace`)
          );
        },
      );
    },
    evolveUpdate(p) {
      evolveState = p;
      pace.observe(p);
      bar?.update(Math.min(EVOLVE_TICKS, Math.round((EVOLVE_TICKS * p.t) / T)), {
        t: p.t.toPrecision(4),
        step: p.step,
        h: p.h.toExponential(1),
        cg: p.cgIterations,
        restarts: p.restarts,
      });
    },
    evolveDone() {
      bar?.update(EVOLVE_TICKS);
      stop();
    },
    note(line) {
      stop();
      writeLine(line);
    },
    stop,
  };
}
