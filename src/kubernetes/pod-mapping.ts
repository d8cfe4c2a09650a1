import { POD_DELETION_COST_ANNOTATION } from '../core/ports.js';
import type { WorkerPod } from '../core/ports.js';

/**
 * The parts of a `v1` Pod the mapping reads. Structural, so it accepts both client-node's
 * deserialised `V1Pod` (timestamps as `Date`) and raw API JSON (timestamps as strings).
 */
export interface PodObject {
  readonly metadata?: {
    readonly name?: string;
    readonly deletionTimestamp?: Date | string | null;
    readonly annotations?: Readonly<Record<string, string>> | null;
    readonly ownerReferences?: readonly { readonly kind: string; readonly controller?: boolean | null }[] | null;
  } | null;
  readonly spec?: { readonly nodeName?: string | null } | null;
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string }[] | null;
  } | null;
}

/** The range of pod-deletion-cost (an int32, as the ReplicaSet controller parses it). */
export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;

/**
 * Parses a pod-deletion-cost value the way the ReplicaSet controller does
 * (`strconv.ParseInt(value, 10, 32)` after rejecting a leading `+` or leading zeros):
 * an int32 in base 10, or null when the controller would ignore it.
 */
export function parseDeletionCost(value: string | undefined): number | null {
  if (value === undefined) return null;
  // "0", "-<digits>", or a non-zero digit followed by digits. No "+", no spaces, no "008".
  if (!/^(?:0|-\d+|[1-9]\d*)$/.test(value)) return null;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < INT32_MIN || parsed > INT32_MAX) return null;
  // Number("-0") is -0; the controller sees 0.
  return parsed === 0 ? 0 : parsed;
}

/** Phase Running and condition Ready=True, exactly what the ReplicaSet controller ranks as ready. */
export function isPodReady(pod: PodObject): boolean {
  const status = pod.status;
  if (status?.phase !== 'Running') return false;
  return (status.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/** Kind of the owner reference with `controller: true`, null when nothing controls the pod. */
export function controllerKind(pod: PodObject): string | null {
  const owner = (pod.metadata?.ownerReferences ?? []).find((reference) => reference.controller === true);
  return owner?.kind ?? null;
}

/** Maps one pod from the API to what the scale-in planner needs; null for a pod without a name. */
export function toWorkerPod(pod: PodObject): WorkerPod | null {
  const metadata = pod.metadata;
  const name = metadata?.name;
  if (name === undefined || name === '') return null;
  const deletionTimestamp = metadata?.deletionTimestamp;
  const nodeName = pod.spec?.nodeName;
  return {
    name,
    phase: pod.status?.phase ?? 'Unknown',
    scheduled: nodeName !== undefined && nodeName !== null && nodeName !== '',
    ready: isPodReady(pod),
    terminating: deletionTimestamp !== undefined && deletionTimestamp !== null && deletionTimestamp !== '',
    deletionCost: parseDeletionCost(metadata?.annotations?.[POD_DELETION_COST_ANNOTATION]),
    ownerKind: controllerKind(pod),
  };
}

/** Maps a pod list, dropping the (impossible from a real API server) pods without a name. */
export function toWorkerPods(pods: readonly PodObject[]): WorkerPod[] {
  const result: WorkerPod[] = [];
  for (const pod of pods) {
    const mapped = toWorkerPod(pod);
    if (mapped !== null) result.push(mapped);
  }
  return result;
}
