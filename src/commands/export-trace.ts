import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';

import { CONFIG_FILE_ENV } from '../core/config.js';
import { isScalerError } from '../core/errors.js';
import { readTaskHistory } from '../metastore/trace-export.js';
import { parseIsoTimestamp } from '../sim/input/iso-time.js';
import { formatTraceRow, traceHeader } from '../sim/input/trace.js';
import { ExitCode, fail } from './common.js';
import { configOrExit } from './serve.js';

export const EXPORT_TRACE_USAGE = `Usage: airflow-keda-scaler export-trace --since TIME [options]

Writes finished task instances from the metastore's task_instance table as the CSV that
\`simulate --trace\` replays: queue,queued_at,duration_seconds plus hashed dag and task ids.
Read-only, one transaction, PgBouncer-safe. Uses the metastore of \`serve\`'s configuration.

Options:
  --since TIME              start of the window: ISO-8601, or a duration back from now (7d, 12h)
  --until TIME              end of the window (default: now)
  --queues LIST             only these queues (default: all)
  --out FILE                write here instead of standard output
  --metastore NAME          which configured metastore (default: default)
  --hash-key KEY            HMAC key for the ids; default a random one per export, so ids are
                            consistent within a file but cannot be matched across exports
  --statement-timeout-ms N  bound of each statement (default 60000)
  --config FILE             YAML configuration file (or ${CONFIG_FILE_ENV})
`;

/** An ISO-8601 instant, or a duration (90s, 5m, 12h, 7d) back from `nowMs`. */
function parseInstant(option: string, raw: string, nowMs: number): Date {
  const relative = /^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)$/.exec(raw.trim());
  if (relative !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(nowMs - Number(relative[1]) * unit * 1000);
  }
  const ms = parseIsoTimestamp(raw);
  if (Number.isNaN(ms)) fail(`--${option}=${JSON.stringify(raw)} must be an ISO-8601 time or a duration such as 7d or 12h`, ExitCode.usage);
  return new Date(ms);
}

export async function exportTraceCommand(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        queues: { type: 'string' },
        out: { type: 'string' },
        metastore: { type: 'string' },
        'hash-key': { type: 'string' },
        'statement-timeout-ms': { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${EXPORT_TRACE_USAGE}`, ExitCode.usage);
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
  let queues: string[] | null = null;
  if (v.queues !== undefined) {
    queues = [...new Set(v.queues.split(',').map((q) => q.trim()))];
    if (queues.some((q) => q === '')) fail(`--queues=${JSON.stringify(v.queues)} must be a comma-separated list of queue names`, ExitCode.usage);
  }
  const config = await configOrExit(v.config ?? process.env[CONFIG_FILE_ENV], process.env);
  const name = v.metastore ?? 'default';
  const metastore = config.metastores.find((m) => m.name === name);
  if (metastore === undefined) {
    fail(`--metastore=${JSON.stringify(name)} is not configured (configured: ${config.metastores.map((m) => m.name).join(', ')})`, ExitCode.usage);
  }
  const hashKey = v['hash-key'] === undefined ? randomBytes(32) : Buffer.from(v['hash-key'], 'utf8');
  const out = v.out === undefined ? process.stdout : createWriteStream(v.out);
  if (out !== process.stdout) out.on('error', (err: Error) => fail(`cannot write --out ${JSON.stringify(v.out)}: ${err.message}`, ExitCode.usage));
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  let rows = 0;
  try {
    await write(`${traceHeader(['dag_hash', 'task_hash', 'try_number', 'state'])}\n`);
    for await (const batch of readTaskHistory(metastore, { since, until, queues, hashKey, statementTimeoutMs })) {
      let text = '';
      for (const task of batch) {
        text += `${formatTraceRow({ queue: task.queue, queuedAtMs: task.queuedAtMs, durationSeconds: task.durationSeconds, extra: [task.dagHash, task.taskHash, task.tryNumber ?? '', task.state ?? ''] })}\n`;
      }
      rows += batch.length;
      await write(text);
    }
  } catch (err) {
    if (isScalerError(err)) fail(err.message, ExitCode.failure);
    throw err;
  } finally {
    if (out !== process.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  process.stderr.write(
    `airflow-keda-scaler: exported ${rows} finished tasks queued in [${since.toISOString()}, ${until.toISOString()})${v.out === undefined ? '' : ` to ${v.out}`}\n`,
  );
}
