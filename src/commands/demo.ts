import { parseArgs } from 'node:util';

import { CONFIG_FILE_ENV } from '../core/config.js';
import { ErrorCode, isScalerError } from '../core/errors.js';
import type { RunningService } from '../main.js';
import { startService } from '../main.js';
import { isSimInputError } from '../sim/input/errors.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode, fail } from './common.js';
import type { CommandContext } from './context.js';
import { configOrExit } from './serve.js';

const DEFAULT_DEMO_SPEED = 20;
const DEMO_PLACEHOLDER_URL = 'postgresql://demo@127.0.0.1/demo';

const DEMO_USAGE = `Usage: airflow-keda-scaler demo [--speed N] [--scenario FILE] [--config FILE]

Runs the real service on an embedded PostgreSQL and drives it live: a scenario's tasks are
queued in task_instance (its scheduled DAG runs in dag and dag_run), simulated Celery workers
run them, and a simulated KEDA + HPA scales them through this service over gRPC, which
pre-warms workers ahead of each scheduled run. This is what \`npm start\` runs.

Options:
  --speed N        virtual seconds per real second, 1 to 1000 (default ${DEFAULT_DEMO_SPEED})
  --scenario FILE  the workload (default: the built-in live-demo scenario)
  --config FILE    YAML configuration file (or ${CONFIG_FILE_ENV}); the metastore is the embedded one.
                   Without it the demo listens on 127.0.0.1 only (SCALER_GRPC_HOST / SCALER_HTTP_HOST
                   change that), gRPC on 9090 and HTTP on 8080 (SCALER_GRPC_PORT / SCALER_HTTP_PORT;
                   0 picks a free port)
  --help           Show this help.
`;

interface DemoOptions {
  readonly speed: number;
  readonly scenarioFile: string | undefined;
  readonly configFile: string | undefined;
}

function demoOptions(argv: readonly string[]): DemoOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string' }, speed: { type: 'string' }, scenario: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${DEMO_USAGE}`, ExitCode.usage);
  }
  if (values.help === true) return 'help';
  const speed = Number(values.speed ?? DEFAULT_DEMO_SPEED);
  if (!Number.isFinite(speed) || speed < 1 || speed > 1_000) {
    fail(`--speed=${JSON.stringify(values.speed)} must be a number from 1 to 1000`, ExitCode.usage);
  }
  return { speed, scenarioFile: values.scenario, configFile: values.config ?? process.env[CONFIG_FILE_ENV] };
}

/** Where the demo listens unless told otherwise: this machine only, as the banner says. */
const DEMO_HOSTS = { SCALER_GRPC_HOST: '127.0.0.1', SCALER_HTTP_HOST: '127.0.0.1' };

function listenHint(err: unknown): never | void {
  if (!isScalerError(err) || err.code !== ErrorCode.ListenFailed) return;
  const taken = err.message.includes('already in use');
  fail(
    `${err.message}${taken ? '\n  Another demo or scaler is probably running. Pick other ports, e.g.\n' +
      '    SCALER_GRPC_PORT=0 SCALER_HTTP_PORT=0 npm start     (0: any free port; the banner shows which)' : ''}`,
    ExitCode.failure,
  );
}

export async function demoCommand(argv: readonly string[], context: CommandContext): Promise<void> {
  const options = demoOptions(argv);
  if (options === 'help') {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  // Loaded only here: PGlite is large, and `serve` must not pay for it in memory. It is a
  // development dependency, so the production image (npm ci --omit=dev) has none: say so.
  const { startEmbeddedMetastore } = await import('../demo/embedded-metastore.js').catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes('@electric-sql/pglite')) {
      fail(
        'demo needs @electric-sql/pglite (the embedded PostgreSQL), a development dependency that this installation ' +
          'leaves out (the image installs production dependencies only and runs `serve`). Run the demo from a source ' +
          'checkout: npm ci && npm start',
        ExitCode.failure,
      );
    }
    throw err;
  });
  const { scaledObjectYaml } = await import('../demo/scaled-object-example.js');
  const { DEFAULT_LIVE_SCENARIO, prepareLiveDemo } = await import('../live/live-demo.js');
  const { TerminalView } = await import('../live/terminal.js');
  const { humanLogStream } = await import('../live/log-lines.js');
  // Without a config file, loopback unless the environment says otherwise (env wins over a file,
  // so with --config the file's hosts are left alone).
  const env = { ...(options.configFile === undefined ? DEMO_HOSTS : {}), ...process.env };
  // Validate first with a placeholder, so bad settings fail before any port opens.
  await configOrExit(options.configFile, { ...env, SCALER_DATABASE_URL: DEMO_PLACEHOLDER_URL });
  const view = new TerminalView(process.stderr);
  const logLevel = process.env['SCALER_LOG_LEVEL'] ?? 'info';
  // On a terminal, log lines go above the live frame, made readable; otherwise JSON on stdout.
  const makeLogger = (level: string) =>
    createLogger(view.interactive ? { level, destination: humanLogStream((line) => view.log(line)) } : { level });
  const metastore = await startEmbeddedMetastore(makeLogger(logLevel));
  const config = await configOrExit(options.configFile, { ...env, SCALER_DATABASE_URL: metastore.url });
  const logger = makeLogger(config.logLevel);
  context.useLogger(logger);
  let live;
  try {
    live = prepareLiveDemo({ metastore, scenarioFile: options.scenarioFile ?? DEFAULT_LIVE_SCENARIO, speed: options.speed, view });
  } catch (err) {
    await metastore.close();
    if (isSimInputError(err)) fail(err.message, ExitCode.usage);
    throw err;
  }
  let service: RunningService;
  try {
    service = await startService(config, { logger, scaleInPorts: live.scaleInPorts });
  } catch (err) {
    await metastore.close();
    listenHint(err);
    throw err;
  }
  // KEDA's first poll would otherwise meet "no snapshot yet", which is true but only noise here.
  for (let waited = 0; !service.health().ready && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  const grpcAddress = `${config.grpc.host}:${service.grpcPort}`;
  view.log(
    [
      '',
      `airflow-keda-scaler demo: the real service on an embedded Airflow metastore, at ×${options.speed}.`,
      '  Scenario tasks are queued in task_instance and simulated Celery workers run',
      '  them; a simulated KEDA + HPA asks this service (gRPC) how many workers to run;',
      "  the service's scale-in drains surplus workers (Celery cancel_consumer) and",
      '  ranks them (pod-deletion-cost) so that only idle ones are removed. Scheduled',
      '  DAG runs are announced in dag.next_dagrun_create_after: the service counts',
      '  their tasks ahead (prewarm: schedule), so workers are ready when they start.',
      `  gRPC (externalscaler.ExternalScaler, grpc.health.v1): ${grpcAddress}`,
      `  HTTP: http://${config.http.host}:${service.httpPort}/metrics  /healthz  /readyz`,
      '',
      'The ScaledObject the simulated KEDA plays; its trigger metadata is what it sends:',
      '',
      scaledObjectYaml(live.scaledObject(`127.0.0.1:${service.grpcPort}`)),
      view.interactive ? 'Log lines appear above the live view. Press Ctrl-C to stop.' : 'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  live.start(service);
  context.shutdown.onSignal(async () => {
    live.stop();
    await service.close();
    await metastore.close();
  }, config.shutdownTimeoutMs + 2_000);
}
