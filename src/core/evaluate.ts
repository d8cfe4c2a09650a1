import type { WorkerSetSpec } from './metadata.js';
import type { ScalingDecision } from './scaling.js';
import { decide } from './scaling.js';
import type { Snapshot } from './snapshot.js';
import { countTasks, forecastOf, requireFreshSnapshot } from './snapshot.js';

/** Counts and forecast of a worker set in a fresh snapshot. */
function countsOf(snapshot: Snapshot, spec: WorkerSetSpec): { queued: number; running: number; forecast: number } {
  return { ...countTasks(snapshot, spec), forecast: forecastOf(snapshot, spec).tasks };
}

/**
 * The whole answer for one worker set (fresh snapshot → counts → decision, or a ScalerError),
 * remembered per snapshot and spec. KEDA asks the same three questions about
 * each worker set on every poll and HPA sync, and the answer can only change with a new snapshot
 * (freshness, which depends on the clock, is checked on every call). Specs come from the metadata
 * cache, one object per distinct map, so identity is the key; old snapshots are collected with
 * their answers.
 */
export class DecisionMemo {
  private readonly bySnapshot = new WeakMap<Snapshot, Map<WorkerSetSpec, ScalingDecision | Error>>();

  constructor(private readonly staleAfterMs: number) {}

  decide(spec: WorkerSetSpec, snapshot: Snapshot | undefined, nowMs: number): ScalingDecision {
    const fresh = requireFreshSnapshot(snapshot, spec.metastore, nowMs, this.staleAfterMs);
    let answers = this.bySnapshot.get(fresh);
    if (answers === undefined) {
      answers = new Map();
      this.bySnapshot.set(fresh, answers);
    }
    let answer = answers.get(spec);
    if (answer === undefined) {
      try {
        answer = decide(countsOf(fresh, spec), spec);
      } catch (err) {
        answer = err instanceof Error ? err : new Error(String(err));
      }
      answers.set(spec, answer);
    }
    if (answer instanceof Error) throw answer;
    return answer;
  }
}
