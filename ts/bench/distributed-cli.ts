// `neural-ivp bench --nproc N`: the launcher measures one process, starts N workers (the same
// command with the torchrun environment) and prints both rows; a worker (RANK set) measures its
// share and rank 0 hands its row back through the file named by NIVP_BENCH_OUT.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchWorkers } from '../cli/launch';
import type { CliContext } from '../cli/run';
import { readDistributed } from '../distributed/options';
import { native } from '../native';
import { type DistributedBenchRow, measureDistributed } from './distributed';

export async function runDistributedBench(
  nproc: number,
  flags: { quick: boolean; json: boolean },
  ctx: CliContext,
): Promise<number> {
  const n = flags.quick ? 2000 : 10_000;
  const width = flags.quick ? 40 : 100;
  const run = readDistributed(undefined, process.env);
  if (process.env.RANK !== undefined && run !== null) {
    // A worker: the machine's cores shared among the local workers.
    const local = Number(process.env.LOCAL_WORLD_SIZE ?? nproc);
    native().setThreads(Math.max(1, Math.floor(os.availableParallelism() / local)));
    const row = await measureDistributed(n, width, run);
    const out = process.env.NIVP_BENCH_OUT;
    if (run.rank === 0 && out !== undefined) writeFileSync(out, JSON.stringify(row));
    return 0;
  }
  const log = (line: string) => {
    if (!flags.json) ctx.stdout(`${line}\n`);
  };
  // Rounds alternate one process and N, so that both see the same load; medians are reported.
  const rounds = flags.quick ? 1 : 3;
  const one: DistributedBenchRow[] = [];
  const many: DistributedBenchRow[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nivp-bench-'));
  try {
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round} of ${rounds}: one process, n = ${n}…`);
      one.push(await measureDistributed(n, width, null));
      log(`round ${round} of ${rounds}: ${nproc} processes, n = ${n} in all…`);
      const out = path.join(dir, `rank0-${round}.json`);
      const code = await launchWorkers(nproc, ctx.argv, { ...ctx, env: { ...process.env, NIVP_BENCH_OUT: out } });
      if (code !== 0) return code;
      many.push(JSON.parse(readFileSync(out, 'utf8')) as DistributedBenchRow);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = [median(one), median(many)];
  if (flags.json) {
    ctx.stdout(`${JSON.stringify({ distributed: rows })}\n`);
  } else {
    for (const r of rows) {
      const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
      log(
        `${r.processes} process(es), ${r.threads} thread(s) each, p = ${r.p}: M·v ${ms(r.mvm_seconds)} ` +
          `(all-reduce ${ms(r.mvm_allreduce_seconds)}, ${r.mvm_allreduce_bytes} B; alone ${ms(r.allreduce_p_seconds)}); ` +
          `solve ${ms(r.solve_seconds)} ` +
          `(all-reduce ${ms(r.solve_allreduce_seconds)} in ${r.solve_allreduce_calls} calls, ${r.solve_allreduce_bytes} B, ` +
          `${r.solve_cg_iterations} CG iterations)`,
      );
    }
  }
  return 0;
}

/** Field by field, the median of the rounds' rows. */
function median(rows: DistributedBenchRow[]): DistributedBenchRow {
  const out = { ...rows[0] };
  for (const key of Object.keys(out) as (keyof DistributedBenchRow)[]) {
    if (typeof out[key] !== 'number') continue;
    const values = rows.map((r) => r[key] as number).sort((a, b) => a - b);
    (out as Record<string, unknown>)[key] = values[Math.floor(values.length / 2)];
  }
  return out;
}
