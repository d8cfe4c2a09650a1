import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';

import { CONFIG_FILE_ENV } from '../core/config.js';
import { isScalerError } from '../core/errors.js';
import type { ExecutorFilter } from '../core/metadata.js';
import { didYouMean } from '../core/suggest.js';
import { durationSeconds } from '../core/validation.js';
import { openTaskHistory } from '../metastore/trace-export.js';
import { parseIsoTimestamp } from '../sim/input/iso-time.js';
import { formatTraceRow, traceHeader } from '../sim/input/trace.js';
import { RUN_COLUMNS } from '../sim/input/trace-runs.js';
import { ExitCode, fail } from './common.js';
import { configOrExit } from './serve.js';

/** The Celery executor's names in `task_instance.executor`: its alias and its class path. */
const CELERY_EXECUTORS = ['CeleryExecutor', 'airflow.providers.celery.executors.celery_executor.CeleryExecutor'];

const EXPORT_TRACE_USAGE = `Usage: airflow-keda-scaler export-trace --since TIME [options]

Writes finished task instances from the metastore's task_instance table as the CSV that
\`simulate --trace\` replays: queue,queued_at,duration_seconds, their runs from dag_run
(dag_id,run_id hashed, run_type, run_after: what \`simulate --prewarm\` forecasts from) and
hashed task ids.
Read-only, one transaction, PgBouncer-safe. Uses the metastore of \`serve\`'s configuration.
Nothing is written until the metastore has answered.

Options:
  --since TIME              start of the window: ISO-8601, or a duration back from now (7d, 12h)
  --until TIME              end of the window (default: now)
  --queues LIST             only these queues (default: all)
  --celery-executors LIST   task_instance.executor values that are Celery, as the scaler's
                            celeryExecutors metadata (default: ${CELERY_EXECUTORS.join(',')})
  --celery-is-default-executor true|false
                            whether executor NULL (the first executor in [core] executor) is
                            Celery, as the scaler's metadata (default: true)
  --all-executors           every executor's tasks, not only Celery's
  --out FILE                write here instead of standard output
  --metastore NAME          which configured metastore (default: default)
  --hash-key KEY            HMAC key for the ids; default a random one per export, so ids are
                            consistent within a file but cannot be matched across exports
  --statement-timeout-ms N  bound of each statement (default 60000)
  --config FILE             YAML configuration file (or ${CONFIG_FILE_ENV})

duration_seconds is the time a task held a worker slot, as far as the metastore tells; the
segment column says how it was found:
  whole       end_date - start_date
  poke        one poke of a sensor in mode=reschedule (task_reschedule): exact
  final-poke  its last poke, from its last queueing: includes that queue wait
  deferred    a deferred task's run before it deferred: written as 0, Airflow keeps no end
  resumed     its run after the trigger fired, from its last queueing: includes that wait
What it cannot know: the first poke's and a deferred task's first queueing (queued_dttm
keeps only the last), how long a task ran before it deferred, earlier tries of a retried
task (only the last try is in task_instance), and, without SELECT on task_reschedule (the
scaler's role may not have it), the pokes: then a rescheduled sensor counts as running from
its first poke to its end. Before Airflow 2.10 there is no executor column: every task is
exported, whatever its executor. run_after is dag_run.run_after on Airflow 3, and on 2.x the
end of the run's data interval (or its logical date), when the scheduler creates such a run;
without SELECT on dag_run, run_type and run_after are left empty and nothing is forecast.
`;

/** An ISO-8601 instant, or a duration in core's syntax (90s, 5m, 12h, 7d) back from `nowMs`. */
function parseInstant(option: string, raw: string, nowMs: number): Date {
  const seconds = durationSeconds(raw);
  if (seconds !== undefined) return new Date(nowMs - seconds * 1000);
  const ms = parseIsoTimestamp(raw);
  if (Number.isNaN(ms)) fail(`--${option}=${JSON.stringify(raw)} must be an ISO-8601 time or a duration such as 7d or 12h`, ExitCode.usage);
  return new Date(ms);
}

const OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  queues: { type: 'string' },
  'celery-executors': { type: 'string' },
  'celery-is-default-executor': { type: 'string' },
  'all-executors': { type: 'boolean' },
  out: { type: 'string' },
  metastore: { type: 'string' },
  'hash-key': { type: 'string' },
  'statement-timeout-ms': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function list(option: string, raw: string): string[] {
  const items = [...new Set(raw.split(',').map((q) => q.trim()))];
  if (items.some((q) => q === '')) fail(`--${option}=${JSON.stringify(raw)} must be a comma-separated list of names`, ExitCode.usage);
  return items;
}

function executorFilter(values: { 'celery-executors'?: string; 'celery-is-default-executor'?: string; 'all-executors'?: boolean }): ExecutorFilter | null {
  const names = values['celery-executors'];
  const isDefault = values['celery-is-default-executor'];
  if (values['all-executors'] === true) {
    if (names !== undefined || isDefault !== undefined) fail('--all-executors does not combine with --celery-executors or --celery-is-default-executor', ExitCode.usage);
    return null;
  }
  if (isDefault !== undefined && isDefault !== 'true' && isDefault !== 'false') {
    fail(`--celery-is-default-executor=${JSON.stringify(isDefault)} must be true or false`, ExitCode.usage);
  }
  return { names: names === undefined ? CELERY_EXECUTORS : list('celery-executors', names), includeDefault: isDefault !== 'false' };
}

/** True for the error a write to a closed pipe gives (`export-trace | head`). */
function isBrokenPipe(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EPIPE';
}

export async function exportTraceCommand(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS });
  } catch (err) {
    const unknown = /'(--[^']+)'/.exec((err as Error).message)?.[1];
    const hint = unknown === undefined ? '' : didYouMean(unknown.slice(2), Object.keys(OPTIONS)).replace('"', '"--');
    fail(`${(err as Error).message}${hint}\n\n${EXPORT_TRACE_USAGE}`, ExitCode.usage);
  }
  const v = parsed.values;
  if (v.help === true) {
    process.stdout.write(EXPORT_TRACE_USAGE);
    return;
  }
  if (v.since === undefined) fail(`export-trace needs --since\n\n${EXPORT_TRACE_USAGE}`, ExitCode.usage);
  const nowMs = Date.now();
  const since = parseInstant('since', v.since, nowMs);
  const until = v.until === undefined ? new Date(nowMs) : parseInstant('until', v.until, nowMs);
  if (until.getTime() <= since.getTime()) fail(`--until (${until.toISOString()}) must be after --since (${since.toISOString()})`, ExitCode.usage);
  const timeoutRaw = v['statement-timeout-ms'] ?? '60000';
  const statementTimeoutMs = Number(timeoutRaw);
  if (!/^[0-9]+$/.test(timeoutRaw) || statementTimeoutMs < 100 || statementTimeoutMs > 86_400_000) {
    fail(`--statement-timeout-ms=${JSON.stringify(timeoutRaw)} must be a whole number from 100 to 86400000`, ExitCode.usage);
  }
  const queues = v.queues === undefined ? null : list('queues', v.queues);
  const executors = executorFilter(v);
  const config = await configOrExit(v.config ?? process.env[CONFIG_FILE_ENV], process.env);
  const name = v.metastore ?? 'default';
  const metastore = config.metastores.find((m) => m.name === name);
  if (metastore === undefined) {
    fail(`--metastore=${JSON.stringify(name)} is not configured (configured: ${config.metastores.map((m) => m.name).join(', ')})`, ExitCode.usage);
  }
  const hashKey = v['hash-key'] === undefined ? randomBytes(32) : Buffer.from(v['hash-key'], 'utf8');

  // The metastore first: a failing connection leaves no file and no header behind.
  let history;
  try {
    history = await openTaskHistory(metastore, { since, until, queues, executors, hashKey, statementTimeoutMs });
  } catch (err) {
    if (isScalerError(err)) fail(err.message, ExitCode.failure);
    throw err;
  }
  if (executors !== null && !history.schema.executor) {
    process.stderr.write('airflow-keda-scaler: task_instance has no executor column (Airflow < 2.10): exporting every executor\'s tasks\n');
  }
  if (history.schema.reschedule === null) {
    process.stderr.write('airflow-keda-scaler: task_reschedule is not readable: a rescheduled sensor counts as running from its first poke to its end\n');
  }
  if (history.schema.runAfter === null) {
    process.stderr.write('airflow-keda-scaler: dag_run is not readable: run_type and run_after are left empty, so simulate --prewarm forecasts nothing\n');
  }
  const out: Writable = v.out === undefined ? process.stdout : createWriteStream(v.out);
  // Every error of the output (EPIPE from a closed pipe, a full disk) ends the writing.
  const output: { error: Error | null; wake: (() => void) | null } = { error: null, wake: null };
  out.on('error', (err: Error) => {
    output.error ??= err;
    output.wake?.();
  });
  // A function, so the checks after an await read the field afresh.
  const failIfBroken = (): void => {
    if (output.error !== null) throw output.error;
  };
  const write = async (text: string): Promise<void> => {
    failIfBroken();
    if (!out.write(text)) {
      await new Promise<void>((resolve) => {
        output.wake = resolve;
        out.once('drain', () => resolve());
      });
      output.wake = null;
    }
    failIfBroken();
  };
  let rows = 0;
  let problem: { message: string; code: number } | null = null;
  let closedPipe = false;
  try {
    await write(`${traceHeader([...RUN_COLUMNS, 'task_hash', 'try_number', 'state', 'segment'])}\n`);
    for await (const batch of history.batches()) {
      let text = '';
      for (const task of batch) {
        const run = [task.dagHash, task.runHash, task.runType ?? '', task.runAfterMs === null ? '' : new Date(task.runAfterMs).toISOString()];
        text += `${formatTraceRow({ queue: task.queue, queuedAtMs: task.queuedAtMs, durationSeconds: task.durationSeconds, extra: [...run, task.taskHash, task.tryNumber ?? '', task.state ?? '', task.segment] })}\n`;
      }
      rows += batch.length;
      await write(text);
    }
  } catch (err) {
    // A reader that stopped reading (`| head`) ends the export quietly, as Unix tools do.
    if (isBrokenPipe(err)) closedPipe = true;
    else if (isScalerError(err)) problem = { message: err.message, code: ExitCode.failure };
    else if (err === output.error) problem = { message: `cannot write ${v.out === undefined ? 'the output' : `--out ${JSON.stringify(v.out)}`}: ${(err as Error).message}`, code: ExitCode.failure };
    else throw err;
  } finally {
    await history.close();
    if (out !== process.stdout && output.error === null) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  if (problem !== null) fail(problem.message, problem.code);
  if (closedPipe) return;
  process.stderr.write(
    `airflow-keda-scaler: exported ${rows} rows of finished tasks queued in [${since.toISOString()}, ${until.toISOString()})${v.out === undefined ? '' : ` to ${v.out}`}\n`,
  );
}
