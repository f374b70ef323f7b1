/**
 * Where `neural-ivp run` writes: the `--out` folder is checked (and made) before any work, so a
 * bad path fails in a second naming `--out`; files there that an earlier run did not write are
 * not replaced (unless `--force`); and an incomplete run never replaces the files of a complete
 * earlier run in it (they go to a folder beside it unless `--force`).
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { REPORT_GENERATOR } from '../report/render';
import { fileProblem, holdsOtherThanASolution } from '../solver/save-format';
import { UsageError } from './errors';

const errorCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/**
 * Makes the folder `dir` (and its missing parents) and checks that files can be written in it.
 * Throws a `UsageError` for `--out` naming the path and the reason. One level at a time, not
 * `mkdir({ recursive: true })`: Node's recursive mkdir spins forever on paths such as `/proc/x`,
 * where mkdir answers ENOENT under an existing parent.
 */
export async function prepareOutputDir(dir: string, force = false): Promise<void> {
  const fail = (why: string): never => {
    throw new UsageError('--out', `cannot write to ${dir}: ${why}`);
  };
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      const s = await stat(existing);
      if (!s.isDirectory()) {
        fail(existing === dir ? 'it exists and is not a folder' : `${existing} is a file, not a folder`);
      }
      break;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = errorCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(fileProblem(e));
      missing.unshift(existing);
      const parent = path.dirname(existing);
      if (parent === existing) fail('no folder of it exists');
      existing = parent;
    }
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EEXIST') continue;
      fail(code === 'ENOENT' ? `${path.dirname(folder)} does not accept new folders` : fileProblem(e));
    }
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    fail(fileProblem(e));
  }
  const foreign = force ? [] : await filesNotFromARun(dir);
  if (foreign.length > 0) {
    throw new UsageError(
      '--out',
      `${dir} holds ${foreign.join(', ')}, which no neural-ivp run wrote: a run would replace ${foreign.length === 1 ? 'it' : 'them'}; choose another --out, or --force to replace ${foreign.length === 1 ? 'it' : 'them'}`,
    );
  }
}

/** The files a run writes. */
export const RUN_FILES = { solution: 'solution.json', metrics: 'metrics.json', report: 'report.html' } as const;

/**
 * What `dir/metrics.json` records: nothing there, a run (complete or stopped early: an object with
 * a run's status and its problem), or something no run wrote.
 */
async function recordedRun(dir: string): Promise<'none' | 'complete' | 'incomplete' | 'other'> {
  let text: string;
  try {
    text = await readFile(path.join(dir, RUN_FILES.metrics), 'utf8');
  } catch (e) {
    return errorCode(e) === 'ENOENT' ? 'none' : 'other';
  }
  try {
    const metrics = JSON.parse(text) as { status?: unknown; problem?: unknown };
    if ((metrics.status === 'complete' || metrics.status === 'incomplete') && typeof metrics.problem === 'object') {
      return metrics.status;
    }
  } catch {}
  return 'other';
}

/** A run's report.html: the report's own generator mark near its top. */
async function isRunReport(file: string): Promise<boolean> {
  try {
    return (await readFile(file, 'utf8')).slice(0, 4096).includes(REPORT_GENERATOR);
  } catch {
    return false;
  }
}

/** Those of `dir`'s run files that exist and are not a run's. */
async function filesNotFromARun(dir: string): Promise<string[]> {
  const foreign: string[] = [];
  const solution = path.join(dir, RUN_FILES.solution);
  if (await holdsOtherThanASolution(solution)) foreign.push(RUN_FILES.solution);
  const metrics = await recordedRun(dir);
  if (metrics === 'other') foreign.push(RUN_FILES.metrics);
  // Beside a run's metrics, a report is that run's (reports written before the mark have none).
  const report = path.join(dir, RUN_FILES.report);
  const besideARun = metrics === 'complete' || metrics === 'incomplete';
  const reportThere = await stat(report).then(
    () => true,
    () => false,
  );
  if (!besideARun && reportThere && !(await isRunReport(report))) foreign.push(RUN_FILES.report);
  return foreign;
}

/**
 * The folder an incomplete run writes to: `dir` itself, unless it holds a complete earlier run
 * and `force` is off — then the first free `dir-incomplete`, `dir-incomplete-2`, … beside it.
 */
export async function folderForIncompleteRun(dir: string, force: boolean): Promise<string> {
  if (force || (await recordedRun(dir)) !== 'complete') return dir;
  for (let i = 1; ; i++) {
    const candidate = `${dir}-incomplete${i === 1 ? '' : `-${i}`}`;
    try {
      await stat(candidate);
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') throw e;
      await prepareOutputDir(candidate);
      return candidate;
    }
  }
}
