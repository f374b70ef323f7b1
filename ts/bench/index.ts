// npm run bench [-- --quick] [-- --json] [-- --json-out=FILE] [-- --cuda] [-- --figure6-seconds=S]
// [-- --figure6-samples=N]: the performance benchmark of docs/api.md §5. --json: the report on
// stdout instead of progress lines; --json-out: the report written to FILE, beside the progress
// lines; --cuda: the GPU sizes (BenchOptions.device); S, N: Figure 6's budget and points (given on
// a CPU, Figure 6 runs there too: the GPU run's dry run).
// `-- --suite[=name,…]` runs only the closed-form accuracy suite (or the named cases of it): a line
// per row (on stderr with --json, which prints `{ suite }` at the end).
// SIGINT/SIGTERM stop a run within a few seconds with what it measured so far (marked `interrupted`).
// The measurements live in ./run.ts (runBench, shared with `neural-ivp bench`); this is the script.
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SIGNAL_EXIT, type StopSignal } from '../cli/errors';
import { type BenchReport, runBench, suiteLine } from './run';
import { measureSuite } from './suite';

export type { BenchMachine, BenchOptions, BenchReport } from './run';
export { runBench };

/** True when this file is the script node was started with (not when it is imported). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

async function runSuiteOnly(spec: string, json: boolean): Promise<void> {
  const only = spec.includes('=') ? spec.slice(spec.indexOf('=') + 1).split(',') : undefined;
  const suite = await measureSuite({ only, onRow: (row) => (json ? console.error : console.log)(suiteLine(row)) });
  if (json) console.log(JSON.stringify({ suite }));
}

/** How long a stopped run waits for native work to reach a cancellation point before it exits anyway. */
const STOP_GRACE_MS = 4000;

function main(): void {
  const argv = process.argv.slice(2);
  const args = new Set(argv);
  const value = (flag: string) => argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  const json = args.has('--json');
  const jsonOut = value('--json-out');
  const suiteArg = argv.find((a) => a === '--suite' || a.startsWith('--suite='));
  if (suiteArg !== undefined) {
    runSuiteOnly(suiteArg, json).catch((error) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  const figure6 = value('--figure6-seconds');
  const figure6Samples = value('--figure6-samples');
  const controller = new AbortController();
  const partial: Partial<BenchReport> = {};
  const write = (report: object) => {
    if (jsonOut !== undefined) writeFileSync(jsonOut, `${JSON.stringify(report, null, 1)}\n`);
    if (json) console.log(JSON.stringify(report));
  };
  const stop = (signal: StopSignal) => {
    write({ ...partial, interrupted: signal });
    process.exit(SIGNAL_EXIT[signal]);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}, stopping (the figures measured so far follow)`);
      controller.abort(signal);
      setTimeout(() => stop(signal), STOP_GRACE_MS).unref();
    });
  }
  runBench({
    quick: args.has('--quick'),
    json,
    device: args.has('--cuda') ? 'cuda' : 'cpu',
    signal: controller.signal,
    partial,
    figure6Seconds: figure6 === undefined ? undefined : Number(figure6),
    figure6Samples: figure6Samples === undefined ? undefined : Number(figure6Samples),
  }).then(write, (error) => {
    if (controller.signal.aborted) {
      stop(controller.signal.reason as StopSignal);
      return;
    }
    console.error(error);
    write({ ...partial, error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}

if (isMain()) main();
