// npm run bench [-- --quick] [-- --json] [-- --cuda]: the performance benchmark of docs/api.md §5
// (--cuda: the GPU sizes, see BenchOptions.device).
// The measurements live in ./run.ts (runBench, shared with `neural-ivp bench`); this is the script.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runBench } from './run';

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

if (isMain()) {
  const args = new Set(process.argv.slice(2));
  const json = args.has('--json');
  const device = args.has('--cuda') ? 'cuda' : 'cpu';
  runBench({ quick: args.has('--quick'), json, device })
    .then((report) => {
      if (json) console.log(JSON.stringify(report));
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
