import type { Logger } from '../../src/core/ports.js';

/** A Logger that drops everything, for code under test whose logs the test does not read. */
export const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quietLogger,
};
