// npm run bench [-- --quick] [-- --json] [-- --cuda]: the performance benchmark of docs/api.md §5
// (--cuda: the GPU sizes, see BenchOptions.device). `-- --suite[=name,…]` runs only the closed-form
// accuracy suite (or the named cases of it): a line per row (on stderr with --json, which prints
// `{ suite }` at the end).
// The measurements live in ./run.ts (runBench, shared with `neural-ivp bench`); this is the script.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runBench, suiteLine } from './run';
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

if (isMain()) {
  const args = new Set(process.argv.slice(2));
  const json = args.has('--json');
  const suiteArg = process.argv.slice(2).find((a) => a === '--suite' || a.startsWith('--suite='));
  const device = args.has('--cuda') ? 'cuda' : 'cpu';
  const run =
    suiteArg !== undefined
      ? runSuiteOnly(suiteArg, json)
      : runBench({ quick: args.has('--quick'), json, device }).then((report) => {
          if (json) console.log(JSON.stringify(report));
        });
  run.catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
