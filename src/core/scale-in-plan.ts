import type { WorkerPod } from './ports.js';
import { compareBeforeCost, compareUpToCost, isActivePod } from './replica-set-ranking.js';

/**
 * pod-deletion-cost values we write. The ReplicaSet deletes lower costs first (after pending and
 * not-ready pods); pods we keep carry no annotation, i.e. 0.
 */
export const DeletionCost = {
  /** A victim that may go now: idle and no longer consuming. */
  removable: -1000,
  /** A victim still finishing tasks: ranked below the keepers, above the removable. */
  draining: -500,
} as const;

/** What the scaler knows of a worker it told to stop consuming. */
export interface DrainState {
  /** When the worker confirmed cancel_consumer for every queue; null while unconfirmed. */
  readonly confirmedAtMs: number | null;
}

export interface ScaleInInput {
  /** The plain formula's answer: clamp(ceil((queued + running) / concurrency), min, max). */
  readonly desired: number;
  readonly pods: readonly WorkerPod[];
  /** Running tasks per pod name, from the snapshot the plan is for. */
  readonly running: ReadonlyMap<string, number>;
  readonly draining: ReadonlyMap<string, DrainState>;
  /** When the query behind `running` started: a drain confirmed after it is not yet proven. */
  readonly snapshotTakenAtMs: number;
  /** Whether busy victims can be drained (policy `drain` and a reachable broker). */
  readonly canDrain: boolean;
}

/** Which pods the workload controller removes first when the count drops. */
export type RemovalOrder = 'deletion-cost' | 'highest-ordinal';

export interface WorkerCounts {
  readonly busy: number;
  readonly idle: number;
  readonly draining: number;
}

export type ScaleInPlan =
  | { readonly kind: 'unsupported'; readonly reason: string }
  | {
      readonly kind: 'plan';
      readonly order: RemovalOrder;
      /** Pods the HPA counts: not terminating and not finished. */
      readonly active: readonly string[];
      /** Exactly the surplus, in the order they should go. */
      readonly victims: readonly string[];
      /** Victims that may be removed now; the rest are held until idle. */
      readonly removable: ReadonlySet<string>;
      /** Victims to send cancel_consumer to (not yet confirmed as draining). */
      readonly drain: readonly string[];
      /** Draining pods that are needed again: add_consumer puts them back to work. */
      readonly restore: readonly string[];
      /** The annotation every active pod should carry (deletion-cost order only; empty otherwise). */
      readonly costs: ReadonlyMap<string, number | null>;
      readonly counts: WorkerCounts;
    };

/** The StatefulSet ordinal in `<name>-<ordinal>`, or null. */
export function ordinalOf(podName: string): number | null {
  const match = /-(0|[1-9][0-9]*)$/.exec(podName);
  return match?.[1] === undefined ? null : Number(match[1]);
}

function removalOrderOf(pods: readonly WorkerPod[]): { readonly order: RemovalOrder } | { readonly reason: string } {
  const kinds = new Set(pods.map((pod) => pod.ownerKind));
  if (kinds.size === 0) return { order: 'deletion-cost' };
  if (kinds.size > 1) return { reason: `worker pods have different owners (${[...kinds].join(', ')})` };
  const [kind] = kinds;
  if (kind === 'ReplicaSet') return { order: 'deletion-cost' };
  if (kind === 'StatefulSet') {
    const unnumbered = pods.find((pod) => ordinalOf(pod.name) === null);
    return unnumbered === undefined ? { order: 'highest-ordinal' } : { reason: `StatefulSet pod ${unnumbered.name} has no ordinal` };
  }
  return { reason: `worker pods are owned by ${kind ?? 'nothing'}, which removes pods in an order we cannot steer` };
}

/** A pod as the victim choice weighs it: its running tasks and whether it is draining already. */
export interface VictimCandidate {
  readonly pod: WorkerPod;
  readonly load: number;
  readonly draining: boolean;
}

/**
 * The order victims are chosen in, for pods the workload controller ranks by deletion cost: the
 * pods the ReplicaSet would remove first anyway (unscheduled, pending, not ready, ranked as it
 * does up to the cost), then idle ones, then the ones already draining (their load only falls;
 * re-choosing by the latest counts would restore one and drain another every tick), then the
 * least loaded, then by name. A total order: names are unique.
 */
export function compareVictimOrder(p: VictimCandidate, q: VictimCandidate): number {
  const head = compareBeforeCost(p.pod, q.pod);
  if (head !== 0) return head;
  const busy = (p.load > 0 ? 1 : 0) - (q.load > 0 ? 1 : 0);
  if (busy !== 0) return busy;
  if (p.draining !== q.draining) return p.draining ? -1 : 1;
  if (p.load !== q.load) return p.load - q.load;
  return p.pod.name < q.pod.name ? -1 : p.pod.name > q.pod.name ? 1 : 0;
}

/**
 * Whether a plan still holds when, since it was made, only running tasks changed (the same
 * desired count, pods, costs, drains and confirmations): `victims` are still the first of
 * `candidates` in `compareVictimOrder` (every victim before every kept pod; checked in one pass,
 * no sort), and, when draining, no victim turned idle or busy, which decides whether it may go.
 * Everything else in a plan follows from those. A speed cache for callers that plan often.
 */
export function victimChoiceStands(
  candidates: readonly VictimCandidate[],
  victims: ReadonlySet<string>,
  busyVictims: ReadonlySet<string>,
  canDrain: boolean,
): boolean {
  let lastVictim: VictimCandidate | undefined;
  let firstKept: VictimCandidate | undefined;
  for (const candidate of candidates) {
    if (victims.has(candidate.pod.name)) {
      if (canDrain && candidate.load > 0 !== busyVictims.has(candidate.pod.name)) return false;
      if (lastVictim === undefined || compareVictimOrder(candidate, lastVictim) > 0) lastVictim = candidate;
    } else if (firstKept === undefined || compareVictimOrder(candidate, firstKept) < 0) {
      firstKept = candidate;
    }
  }
  return lastVictim === undefined || firstKept === undefined || compareVictimOrder(lastVictim, firstKept) < 0;
}

/**
 * Chooses the surplus workers. With pod-deletion-cost we choose freely (`compareVictimOrder`). A
 * StatefulSet always removes its highest ordinals, so those are the victims whatever their load.
 */
function chooseVictims(pods: readonly WorkerPod[], order: RemovalOrder, input: ScaleInInput, surplus: number): WorkerPod[] {
  if (surplus <= 0) return [];
  if (order === 'highest-ordinal') {
    return [...pods].sort((p, q) => (ordinalOf(q.name) ?? 0) - (ordinalOf(p.name) ?? 0)).slice(0, surplus);
  }
  const candidates = pods.map((pod) => ({ pod, load: input.running.get(pod.name) ?? 0, draining: input.draining.has(pod.name) }));
  candidates.sort(compareVictimOrder);
  return candidates.slice(0, surplus).map((candidate) => candidate.pod);
}

/**
 * A victim may go once nothing can be lost: it never started (not Running, no tasks), or, when
 * draining is possible, it confirmed it stopped consuming before the snapshot's query began and
 * that snapshot shows it idle. Without draining the chosen victims go as the formula says.
 */
function isRemovable(pod: WorkerPod, input: ScaleInInput): boolean {
  const busy = (input.running.get(pod.name) ?? 0) > 0;
  if (pod.phase !== 'Running' && !busy) return true;
  if (!input.canDrain) return true;
  const confirmedAt = input.draining.get(pod.name)?.confirmedAtMs ?? null;
  return !busy && confirmedAt !== null && confirmedAt <= input.snapshotTakenAtMs;
}

/** Decides victims, drains, restores and the pod-deletion-cost each pod should carry. Pure. */
export function planScaleIn(input: ScaleInInput): ScaleInPlan {
  const active = input.pods.filter(isActivePod);
  const removal = removalOrderOf(active);
  if ('reason' in removal) return { kind: 'unsupported', reason: removal.reason };
  const { order } = removal;

  const victims = chooseVictims(active, order, input, active.length - input.desired);
  const victimNames = new Set(victims.map((pod) => pod.name));
  const removable = new Set(victims.filter((pod) => isRemovable(pod, input)).map((pod) => pod.name));
  const drain = input.canDrain
    ? victims
        .filter((pod) => pod.phase === 'Running' && (input.draining.get(pod.name)?.confirmedAtMs ?? null) === null)
        .map((pod) => pod.name)
    : [];
  const restore = active.filter((pod) => input.draining.has(pod.name) && !victimNames.has(pod.name)).map((pod) => pod.name);

  const costs = new Map<string, number | null>();
  if (order === 'deletion-cost') {
    for (const pod of active) {
      const cost = removable.has(pod.name) ? DeletionCost.removable : victimNames.has(pod.name) ? DeletionCost.draining : null;
      costs.set(pod.name, cost);
    }
  }

  const busy = active.filter((pod) => (input.running.get(pod.name) ?? 0) > 0).length;
  const stillDraining = active.filter((pod) => input.draining.has(pod.name) && victimNames.has(pod.name)).length;
  return {
    kind: 'plan',
    order,
    active: active.map((pod) => pod.name),
    victims: victims.map((pod) => pod.name),
    removable,
    drain,
    restore,
    costs,
    counts: { busy, idle: active.length - busy, draining: stillDraining },
  };
}

/**
 * The worker count to report for a plan, given the pods as they are annotated now (a patch that
 * failed or was deferred is not there). Only removable pods that the workload controller ranks
 * strictly before every pod we keep may be subtracted: then dropping the count by that many
 * removes exactly them, whatever the controller's later tie-breakers.
 */
export function reportedReplicas(plan: Extract<ScaleInPlan, { kind: 'plan' }>, pods: readonly WorkerPod[], desired: number): number {
  const activeNames = new Set(plan.active);
  const compare = (p: WorkerPod, q: WorkerPod): number =>
    plan.order === 'highest-ordinal' ? (ordinalOf(q.name) ?? 0) - (ordinalOf(p.name) ?? 0) : compareUpToCost(p, q);
  let active = 0;
  let lowestHeld: WorkerPod | undefined;
  const removable: WorkerPod[] = [];
  for (const pod of pods) {
    if (!activeNames.has(pod.name)) continue;
    active += 1;
    if (plan.removable.has(pod.name)) removable.push(pod);
    else if (lowestHeld === undefined || compare(pod, lowestHeld) < 0) lowestHeld = pod;
  }
  const held = lowestHeld;
  const removableFirst = removable.filter((pod) => held === undefined || compare(pod, held) < 0).length;
  return Math.max(desired, active - removableFirst);
}
