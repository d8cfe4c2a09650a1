#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { loadConfig } from './config/load-config.js';
import type { ScalerConfig } from './core/config.js';
import { CONFIG_FILE_ENV } from './core/config.js';
import { isScalerError } from './core/errors.js';
import { isSimInputError } from './sim/errors.js';
import type { Logger } from './core/ports.js';
import type { RunningService } from './main.js';
import { startService } from './main.js';
import { createLogger } from './telemetry/logger.js';

const DEFAULT_DEMO_SPEED = 20;

const USAGE = `Usage: airflow-keda-scaler <command> [--config FILE]

Commands:
  serve    Run the KEDA external scaler against the configured Airflow metastore(s).
           Needs SCALER_DATABASE_URL or metastores.<name>.url in the config file.
  demo     Run the same service on an embedded PostgreSQL and drive it live: a scenario's tasks
           are queued, simulated Celery workers run them, a simulated KEDA + HPA scales them
           through this service. [--speed N] (default ${DEFAULT_DEMO_SPEED}) [--scenario FILE]
  simulate Replay a workload (YAML scenario or CSV trace) through a model of Celery workers,
           KEDA and the HPA; report queue wait, cost and killed tasks, or sweep settings.
           See: airflow-keda-scaler simulate --help
  export-trace
           Write the CSV trace that simulate replays from the metastore's task_instance
           history (read-only, dag and task ids hashed). See: export-trace --help

Options:
  --config FILE   YAML configuration file (or ${CONFIG_FILE_ENV}); environment variables override it.
  --help          Show this help.
  --version       Show the version.
`;

const EXIT_USAGE = 2;
const DEMO_PLACEHOLDER_URL = 'postgresql://demo@127.0.0.1/demo';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function fail(message: string, code: number): never {
  process.stderr.write(`airflow-keda-scaler: ${message}\n`);
  process.exit(code);
}

function configOrExit(configFile: string | undefined, env: NodeJS.ProcessEnv): ScalerConfig {
  try {
    return loadConfig(configFile, env);
  } catch (err) {
    if (isScalerError(err)) fail(err.message, EXIT_USAGE);
    throw err;
  }
}

/** SIGTERM/SIGINT: close in reverse order, then exit 0; a hung close is cut off by a timer. */
function exitOnSignal(logger: Logger, timeoutMs: number, closeAll: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    closeAll().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function serve(configFile: string | undefined): Promise<void> {
  const config = configOrExit(configFile, process.env);
  const logger = createLogger({ level: config.logLevel });
  const service = await startService(config, { logger });
  exitOnSignal(logger, config.shutdownTimeoutMs + 1_000, () => service.close());
}

interface DemoOptions {
  readonly speed: number;
  readonly scenarioFile: string | undefined;
}

function demoOptions(values: { speed?: string | undefined; scenario?: string | undefined }): DemoOptions {
  const speed = Number(values.speed ?? DEFAULT_DEMO_SPEED);
  if (!Number.isFinite(speed) || speed < 1 || speed > 1_000) {
    fail(`--speed=${JSON.stringify(values.speed)} must be a number from 1 to 1000`, EXIT_USAGE);
  }
  return { speed, scenarioFile: values.scenario };
}

async function demo(configFile: string | undefined, options: DemoOptions): Promise<void> {
  // Loaded only here: PGlite is large, and `serve` must not pay for it in memory.
  const { startEmbeddedMetastore } = await import('./demo/embedded-metastore.js');
  const { scaledObjectExample } = await import('./demo/scaled-object-example.js');
  const { DEFAULT_LIVE_SCENARIO, startLiveDemo } = await import('./live/live-demo.js');
  // Validate first with a placeholder, so bad settings fail before any port opens.
  configOrExit(configFile, { ...process.env, SCALER_DATABASE_URL: DEMO_PLACEHOLDER_URL });
  const bootstrapLogger = createLogger({ level: process.env['SCALER_LOG_LEVEL'] ?? 'info' });
  const metastore = await startEmbeddedMetastore(bootstrapLogger);
  const config = configOrExit(configFile, { ...process.env, SCALER_DATABASE_URL: metastore.url });
  const logger = createLogger({ level: config.logLevel });
  let service: RunningService;
  try {
    service = await startService(config, { logger });
  } catch (err) {
    await metastore.close();
    throw err;
  }
  // KEDA's first poll would otherwise meet "no snapshot yet", which is true but only noise here.
  for (let waited = 0; !service.health().ready && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  let live;
  try {
    live = startLiveDemo({
      metastore,
      grpcPort: service.grpcPort,
      registry: service.instruments.registry,
      scenarioFile: options.scenarioFile ?? DEFAULT_LIVE_SCENARIO,
      speed: options.speed,
      out: process.stderr,
    });
  } catch (err) {
    await service.close();
    await metastore.close();
    if (isSimInputError(err)) fail(err.message, EXIT_USAGE);
    throw err;
  }
  process.stderr.write(
    [
      '',
      `airflow-keda-scaler demo: the real service on an embedded Airflow metastore, driven live at ×${options.speed}:`,
      '  scenario tasks are queued in task_instance, simulated Celery workers run them, and a simulated',
      '  KEDA + HPA asks this service (gRPC, StreamIsActive) how many workers to run.',
      `  gRPC (externalscaler.ExternalScaler, grpc.health.v1): 127.0.0.1:${service.grpcPort}`,
      `  HTTP: http://127.0.0.1:${service.httpPort}/metrics  /healthz  /readyz`,
      '',
      'A ScaledObject that uses it (cluster address shown; metadata as the demo serves it):',
      '',
      scaledObjectExample('airflow-keda-scaler.airflow.svc.cluster.local:9090'),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  exitOnSignal(logger, config.shutdownTimeoutMs + 2_000, async () => {
    live.stop();
    await service.close();
    await metastore.close();
  });
}

const EXPORT_TRACE_USAGE = `Usage: airflow-keda-scaler export-trace --since TIME [options]

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
function parseInstant(option: string, raw: string, nowMs: number, parseIsoTimestamp: (text: string) => number): Date {
  const relative = /^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)$/.exec(raw.trim());
  if (relative !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(nowMs - Number(relative[1]) * unit * 1000);
  }
  const ms = parseIsoTimestamp(raw);
  if (Number.isNaN(ms)) fail(`--${option}=${JSON.stringify(raw)} must be an ISO-8601 time or a duration such as 7d or 12h`, EXIT_USAGE);
  return new Date(ms);
}

async function exportTrace(argv: readonly string[]): Promise<void> {
  // Loaded only here, like the demo's modules: `serve` does not need them.
  const { readTaskHistory } = await import('./metastore/trace-export.js');
  const { parseIsoTimestamp } = await import('./sim/scenario.js');
  const { formatTraceRow, traceHeader } = await import('./sim/trace.js');
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
    fail(`${(err as Error).message}\n\n${EXPORT_TRACE_USAGE}`, EXIT_USAGE);
  }
  const v = parsed.values;
  if (v.help === true) {
    process.stdout.write(EXPORT_TRACE_USAGE);
    return;
  }
  if (v.since === undefined) fail(`export-trace needs --since\n\n${EXPORT_TRACE_USAGE}`, EXIT_USAGE);
  const nowMs = Date.now();
  const since = parseInstant('since', v.since, nowMs, parseIsoTimestamp);
  const until = v.until === undefined ? new Date(nowMs) : parseInstant('until', v.until, nowMs, parseIsoTimestamp);
  if (until.getTime() <= since.getTime()) fail(`--until (${until.toISOString()}) must be after --since (${since.toISOString()})`, EXIT_USAGE);
  const timeoutRaw = v['statement-timeout-ms'] ?? '60000';
  const statementTimeoutMs = Number(timeoutRaw);
  if (!/^[0-9]+$/.test(timeoutRaw) || statementTimeoutMs < 100 || statementTimeoutMs > 86_400_000) {
    fail(`--statement-timeout-ms=${JSON.stringify(timeoutRaw)} must be a whole number from 100 to 86400000`, EXIT_USAGE);
  }
  let queues: string[] | null = null;
  if (v.queues !== undefined) {
    queues = [...new Set(v.queues.split(',').map((q) => q.trim()))];
    if (queues.some((q) => q === '')) fail(`--queues=${JSON.stringify(v.queues)} must be a comma-separated list of queue names`, EXIT_USAGE);
  }
  const config = configOrExit(v.config ?? process.env[CONFIG_FILE_ENV], process.env);
  const name = v.metastore ?? 'default';
  const metastore = config.metastores.find((m) => m.name === name);
  if (metastore === undefined) {
    fail(`--metastore=${JSON.stringify(name)} is not configured (configured: ${config.metastores.map((m) => m.name).join(', ')})`, EXIT_USAGE);
  }
  const hashKey = v['hash-key'] === undefined ? randomBytes(32) : Buffer.from(v['hash-key'], 'utf8');
  const out = v.out === undefined ? process.stdout : createWriteStream(v.out);
  if (out !== process.stdout) out.on('error', (err: Error) => fail(`cannot write --out ${JSON.stringify(v.out)}: ${err.message}`, EXIT_USAGE));
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
    if (isScalerError(err)) fail(err.message, 1);
    throw err;
  } finally {
    if (out !== process.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  process.stderr.write(
    `airflow-keda-scaler: exported ${rows} finished tasks queued in [${since.toISOString()}, ${until.toISOString()})${v.out === undefined ? '' : ` to ${v.out}`}\n`,
  );
}

async function simulate(argv: readonly string[]): Promise<void> {
  const { simulateCommand } = await import('./sim/command.js');
  const code = await simulateCommand(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY,
  });
  process.exitCode = code;
}

/** `simulate` and `export-trace` have options of their own; they must be the first word. */
function ownCommand(argv: readonly string[]): { command: 'simulate' | 'export-trace'; rest: string[] } | null {
  const { tokens } = parseArgs({ args: [...argv], strict: false, allowPositionals: true, tokens: true, options: { config: { type: 'string' } } });
  const first = tokens.find((token) => token.kind === 'positional');
  if (first?.kind !== 'positional' || (first.value !== 'simulate' && first.value !== 'export-trace')) return null;
  return { command: first.value, rest: argv.filter((_, i) => i !== first.index) };
}

async function main(argv: readonly string[]): Promise<void> {
  const own = ownCommand(argv);
  if (own?.command === 'simulate') return simulate(own.rest);
  if (own?.command === 'export-trace') return exportTrace(own.rest);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        help: { type: 'boolean' },
        version: { type: 'boolean' },
        speed: { type: 'string' },
        scenario: { type: 'string' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`, EXIT_USAGE);
  }
  if (parsed.values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (parsed.values.version === true) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const configFile = parsed.values.config ?? process.env[CONFIG_FILE_ENV];
  const [command, ...rest] = parsed.positionals;
  if (rest.length > 0) fail(`unexpected arguments: ${rest.join(' ')}\n\n${USAGE}`, EXIT_USAGE);
  if (command === 'serve') return serve(configFile);
  if (command === 'demo') return demo(configFile, demoOptions(parsed.values));
  fail(command === undefined ? `a command is required\n\n${USAGE}` : `unknown command "${command}"\n\n${USAGE}`, EXIT_USAGE);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(err instanceof Error ? err.message : String(err), 1);
});
