/**
 * Progress on stderr while `neural-ivp run` works: a cli-progress bar for the fit and one for the
 * time evolution when the stream is a terminal, and a line per phase otherwise.
 */
import cliProgress from 'cli-progress';
import { type FitReport, fitWarning } from '../solver/fit-report';
import type { EvolveProgress } from '../solver/neural-ivp';
import type { ResolvedFit } from '../solver/options';
import type { FitProgress } from '../solver/session';

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
  if (fit.maxSeconds !== null) parts.push(`${fit.maxSeconds} s`);
  if (fit.tol !== null) parts.unshift(`to ${fit.tol.toExponential(0)}`);
  return parts.join(', ');
}

export function barProgress(stream: NodeJS.WritableStream, writeLine: (line: string) => void): RunProgress {
  const tty = (stream as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  const start = (format: string, total: number, payload: Record<string, unknown>): void => {
    stop();
    if (!tty) return;
    bar = new cliProgress.SingleBar(
      { format, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, payload);
  };
  let T = 1;
  const show = (x: number | undefined): string =>
    x === undefined ? '-' : Number.isFinite(x) ? x.toExponential(2) : String(x);
  return {
    fitStart(fit) {
      writeLine(`fitting the initial condition (${describeFit(fit)})…`);
      const cap = Math.min(fit.maxIterations, fit.steps ?? Number.POSITIVE_INFINITY);
      start('fit    |{bar}| {value}/{total} iterations  loss {loss}  error {error}', Math.max(1, cap), {
        loss: '-',
        error: '-',
      });
    },
    fitUpdate(p) {
      bar?.update(p.step, p.loss === undefined ? { error: show(p.error) } : { loss: show(p.loss) });
    },
    fitDone(report) {
      if (bar !== undefined) bar.update(bar.getTotal());
      stop();
      writeLine(
        `fit: relative error ${report.relativeError.toExponential(2)} in ${report.seconds.toFixed(1)} s, ` +
          `${report.iterations} iterations (${report.method}; stopped: ${report.stopped}, ${report.message})`,
      );
      const warning = fitWarning(report);
      if (warning !== undefined) writeLine(`warning: ${warning}`);
    },
    evolveStart(t) {
      T = t;
      writeLine(`evolving to T = ${t}…`);
      start('evolve |{bar}| t = {t} / {T}  step {step}  h {h}  CG {cg}  restarts {restarts}', EVOLVE_TICKS, {
        t: '0',
        T: t,
        step: 0,
        h: '-',
        cg: 0,
        restarts: 0,
      });
    },
    evolveUpdate(p) {
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
