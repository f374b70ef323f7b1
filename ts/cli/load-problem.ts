/**
 * The `<problem>` argument of `neural-ivp run`: a name from `problems`, or the path of a JS/TS
 * module whose default export is a Problem (from `defineProblem`) or a function of an options
 * object returning one (`--dim` and `--param` become that object).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
  const exported = defaultExport(await importModule(file));
  let value: unknown = exported;
  if (typeof exported === 'function') {
    const options: Record<string, unknown> = { ...(args.params ?? {}) };
    if (args.dim !== undefined) options.dim = args.dim;
    value = await (exported as (options: Record<string, unknown>) => unknown)(options);
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
  return { problem: value, source: file, kind: 'file' };
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

let tsxRegistered = false;

/**
 * Imports the module at `file`. TypeScript files need a loader: when Node cannot import one by
 * itself, tsx (when installed) is registered globally, so the module shares this process's
 * neural-ivp instance.
 */
async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const isTs = /\.(c|m)?tsx?$/.test(file);
    if (
      !isTs ||
      tsxRegistered ||
      (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_UNSUPPORTED_ESM_URL_SCHEME')
    ) {
      throw e;
    }
  }
  const specifier = 'tsx/esm/api';
  let api: { register: () => unknown };
  try {
    api = (await import(specifier)) as { register: () => unknown };
  } catch {
    throw new UsageError(
      '<problem>',
      `${path.basename(file)} is TypeScript: install tsx (npm install --save-dev tsx) or compile it to JavaScript`,
    );
  }
  api.register();
  tsxRegistered = true;
  // A fresh URL: Node remembers the failed import of the plain one.
  return import(`${url}?tsx`);
}
