import { parseArgs } from 'node:util';

import { loadConfig } from '../config/load-config.js';
import type { ScalerConfig } from '../core/config.js';
import { CONFIG_FILE_ENV } from '../core/config.js';
import { isScalerError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { startService } from '../main.js';
import { createLogger } from '../telemetry/logger.js';
import { ExitCode, fail } from './common.js';
import type { CommandContext } from './context.js';

export const SERVE_USAGE = `Usage: airflow-keda-scaler serve [--config FILE]

Runs the KEDA external scaler (gRPC externalscaler.ExternalScaler, grpc.health.v1) and its HTTP
endpoints (/metrics, /healthz, /readyz) against the configured Airflow metastore(s).
Needs SCALER_DATABASE_URL (or metastores.<name>.url in the config file).

Options:
  --config FILE   YAML configuration file (or ${CONFIG_FILE_ENV}); environment variables override it.
  --help          Show this help.

Exit status: 0 after SIGTERM/SIGINT, 2 for invalid configuration (every problem is listed,
nothing is opened), 1 when the service cannot start (e.g. a port already in use).
`;

/** Loads and validates the configuration, or exits 2 listing every problem. */
export async function configOrExit(configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<ScalerConfig> {
  try {
    return await loadConfig(configFile, env);
  } catch (err) {
    if (isScalerError(err)) fail(err.message, ExitCode.usage);
    throw err;
  }
}

export async function serveCommand(argv: readonly string[], context: CommandContext): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${SERVE_USAGE}`, ExitCode.usage);
  }
  if (values.help === true) {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  const config = await configOrExit(values.config ?? process.env[CONFIG_FILE_ENV], process.env);
  const logger: Logger = createLogger({ level: config.logLevel });
  context.useLogger(logger);
  const service = await startService(config, { logger });
  context.shutdown.onSignal(() => service.close(), config.shutdownTimeoutMs + 1_000);
}
