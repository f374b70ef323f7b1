/**
 * Where `neural-ivp run` writes: the `--out` folder is checked (and made) before any work, so a
 * bad path fails in a second naming `--out`; and an incomplete run never replaces the files of a
 * complete earlier run in it (they go to a folder beside it unless `--force`).
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileProblem } from '../solver/save-format';
import { UsageError } from './errors';

const errorCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/**
 * Makes the folder `dir` (and its missing parents) and checks that files can be written in it.
 * Throws a `UsageError` for `--out` naming the path and the reason. One level at a time, not
 * `mkdir({ recursive: true })`: Node's recursive mkdir spins forever on paths such as `/proc/x`,
 * where mkdir answers ENOENT under an existing parent.
 */
export async function prepareOutputDir(dir: string): Promise<void> {
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
}

/** True when `dir/metrics.json` records a complete run. */
async function holdsCompleteRun(dir: string): Promise<boolean> {
  try {
    const metrics = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8')) as { status?: unknown };
    return metrics.status === 'complete';
  } catch {
    return false;
  }
}

/**
 * The folder an incomplete run writes to: `dir` itself, unless it holds a complete earlier run
 * and `force` is off — then the first free `dir-incomplete`, `dir-incomplete-2`, … beside it.
 */
export async function folderForIncompleteRun(dir: string, force: boolean): Promise<string> {
  if (force || !(await holdsCompleteRun(dir))) return dir;
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
