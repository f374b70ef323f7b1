/**
 * Progress on stderr while `neural-ivp run` works: a cli-progress bar for the fit and one for the
 * time evolution when the stream is a terminal, and a line per phase otherwise.
 */
import cliProgress from 'cli-progress';
import type { EvolveProgress } from '../solver/neural-ivp';

export interface RunProgress {
  fitStart(steps: number): void;
  fitUpdate(step: number, loss: number): void;
  fitDone(relativeError: number, seconds: number): void;
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
  return {
    fitStart(steps) {
      writeLine(`fitting the initial condition (${steps} Adam steps)…`);
      start('fit    |{bar}| {value}/{total} steps  loss {loss}  eta {eta_formatted}', Math.max(1, steps), {
        loss: '-',
      });
    },
    fitUpdate(step, loss) {
      bar?.update(step, { loss: Number.isFinite(loss) ? loss.toExponential(2) : String(loss) });
    },
    fitDone(relativeError, seconds) {
      if (bar !== undefined) bar.update(bar.getTotal());
      stop();
      writeLine(`fit: relative error ${relativeError.toExponential(2)} in ${seconds.toFixed(1)} s`);
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
