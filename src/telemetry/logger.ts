import { pino } from 'pino';

import type { LogFields, Logger } from '../core/ports.js';

// Belt and braces: the code never logs a URL unredacted, and these paths are censored anyway.
const REDACT_PATHS = ['url', 'password', 'connectionString', '*.url', '*.password', '*.connectionString'];

export interface LoggerOptions {
  readonly level: string;
  /** Defaults to stdout; tests pass a stream to read what was written. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * pino writes a key once per source, so a field both bound by `child()` and passed again would
 * appear twice in one JSON line (`"metastore":"default","metastore":"default"`). A field already
 * bound is dropped from the call: every key appears once.
 */
function wrap(base: pino.Logger, bound: ReadonlySet<string>): Logger {
  const own = (fields: LogFields): LogFields => {
    if (bound.size === 0) return fields;
    if (!Object.keys(fields).some((key) => bound.has(key))) return fields;
    return Object.fromEntries(Object.entries(fields).filter(([key]) => !bound.has(key)));
  };
  return {
    debug: (fields: LogFields, message: string) => base.debug(own(fields), message),
    info: (fields: LogFields, message: string) => base.info(own(fields), message),
    warn: (fields: LogFields, message: string) => base.warn(own(fields), message),
    error: (fields: LogFields, message: string) => base.error(own(fields), message),
    child: (bindings: LogFields) => {
      const fresh = own(bindings);
      return wrap(base.child(fresh), new Set([...bound, ...Object.keys(fresh)]));
    },
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
  return wrap(base, new Set(['service']));
}
