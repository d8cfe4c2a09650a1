import { packageVersion } from '../telemetry/build-info.js';

/** Exit codes every command shares; the README documents them. */
export const ExitCode = {
  ok: 0,
  /** A runtime failure (the metastore unreachable for export-trace, a port already taken). */
  failure: 1,
  /** Bad arguments or configuration: nothing was started. */
  usage: 2,
} as const;

export function fail(message: string, code: number): never {
  process.stderr.write(`airflow-keda-scaler: ${message}\n`);
  process.exit(code);
}

export function version(): string {
  return packageVersion();
}
