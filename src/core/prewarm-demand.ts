import type { PrewarmSpec } from './prewarm.js';

/** What the worker sets with `prewarm: schedule` need of one metastore: the widest lead, the most runs. */
export interface ForecastDemand {
  readonly leadMs: number;
  readonly historyRuns: number;
}

interface Seen {
  /** leadMs → when a set last asked with it. */
  readonly leads: Map<number, number>;
  /** historyRuns → when a set last asked with it. */
  readonly runs: Map<number, number>;
}

/**
 * Which pre-warming the metastore's reads must serve, from every set KEDA asked about within
 * `ttlMs`, tracked or not: a set beyond `limits.maxWorkerSets` gets no series, but its answer
 * still counts its forecast, so the due DAGs must be read for it too. Bounded by construction:
 * configured metastores × validated leads (1–3,600 s) and history lengths (1–50).
 */
export class PrewarmDemandLedger {
  private readonly byMetastore = new Map<string, Seen>();

  constructor(private readonly ttlMs: number) {}

  /** Called on every request for a set: allocates nothing once its values are known. */
  note(metastore: string, prewarm: PrewarmSpec | undefined, nowMs: number): void {
    if (prewarm === undefined || prewarm.mode === 'off') return;
    let seen = this.byMetastore.get(metastore);
    if (seen === undefined) {
      seen = { leads: new Map(), runs: new Map() };
      this.byMetastore.set(metastore, seen);
    }
    seen.leads.set(prewarm.leadMs, nowMs);
    seen.runs.set(prewarm.historyRuns, nowMs);
  }

  /** The demand at `nowMs`, forgetting values no set asked for within the TTL; null: none pre-warms. */
  demand(metastore: string, nowMs: number): ForecastDemand | null {
    const seen = this.byMetastore.get(metastore);
    if (seen === undefined) return null;
    const leadMs = this.widest(seen.leads, nowMs);
    const historyRuns = this.widest(seen.runs, nowMs);
    if (leadMs === 0 || historyRuns === 0) {
      this.byMetastore.delete(metastore);
      return null;
    }
    return { leadMs, historyRuns };
  }

  private widest(values: Map<number, number>, nowMs: number): number {
    let widest = 0;
    for (const [value, lastSeenMs] of values) {
      if (nowMs - lastSeenMs > this.ttlMs) values.delete(value);
      else widest = Math.max(widest, value);
    }
    return widest;
  }
}
