#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { loadConfig } from './config/load-config.js';
import type { ScalerConfig } from './core/config.js';
import { CONFIG_FILE_ENV } from './core/config.js';
import { isScalerError } from './core/errors.js';
import type { Logger } from './core/ports.js';
import { startEmbeddedMetastore } from './demo/embedded-metastore.js';
import { scaledObjectExample } from './demo/scaled-object-example.js';
import { startSyntheticWorkload } from './demo/synthetic-workload.js';
import type { RunningService } from './main.js';
import { startService } from './main.js';
import { createLogger } from './telemetry/logger.js';

const USAGE = `Usage: airflow-keda-scaler <command> [--config FILE]

Commands:
  serve    Run the KEDA external scaler against the configured Airflow metastore(s).
           Needs SCALER_DATABASE_URL or metastores.<name>.url in the config file.
  demo     Run the same service on an embedded PostgreSQL with synthetic Airflow tasks.

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

async function demo(configFile: string | undefined): Promise<void> {
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
  const workload = startSyntheticWorkload(metastore, logger);
  process.stderr.write(
    [
      '',
      'airflow-keda-scaler demo: the real service on an embedded Airflow metastore with synthetic tasks.',
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
    workload.stop();
    await service.close();
    await metastore.close();
  });
}

async function main(argv: readonly string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { config: { type: 'string' }, help: { type: 'boolean' }, version: { type: 'boolean' } },
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
  if (command === 'demo') return demo(configFile);
  fail(command === undefined ? `a command is required\n\n${USAGE}` : `unknown command "${command}"\n\n${USAGE}`, EXIT_USAGE);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(err instanceof Error ? err.message : String(err), 1);
});
