import type { WorkerSetSpec } from './metadata.js';
import type { ScalingDecision } from './scaling.js';
import { decide } from './scaling.js';
import type { Snapshot } from './snapshot.js';
import { countTasks, requireFreshSnapshot } from './snapshot.js';

/** The whole answer for one worker set: fresh snapshot → counts → decision, or a ScalerError. */
export function evaluateWorkerSet(
  spec: WorkerSetSpec,
  snapshot: Snapshot | undefined,
  nowMs: number,
  staleAfterMs: number,
): ScalingDecision {
  const fresh = requireFreshSnapshot(snapshot, spec.metastore, nowMs, staleAfterMs);
  return decide(countTasks(fresh, spec), spec);
}
