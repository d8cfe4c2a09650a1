import type { Snapshot } from './snapshot.js';
import { freshness } from './snapshot.js';

export interface PollerStatus {
  readonly metastore: string;
  readonly latest: Snapshot | undefined;
  /** When the last read attempt (successful or not) finished, or undefined before the first. */
  readonly lastAttemptEndedAtMs: number | undefined;
  readonly startedAtMs: number;
  readonly consecutiveFailures: number;
  readonly lastErrorCode: string | undefined;
}

export interface HealthLimits {
  readonly staleAfterMs: number;
  /** A loop that has not finished an attempt for this long is wedged. */
  readonly wedgedAfterMs: number;
}

export interface HealthReport {
  /** Every metastore has a fresh snapshot: the scaler can answer KEDA truthfully. */
  readonly ready: boolean;
  /** Every poll loop is still making attempts; a restart would not help otherwise. */
  readonly live: boolean;
  readonly metastores: readonly {
    readonly name: string;
    readonly fresh: boolean;
    readonly snapshotAgeMs: number | null;
    readonly consecutiveFailures: number;
    readonly lastErrorCode: string | null;
  }[];
}

export function evaluateHealth(statuses: readonly PollerStatus[], nowMs: number, limits: HealthLimits): HealthReport {
  const metastores = statuses.map((status) => {
    const state = freshness(status.latest, nowMs, limits.staleAfterMs);
    return {
      name: status.metastore,
      fresh: state.kind === 'fresh',
      snapshotAgeMs: state.kind === 'missing' ? null : state.ageMs,
      consecutiveFailures: status.consecutiveFailures,
      lastErrorCode: status.lastErrorCode ?? null,
    };
  });
  const live = statuses.every((status) => {
    const since = status.lastAttemptEndedAtMs ?? status.startedAtMs;
    return nowMs - since <= limits.wedgedAfterMs;
  });
  return { ready: metastores.length > 0 && metastores.every((m) => m.fresh), live, metastores };
}

/**
 * Milliseconds until the first snapshot that is fresh now turns stale, or undefined when none is
 * fresh: readiness must drop at that instant, not at the next periodic look.
 */
export function nextFreshnessChangeMs(statuses: readonly PollerStatus[], nowMs: number, staleAfterMs: number): number | undefined {
  let next: number | undefined;
  for (const status of statuses) {
    const state = freshness(status.latest, nowMs, staleAfterMs);
    if (state.kind !== 'fresh') continue;
    const until = staleAfterMs - state.ageMs + 1;
    if (next === undefined || until < next) next = until;
  }
  return next;
}
