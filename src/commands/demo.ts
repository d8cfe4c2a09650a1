import { parseArgs } from 'node:util';

import { CONFIG_FILE_ENV } from '../core/config.js';
import type { RunningService } from '../main.js';
import { startService } from '../main.js';
import { isSimInputError } from '../sim/input/errors.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode, fail } from './common.js';
import type { CommandContext } from './context.js';
import { configOrExit } from './serve.js';

const DEFAULT_DEMO_SPEED = 20;
const DEMO_PLACEHOLDER_URL = 'postgresql://demo@127.0.0.1/demo';

export const DEMO_USAGE = `Usage: airflow-keda-scaler demo [--speed N] [--scenario FILE] [--config FILE]

Runs the real service on an embedded PostgreSQL and drives it live: a scenario's tasks are
queued in task_instance, simulated Celery workers run them, and a simulated KEDA + HPA scales
them through this service over gRPC. This is what \`npm start\` runs.

Options:
  --speed N        virtual seconds per real second, 1 to 1000 (default ${DEFAULT_DEMO_SPEED})
  --scenario FILE  the workload (default: the built-in live-demo scenario)
  --config FILE    YAML configuration file (or ${CONFIG_FILE_ENV}); the metastore is the embedded one
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
  const { scaledObjectExample } = await import('../demo/scaled-object-example.js');
  const { DEFAULT_LIVE_SCENARIO, startLiveDemo } = await import('../live/live-demo.js');
  // Validate first with a placeholder, so bad settings fail before any port opens.
  await configOrExit(options.configFile, { ...process.env, SCALER_DATABASE_URL: DEMO_PLACEHOLDER_URL });
  const bootstrapLogger = createLogger({ level: process.env['SCALER_LOG_LEVEL'] ?? 'info' });
  const metastore = await startEmbeddedMetastore(bootstrapLogger);
  const config = await configOrExit(options.configFile, { ...process.env, SCALER_DATABASE_URL: metastore.url });
  const logger = createLogger({ level: config.logLevel });
  context.useLogger(logger);
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
    if (isSimInputError(err)) fail(err.message, ExitCode.usage);
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
  context.shutdown.onSignal(async () => {
    live.stop();
    await service.close();
    await metastore.close();
  }, config.shutdownTimeoutMs + 2_000);
}
