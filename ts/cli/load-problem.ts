/**
 * The `<problem>` argument of `neural-ivp run`: a name from `problems`, or the path of a JS/TS
 * module whose default export is a Problem (from `defineProblem`) or a function of an options
 * object returning one (`--dim` and `--param` become that object).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpecError } from '../errors';
import { isProblem, type Problem } from '../problem/define';
import { problems } from '../problems/index';
import type { ParamValue } from './args';
import { UsageError } from './errors';

type CatalogueName = keyof typeof problems;

/** The catalogue problems whose options take `dim`. */
const TAKES_DIM: ReadonlySet<CatalogueName> = new Set<CatalogueName>(['heat', 'advection', 'wave', 'fokkerPlanck']);

export const PROBLEM_NAMES = Object.keys(problems) as CatalogueName[];

/** 'fokker-planck', 'FokkerPlanck' and 'fokker_planck' all name fokkerPlanck. */
function catalogueName(arg: string): CatalogueName | undefined {
  const key = arg.toLowerCase().replace(/[-_]/g, '');
  return PROBLEM_NAMES.find((name) => name.toLowerCase() === key);
}

export interface LoadedProblem {
  problem: Problem;
  /** The catalogue name, or the module's absolute path. */
  source: string;
  kind: 'catalogue' | 'file';
}

export interface ProblemArgs {
  dim?: number;
  params?: Record<string, ParamValue>;
  cwd: string;
}

const MODULE_EXTENSIONS = /\.(c|m)?(j|t)sx?$/;

export async function loadProblem(arg: string, args: ProblemArgs): Promise<LoadedProblem> {
  if (args.dim !== undefined && args.params !== undefined && Object.hasOwn(args.params, 'dim')) {
    throw new UsageError('--param', `dim is set twice, by --dim ${args.dim} and --param dim=…: give one`);
  }
  const name = catalogueName(arg);
  if (name !== undefined && !MODULE_EXTENSIONS.test(arg)) {
    const options: Record<string, unknown> = { ...(args.params ?? {}) };
    if (args.dim !== undefined && TAKES_DIM.has(name)) options.dim = args.dim;
    const make = problems[name] as (options: Record<string, unknown>) => Problem;
    const problem = make(options);
    checkDim(problem, args.dim, `problem '${name}'`);
    return { problem, source: name, kind: 'catalogue' };
  }

  const file = path.resolve(args.cwd, arg);
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    throw new UsageError(
      '<problem>',
      `'${arg}' is neither a problem name (${PROBLEM_NAMES.join(', ')}) nor an existing file`,
    );
  }
  let exported: unknown;
  try {
    exported = defaultExport(await importModule(file));
  } catch (e) {
    throw moduleError(e, file, arg, 'loading', args.params);
  }
  let value: unknown = exported;
  if (typeof exported === 'function') {
    const options: Record<string, unknown> = { ...(args.params ?? {}) };
    if (args.dim !== undefined) options.dim = args.dim;
    try {
      value = await (exported as (options: Record<string, unknown>) => unknown)(options);
    } catch (e) {
      throw moduleError(e, file, arg, 'calling', args.params);
    }
  } else if (args.params !== undefined && Object.keys(args.params).length > 0) {
    throw new UsageError('--param', `${arg} exports a Problem, not a function of options, so it takes no --param`);
  }
  if (!isProblem(value)) {
    const looksLikeOne =
      typeof value === 'object' && value !== null && 'plan' in value && 'fields' in value && 'dim' in value;
    throw new UsageError(
      '<problem>',
      looksLikeOne
        ? `${arg}: its problem was made by another copy of neural-ivp (import defineProblem from the same installation as this command, with ESM import)`
        : `${arg}: the default export must be a Problem (from defineProblem) or a function returning one; got ${describeValue(value)}`,
    );
  }
  checkDim(value, args.dim, arg);
  checkParamsDeclared(value, args.params, arg);
  return { problem: value, source: file, kind: 'file' };
}

/**
 * Every `--param` key a module's function took must be one of its problem's `params` (as the
 * catalogue refuses keys it does not know): a misspelt key would otherwise run the defaults
 * silently, and a run's `params` record what it solved.
 */
function checkParamsDeclared(problem: Problem, params: ProblemArgs['params'], arg: string): void {
  const declared = Object.keys(problem.params);
  const unknown = Object.keys(params ?? {}).filter((key) => key !== 'dim' && !declared.includes(key));
  if (unknown.length === 0) return;
  const list = declared.length === 0 ? 'none' : declared.join(', ');
  throw new UsageError(
    '--param',
    `${unknown.join(', ')}: not among the params of ${arg}'s problem (${list}); a module takes the --param keys its problem declares in defineProblem's params`,
  );
}

/**
 * The `--param` key a `SpecError` path names, if any: `k` in a module's `params.k` (the problem's
 * declared parameters), else the path's first part (a catalogue problem's own option).
 */
export function paramKeyOfPath(specPath: string): string {
  const parts = specPath.split(/[.[]/);
  return parts[0] === 'params' && parts.length > 1 ? parts[1] : parts[0];
}

function checkDim(problem: Problem, dim: number | undefined, what: string): void {
  if (dim !== undefined && problem.dim !== dim) {
    throw new UsageError('--dim', `${what} is ${problem.dim}-dimensional; it does not take --dim ${dim}`);
  }
}

function defaultExport(mod: unknown): unknown {
  if (typeof mod === 'object' && mod !== null && 'default' in mod) {
    const d = (mod as { default: unknown }).default;
    // A CommonJS module compiled from ESM: { default: { default: problem, __esModule } }.
    if (typeof d === 'object' && d !== null && '__esModule' in d && 'default' in d) {
      return (d as { default: unknown }).default;
    }
    return d;
  }
  return undefined;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (no default export)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a value of type ${typeof v}`;
}

/**
 * Imports the module at `file`. TypeScript files (.ts, .mts, .cts, .tsx) go through tsx's
 * `tsImport` (when tsx is installed), which loads them as modules from any folder, inside a
 * `"type": "module"` package or not, without a global loader. Problems made by the module's own
 * copy of neural-ivp are recognised (define.ts keeps one registry per process).
 */
async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  if (!/\.(c|m)?tsx?$/.test(file)) return import(url);
  const specifier = 'tsx/esm/api';
  let api: { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  try {
    api = (await import(specifier)) as typeof api;
  } catch {
    throw new UsageError(
      '<problem>',
      `${path.basename(file)} is TypeScript: install tsx (npm install --save-dev tsx) or compile it to JavaScript`,
    );
  }
  return api.tsImport(url, import.meta.url);
}

/**
 * A JavaScript module's syntax error with its line, from `node --check` (Node's import does not
 * say where; its first line of output is `file:line`, then the `SyntaxError: …` line). Undefined
 * when the file parses.
 *
 * A `.js` file outside a `"type": "module"` package is checked as CommonJS, and `node --check`
 * passes one that uses `import`/`export` whatever its syntax errors (Node tells the two apart
 * only when it runs the file); when the import failed with `importMessage`, the file is checked
 * again as a module, from stdin, and its error counts only if it is the one the import gave (a
 * file that does parse as a module, or fails there for another reason, is not misplaced).
 */
export function syntaxError(
  file: string,
  importMessage: string | undefined,
): { line: number; message: string } | undefined {
  const check = (args: string[], at: string, input?: string) => {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 10_000, input });
    const stderr = r.stderr ?? '';
    const line = new RegExp(`^${escapeRegExp(at)}:(\\d+)`, 'm').exec(stderr);
    const what = /^SyntaxError: (.*)$/m.exec(stderr);
    return r.status === 0 || line === null || what === null ? undefined : { line: Number(line[1]), message: what[1] };
  };
  const asIs = check(['--check', file], file);
  if (asIs !== undefined || importMessage === undefined || !file.endsWith('.js')) return asIs;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const asModule = check(['--check', '--input-type=module'], '[stdin]', source);
  return asModule?.message === importMessage ? asModule : undefined;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A module that does not load or whose function throws, as a `UsageError` for `<problem>`
 * naming the file (and the line of a syntax error).
 */
function moduleError(
  e: unknown,
  file: string,
  arg: string,
  stage: 'loading' | 'calling',
  params: ProblemArgs['params'],
): unknown {
  if (e instanceof UsageError) return e;
  const error = e as Error;
  const message = error?.message ?? String(e);
  if (stage === 'loading' && !/\.(c|m)?tsx?$/.test(file)) {
    const syntax = syntaxError(file, error?.name === 'SyntaxError' ? message : undefined);
    if (syntax !== undefined)
      return new UsageError('<problem>', `${arg}:${syntax.line}: syntax error: ${syntax.message}`);
  }
  // tsx (esbuild) reports TypeScript syntax errors as "Transform failed … file:line:col: ERROR: …".
  const transform = /(\S+):(\d+):(\d+): ERROR: (.*)/.exec(message);
  if (transform !== null && stage === 'loading') {
    return new UsageError('<problem>', `${arg}:${transform[2]}:${transform[3]}: syntax error: ${transform[4]}`);
  }
  // A bad --param value stays a SpecError (the CLI names the flag); anything else is the module's.
  // By name: the module may hold another copy of neural-ivp (ESM and CommonJS builds).
  if (error?.name === 'SpecError') {
    const key = paramKeyOfPath(String((e as SpecError).path));
    if (Object.hasOwn(params ?? {}, key))
      return e instanceof SpecError ? e : new SpecError(String((e as SpecError).path), String((e as SpecError).detail));
    return new UsageError('<problem>', `${arg}: ${message}`);
  }
  return new UsageError(
    '<problem>',
    `${arg}: ${stage === 'loading' ? 'loading it threw' : 'its default export threw'}: ${message}`,
  );
}
