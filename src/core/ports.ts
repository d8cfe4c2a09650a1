import type { Snapshot } from './snapshot.js';

/** Milliseconds since the epoch. Injected everywhere so core stays deterministic. */
export interface Clock {
  now(): number;
}

/** Reads one metastore. Implemented by `metastore/`; the poller is its only caller. */
export interface TaskCountReader {
  readonly metastore: string;
  /** One query returning every (queue, executor, state) count; throws ScalerError on failure. */
  read(startedAtMs: number): Promise<Snapshot>;
  close(): Promise<void>;
}

/** Where RPC handlers get data from: the latest snapshot, never the database. */
export interface SnapshotSource {
  latest(metastore: string): Snapshot | undefined;
  /** Called after every successful read; returns an unsubscribe function. */
  onSnapshot(listener: (snapshot: Snapshot) => void): () => void;
}

export type LogFields = Record<string, unknown>;

/** The logging surface adapters use; `telemetry/` provides it with pino. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(bindings: LogFields): Logger;
}
