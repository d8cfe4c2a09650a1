import { pino } from 'pino';

import type { LogFields, Logger } from '../core/ports.js';

// Belt and braces: the code never logs a URL unredacted, and these paths are censored anyway.
const REDACT_PATHS = ['url', 'password', 'connectionString', '*.url', '*.password', '*.connectionString'];

export interface LoggerOptions {
  readonly level: string;
  /** Defaults to stdout; tests pass a stream to read what was written. */
  readonly destination?: NodeJS.WritableStream;
}

function wrap(base: pino.Logger): Logger {
  return {
    debug: (fields: LogFields, message: string) => base.debug(fields, message),
    info: (fields: LogFields, message: string) => base.info(fields, message),
    warn: (fields: LogFields, message: string) => base.warn(fields, message),
    error: (fields: LogFields, message: string) => base.error(fields, message),
    child: (bindings: LogFields) => wrap(base.child(bindings)),
  };
}

/** JSON logs on stdout, one object per line, as log collectors on EKS expect. */
export function createLogger(options: LoggerOptions): Logger {
  const base = pino(
    {
      level: options.level,
      base: { service: 'airflow-keda-scaler' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  return wrap(base);
}
