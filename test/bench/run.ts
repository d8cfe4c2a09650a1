/**
 * `npm run bench`: measures the scaler next to today's baseline (KEDA's built-in postgresql
 * trigger as the Airflow chart configures it), against a real PostgreSQL through a real PgBouncer
 * in transaction mode. Prints a markdown table; `--out FILE` writes the same figures as JSON.
 *
 *   --scale quick|full|<rows>   metastore size and run lengths (quick ≈ a minute or two once built)
 *   --only a,b                  sections: tick, prewarm, load, rpc, activation, footprint, simulator
 *   --out FILE                  JSON: { "name": { value, unit, baseline, ratio, ... } }
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { benchActivation } from './activation.js';
import { benchDatabaseLoad } from './db-load.js';
import type { BenchEnvironment } from './environment.js';
import { startBenchEnvironment } from './environment.js';
import type { Figures } from './figures.js';
import { markdownTable } from './figures.js';
import { benchFootprint } from './footprint.js';
import { benchPrewarm } from './prewarm.js';
import { benchRpcPath } from './rpc-path.js';
import { runSimulatorBenchmark } from './simulator.js';
import { benchTickQuery } from './tick-query.js';

interface Plan {
  readonly rows: number;
  readonly tickIterations: number;
  readonly loadSpeedup: number;
  readonly loadVirtualMinutes: number;
  readonly rpcSeconds: number;
  readonly activationTrials: number;
  readonly soakSeconds: number;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { rows: 200_000, tickIterations: 300, loadSpeedup: 10, loadVirtualMinutes: 1, rpcSeconds: 3, activationTrials: 20, soakSeconds: 15 },
  full: { rows: 10_000_000, tickIterations: 2_000, loadSpeedup: 5, loadVirtualMinutes: 2, rpcSeconds: 10, activationTrials: 100, soakSeconds: 300 },
};

const SECTIONS = ['tick', 'prewarm', 'load', 'rpc', 'activation', 'footprint', 'simulator'] as const;

function plan(scale: string): Plan {
  if (scale === 'quick' || scale === 'full') return PLANS[scale];
  if (/^[0-9]+$/.test(scale) && Number(scale) >= 10_000) return { ...PLANS.quick, rows: Number(scale) };
  throw new Error(`--scale=${JSON.stringify(scale)} must be quick, full, or a row count >= 10000`);
}

/** Sections 1–5: each needs the metastore and a PgBouncer. */
async function databaseSections(env: BenchEnvironment, only: readonly string[], chosen: Plan, log: (line: string) => void): Promise<Figures> {
  const figures: Figures = {};
  if (only.includes('tick')) {
    log('1/5 tick query at metastore size');
    Object.assign(figures, await benchTickQuery(env, chosen.tickIterations));
  }
  if (only.includes('prewarm')) {
    log('1b pre-warming reads: the due-DAG query on the tick, the run history');
    Object.assign(figures, await benchPrewarm(env, chosen.tickIterations, log));
  }
  if (only.includes('load')) {
    log('2/5 database load at equal freshness (1, 10, 50 worker sets)');
    Object.assign(figures, await benchDatabaseLoad(env, [1, 10, 50], chosen.loadSpeedup, chosen.loadVirtualMinutes));
  }
  if (only.includes('rpc')) {
    log('3/5 RPC path');
    Object.assign(figures, await benchRpcPath(env, chosen.rpcSeconds));
  }
  if (only.includes('activation')) {
    log('4/5 activation latency');
    Object.assign(figures, await benchActivation(env, chosen.activationTrials));
  }
  if (only.includes('footprint')) {
    log('5/5 footprint');
    Object.assign(figures, await benchFootprint(env, chosen.soakSeconds));
  }
  return figures;
}

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0]?.trim() ?? '?';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: 'quick' }, out: { type: 'string' }, only: { type: 'string' } },
  });
  const chosen = plan(values.scale);
  const only = values.only?.split(',') ?? [...SECTIONS];
  for (const name of only) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section ${JSON.stringify(name)} (known: ${SECTIONS.join(', ')})`);
  }
  const log = (line: string): void => {
    process.stderr.write(`bench: ${line}\n`);
  };
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${versionOf('psql', ['--version'])}, ${versionOf(process.env['TEST_PGBOUNCER_BIN'] ?? 'pgbouncer', ['--version'])}`;
  log(machine);

  const figures: Figures = {};
  if (only.includes('simulator')) {
    // Needs no database: one 1,000,000-task week replayed, and a 4×4 sweep over it.
    log('simulator: a 1,000,000-task week, one replay and a 4×4 sweep');
    Object.assign(figures, await runSimulatorBenchmark());
  }
  if (only.some((name) => name !== 'simulator')) {
    const env = await startBenchEnvironment(chosen.rows, log);
    try {
      Object.assign(figures, await databaseSections(env, only, chosen, log));
    } finally {
      await env.close();
    }
  }

  process.stdout.write(`\nMachine: ${machine}\nScale: ${values.scale} (${chosen.rows.toLocaleString('en-US')} task_instance rows)\n\n${markdownTable(figures)}\n`);
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(figures, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
