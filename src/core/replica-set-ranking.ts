import type { WorkerPod } from './ports.js';

/*
 * The ReplicaSet controller's deletion ranking: which pods go first when a ReplicaSet has more
 * pods than spec.replicas. Kubernetes `pkg/controller/replicaset/replica_set.go`
 * (`getPodsToDelete` sorts with `ActivePodsWithRanks`) and `pkg/controller/controller_utils.go`
 * (`ActivePodsWithRanks.Less`, `logarithmicRankDiff`), with the PodDeletionCost and
 * LogarithmicScaleDown features on (both default since Kubernetes 1.22).
 *
 * The scaler's planner, the simulator's ReplicaSet and the live demo's ReplicaSet all rank here.
 */

/** Pod phases the ReplicaSet ranks: `podPhaseToOrdinal` (Pending < Unknown < Running). */
const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** What the ranking reads of a pod beyond `WorkerPod`: known to a model, not to the scaler. */
export interface RankedPod extends Pick<WorkerPod, 'scheduled' | 'phase' | 'ready' | 'deletionCost'> {
  /** When the Ready condition last turned true (ms); null when not ready. */
  readonly readySinceMs: number | null;
  readonly createdAtMs: number;
  /** `metadata.uid`: the tie-breaker within one logarithmic bucket (effectively random). */
  readonly uid: number | string;
  /** The highest restart count of the pod's containers. */
  readonly restarts: number;
}

/** A model's pod phase: Pending until ready, Running after (a model's pods never finish). */
function modelledPhase(ready: boolean): 'Pending' | 'Running' {
  return ready ? 'Running' : 'Pending';
}

/**
 * A worker pod of a model (the simulator's or the live demo's ReplicaSet): always scheduled,
 * Pending until ready and Running after, never restarted.
 */
export function modelledPod(state: {
  readonly ready: boolean;
  readonly deletionCost: number | null;
  readonly readySinceMs: number | null;
  readonly createdAtMs: number;
  readonly uid: number;
}): RankedPod {
  return { scheduled: true, phase: modelledPhase(state.ready), restarts: 0, ...state };
}

/**
 * The same modelled pod as the Kubernetes API lists it to the scaler's planner: a
 * ReplicaSet-owned, always scheduled pod, Pending until ready and Running after, so the planner
 * and the ReplicaSet's ranking (`modelledPod`) see one phase.
 */
export function modelledWorkerPod(name: string, ready: boolean, deletionCost: number | null, terminating = false): WorkerPod {
  return { name, phase: modelledPhase(ready), scheduled: true, ready, terminating, deletionCost, ownerKind: 'ReplicaSet' };
}

/** Whether a pod counts at all: not being deleted and not finished (`controller.IsPodActive`). */
export function isActivePod(pod: Pick<WorkerPod, 'terminating' | 'phase'>): boolean {
  return !pod.terminating && pod.phase in PHASE_ORDINAL;
}

/**
 * The ranking's first three criteria: unscheduled first (`spec.nodeName` empty), then by phase,
 * then not ready. Negative when `p` goes first.
 */
export function compareBeforeCost(p: Pick<WorkerPod, 'scheduled' | 'phase' | 'ready'>, q: Pick<WorkerPod, 'scheduled' | 'phase' | 'ready'>): number {
  if (p.scheduled === q.scheduled && p.phase === q.phase && p.ready === q.ready) return 0;
  if (p.scheduled !== q.scheduled) return p.scheduled ? 1 : -1;
  const phase = (PHASE_ORDINAL[p.phase] ?? 0) - (PHASE_ORDINAL[q.phase] ?? 0);
  if (phase !== 0) return phase;
  if (p.ready !== q.ready) return p.ready ? 1 : -1;
  return 0;
}

/**
 * The first four criteria, with the fourth, lower pod-deletion-cost first (an absent annotation
 * is 0). These are all the scaler can steer or see; what follows (ready time, restarts, creation)
 * it cannot, so pods equal up to here are ties to it.
 */
export function compareUpToCost(
  p: Pick<WorkerPod, 'scheduled' | 'phase' | 'ready' | 'deletionCost'>,
  q: Pick<WorkerPod, 'scheduled' | 'phase' | 'ready' | 'deletionCost'>,
): number {
  return compareBeforeCost(p, q) || (p.deletionCost ?? 0) - (q.deletionCost ?? 0);
}

/** `logarithmicRankDiff`: the difference of floor(log2(age in ns)), ages measured at `nowMs`. */
function logarithmicRank(sinceMs: number, nowMs: number): number {
  const ageNs = (nowMs - sinceMs) * 1e6;
  return ageNs > 0 ? Math.floor(Math.log2(ageNs)) : -1;
}

function compareUid(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `ActivePodsWithRanks.Less` as a comparator: negative when `p` is deleted before `q`. The
 * colocation rank (criterion 5: pods doubled up on a node go first) is not modelled: the models
 * place no pods on nodes, so every pod has the same rank. Go's sort is not stable, so pods equal on
 * every criterion go in an unspecified order; here the UID decides, as within a bucket.
 */
export function compareForDeletion(p: RankedPod, q: RankedPod, nowMs: number): number {
  const head = compareUpToCost(p, q);
  if (head !== 0) return head;
  // 6. Both ready: the more recently ready first, in log2 buckets of ready age, then by UID.
  if (p.ready && q.ready && p.readySinceMs !== null && q.readySinceMs !== null && p.readySinceMs !== q.readySinceMs) {
    const diff = logarithmicRank(p.readySinceMs, nowMs) - logarithmicRank(q.readySinceMs, nowMs);
    return diff !== 0 ? diff : compareUid(p.uid, q.uid);
  }
  // 7. More container restarts first.
  if (p.restarts !== q.restarts) return q.restarts - p.restarts;
  // 8. The newer pod first, in log2 buckets of age, then by UID.
  if (p.createdAtMs !== q.createdAtMs) {
    const diff = logarithmicRank(p.createdAtMs, nowMs) - logarithmicRank(q.createdAtMs, nowMs);
    if (diff !== 0) return diff;
  }
  return compareUid(p.uid, q.uid);
}

/** The `count` pods the ReplicaSet deletes when it must shed that many (`getPodsToDelete`). */
export function podsToDelete<T extends RankedPod>(pods: readonly T[], count: number, nowMs: number): T[] {
  if (count <= 0) return [];
  return [...pods].sort((p, q) => compareForDeletion(p, q, nowMs)).slice(0, count);
}
