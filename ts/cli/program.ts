/**
 * The `neural-ivp` command line (commander). `runCommand(argv)` runs it in-process and resolves to
 * the exit status, without calling process.exit, so tests can drive it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { runDistributedBench } from '../bench/distributed-cli';
import { runBench } from '../bench/run';
import { SpecError } from '../errors';
import { packageRoot } from '../native';
import { MAX_AXES_DIM } from '../solver/energy-norm';
import { POOR_FIT_FACTOR } from '../solver/fit-guard';
import { type OptionSpec, optionAt } from '../solver/option-table';
import { DEFAULT_OPTIONS } from '../solver/options';
import { gradientWeight, integerIn, param, positiveNumber, timeList } from './args';
import { ExitCode, UsageError } from './errors';
import { launchWorkers, withoutNproc } from './launch';
import { PROBLEM_NAMES } from './load-problem';
import { type CliContext, type RunFlags, runSolve } from './run';

/** What `runCommand` writes to and runs under; every field has a process default. */
export type CliIO = Partial<CliContext>;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The program; `onExit` receives each action's exit status. */
export function createProgram(ctx: CliContext, onExit: (code: number) => void): Command {
  const D = DEFAULT_OPTIONS;
  const program = new Command('neural-ivp')
    .description('Neural IVP: solve initial value PDEs with neural networks (native libtorch core).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .configureOutput({
      writeOut: (s) => ctx.stdout(s),
      writeErr: (s) => ctx.stderr(s),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);

  program
    .command('run')
    .summary('solve a problem and write solution.json, metrics.json and report.html')
    .description(
      'Fit the initial condition, evolve the network parameters to time T with progress on stderr, and write DIR/solution.json (loadable with Solution.load), DIR/metrics.json (stats, per-step history, residual and error at the saved times, options, timings, machine) and DIR/report.html (self-contained plots). The output paths are printed on stdout. Exit status: 0 done, 1 failed or stopped early, 2 bad arguments, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM); a run stopped early or interrupted while evolving still writes the steps it accepted.',
    )
    .argument(
      '<problem>',
      `a problem name (${PROBLEM_NAMES.join(', ')}), or a .js/.mjs/.ts module whose default export is a Problem (from defineProblem) or a function of { dim, ...params } returning one`,
    )
    .option('--T <time>', 'final time to integrate to', positiveNumber, 0.5)
    .addOption(
      new Option(
        '--preset <name>',
        "where the defaults come from: 'default' (sized for a CPU) or 'paper' (the paper's GPU configuration)",
      ).choices(['default', 'paper']),
    )
    .addOption(tableFlag('samples.count', 'n', integerIn(16)))
    .addOption(tableFlag('samples.heldOut', 'n', integerIn(0)))
    .addOption(tableFlag('samples.sequence', 'name'))
    .option('--importance', 'importance sampling ∝ |u| (a defensive mixture with uniform points, weighted)')
    .option(
      '--out <dir>',
      'output directory (default: neural-ivp-out/<problem name>); a run that stops early does not overwrite a complete earlier run there, it writes to <dir>-incomplete instead',
    )
    .option(
      '--force',
      'let a run replace files in --out that no run wrote, and a run that stops early the files of a complete earlier run',
    )
    .addOption(tableFlag('network.width', 'w', integerIn(1)))
    .addOption(tableFlag('network.depth', 'd', integerIn(1)))
    .addOption(tableFlag('integrator.rtol', 'r', positiveNumber))
    .addOption(tableFlag('integrator.method', 'name'))
    .addOption(tableFlag('integrator.refine', 'k', integerIn(0)))
    .addOption(tableFlag('linear.method', 'name'))
    .addOption(tableFlag('linear.rank', 'r', integerIn(0)))
    .option(
      '--gradient-weight <β|field=β>',
      "project a field's step in ‖·‖² + β‖∇·‖² instead of L², repeatable (e.g. u=1 for a wave u_t = v, v_t = Δu: its energy norm); a bare β applies to every field (default: in 1D and 2D the energy norm where the problem is a second-order equation written as u_t = v, v_t = Δu, β = the smallest half-width² on u; elsewhere 0, L²; 0 gives the paper's L² everywhere)",
      gradientWeight,
    )
    .addOption(tableFlag('linear.gradientDirections', 'name'))
    .addOption(tableFlag('fit.method', 'name'))
    .addOption(tableFlag('fit.tol', 'e', positiveNumber))
    .addOption(tableFlag('fit.maxSeconds', 's', positiveNumber))
    .option(
      '--fit-steps <n>',
      `cap on the iterations of each fit; 0 = head tuning only (default: ${D.fit.maxIterations} Gauss–Newton iterations or ${D.adamIterations} Adam steps)`,
      integerIn(0),
    )
    .addOption(tableFlag('fit.batch', 'n', integerIn(1)))
    .option(
      '--allow-poor-fit',
      `evolve even when the initial fit ends above ${POOR_FIT_FACTOR} × its tolerance (by default the run stops there, saying why)`,
    )
    .option(
      '--restarts',
      `refit the network during the run (section 4.2; default: on, once a solve needs more than ${D.restarts.cgIterations} CG iterations)`,
    )
    .option('--no-restarts', 'never refit during the run')
    .addOption(tableFlag('seed', 's', integerIn(0)))
    .option(
      '--dim <d>',
      'spatial dimension, for problems that take one (heat, advection, wave, fokkerPlanck, or a problem function)',
      integerIn(1, 64),
    )
    .option(
      '--max-seconds <s>',
      'wall-clock budget of the integration; when it runs out the files hold the saved times reached (default: none)',
      positiveNumber,
    )
    .option('--save-at <t1,t2,...>', 'comma-separated times in [0, T] to save and report (default: 0,T)', timeList)
    .addOption(tableFlag('dtype', 'type'))
    .addOption(tableFlag('device', 'device'))
    .option(
      '--param <key=value>',
      'a problem option, repeatable (e.g. --param diffusivity=0.2, --param velocity=1,0)',
      param,
    )
    .option('--grid <n>', 'cells per axis of the report heatmaps (default: 64)', integerIn(2, 1024))
    .option('--quiet', 'no progress or summary on stderr')
    .option(
      '--nproc <n>',
      'run over n local processes, each on its share of the samples (like torchrun --nproc-per-node; several machines: see docs/distributed.md)',
      integerIn(1, 1024),
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  neural-ivp run heat --dim 2 --T 1 --save-at 0,0.5,1 --out runs/heat',
        '  neural-ivp run wave --dim 3 --samples 20000 --method rk23',
        '  neural-ivp run ./my-problem.mjs --param k=2 --no-restarts --width 64',
        '  neural-ivp run heat --dim 2 --samples 20000 --nproc 2',
      ].join('\n'),
    )
    .action(async (problem: string, flags: RunFlags & { nproc?: number }) => {
      if (flags.nproc !== undefined) {
        // Refused here, once: each worker would refuse it too, after starting.
        if (flags.maxSeconds !== undefined) {
          throw new UsageError('--max-seconds', 'not available with --nproc (each process has its own clock)');
        }
        onExit(await launchWorkers(flags.nproc, withoutNproc(ctx.argv), ctx));
        return;
      }
      onExit(await runSolve(problem, flags, ctx));
    });

  program
    .command('bench')
    .summary('run the performance benchmark')
    .description('Measure M·v throughput against GEMM and a PyTorch peer, and print a summary (or JSON).')
    .option('--quick', 'smaller sizes and fewer repeats')
    .option('--json', 'print one JSON object on stdout instead of the summary')
    .option('--cuda', 'the GPU run: n = 50,000, dense vs PCG up to p = 1M, the 3D wave in the paper configuration')
    .option(
      '--nproc <n>',
      'measure sample-parallel runs instead: per M·v and per solve, compute vs all-reduce, 1 process then n (docs/distributed.md)',
      integerIn(1, 1024),
    )
    .action(async (flags: { quick?: boolean; json?: boolean; cuda?: boolean; nproc?: number }) => {
      const json = flags.json === true;
      if (flags.nproc !== undefined) {
        onExit(await runDistributedBench(flags.nproc, { quick: flags.quick === true, json }, ctx));
        return;
      }
      const report = await runBench({
        quick: flags.quick === true,
        json,
        device: flags.cuda === true ? 'cuda' : 'cpu',
        log: (line) => ctx.stdout(`${line}\n`),
      });
      if (json) ctx.stdout(`${JSON.stringify(report)}\n`);
      onExit(ExitCode.ok);
    });

  return program;
}

/**
 * What a table default that is no value of its own option (a name options.ts resolves per
 * problem, such as 'dimension') resolves to, in words for the help.
 */
const PLACEHOLDER_DEFAULTS: Readonly<Record<string, string>> = {
  'linear.gradientDirections': `axes up to ${MAX_AXES_DIM}D, sampled above`,
};

/** The default preset's value of a table option as the help shows it: the value, or its words. */
function defaultWords(path: string, spec: OptionSpec<unknown>): string {
  const value = spec.defaults.default;
  try {
    spec.read(path, value);
    return String(value);
  } catch {
    return PLACEHOLDER_DEFAULTS[path] ?? 'resolved per problem';
  }
}

/**
 * The flag of an option declared in solver/option-table.ts: its name, one-line doc, choices and
 * the default preset's value come from there; `parse` checks the value's syntax (the library
 * judges its range, naming the flag).
 */
function tableFlag(path: string, arg: string, parse?: (value: string) => unknown): Option {
  const spec = optionAt(path);
  if (spec?.flag === undefined) throw new Error(`no flag sets the option ${path}`);
  const option = new Option(`${spec.flag} <${arg}>`, `${spec.doc} (default: ${defaultWords(path, spec)})`);
  const choices = (spec.read as { choices?: readonly string[] }).choices;
  if (choices !== undefined) return option.choices(choices);
  return parse === undefined ? option : option.argParser(parse);
}

/** Runs the command line `argv` (without `node` and the script); resolves to the exit status. */
export async function runCommand(argv: readonly string[], io: CliIO = {}): Promise<number> {
  const ctx: CliContext = {
    stdout: io.stdout ?? ((s) => process.stdout.write(s)),
    stderr: io.stderr ?? ((s) => process.stderr.write(s)),
    progressStream: io.progressStream ?? process.stderr,
    signal: io.signal,
    cwd: io.cwd ?? process.cwd(),
    argv: io.argv ?? argv,
    createSession: io.createSession,
    workerCommand: io.workerCommand,
  };
  let code: number = ExitCode.ok;
  const program = createProgram(ctx, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every parse error (already printed by commander) is a usage error.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (e instanceof UsageError) {
      ctx.stderr(`error: ${e.message}\n`);
      return ExitCode.usage;
    }
    if (e instanceof SpecError) {
      ctx.stderr(`error: ${e.message}\n`);
      return ExitCode.usage;
    }
    const err = e as Error;
    ctx.stderr(`error: ${err?.message ?? String(e)}\n`);
    if (process.env.NEURAL_IVP_DEBUG && err?.stack) ctx.stderr(`${err.stack}\n`);
    return ExitCode.failure;
  }
}
