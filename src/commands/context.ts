import type { Logger } from '../core/ports.js';
import type { ShutdownHandle } from './signals.js';

/** What cli.ts hands every command: the process-wide signal handling and where it logs. */
export interface CommandContext {
  readonly shutdown: ShutdownHandle;
  /** Log shutdown through this logger from now on (before it, JSON lines on stdout). */
  useLogger(logger: Logger): void;
}
