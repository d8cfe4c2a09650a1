/**
 * How a worker set is scaled in:
 * - `drain` (default): choose the surplus workers (idle first, then least loaded), rank them for
 *   deletion with pod-deletion-cost, stop busy ones consuming with Celery's cancel_consumer and
 *   keep them counted until idle, so no running task is killed;
 * - `rank`: only rank the surplus for deletion (no broker needed); busy victims can still be
 *   killed when the count drops, but the least loaded go first;
 * - `off`: the plain formula, the ReplicaSet picks whom to remove.
 */
export const SCALE_IN_POLICIES = ['drain', 'rank', 'off'] as const;
export type ScaleInPolicy = (typeof SCALE_IN_POLICIES)[number];

export interface ScaleInSpec {
  readonly policy: ScaleInPolicy;
  /** Kubernetes label selector of the worker pods, in the ScaledObject's namespace. */
  readonly podSelector: string;
}

export const DEFAULT_SCALE_IN_POLICY: ScaleInPolicy = 'drain';
/** The official chart labels worker pods `component: worker` (plus `release`, `tier`). */
export const DEFAULT_WORKER_POD_SELECTOR = 'component=worker';

// Label keys: optional DNS-subdomain prefix and a name of [A-Za-z0-9._-]; values up to 63.
const LABEL_KEY = String.raw`(?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`;
const LABEL_VALUE = String.raw`(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?`;
const SELECTOR_TERM = new RegExp(String.raw`^(?:!?${LABEL_KEY}|${LABEL_KEY}\s*(?:==|=|!=)\s*${LABEL_VALUE})$`);

/**
 * Checks an equality-based label selector (`a=b,c!=d,e,!f`) and returns it normalised, or null.
 * Set-based terms (`in`, `notin`) are refused: their commas make the selector ambiguous to split
 * and an equality selector always suffices for the chart's labels.
 */
export function normaliseLabelSelector(raw: string): string | null {
  const terms = raw.split(',').map((term) => term.trim());
  if (terms.some((term) => !SELECTOR_TERM.test(term))) return null;
  return terms.map((term) => term.replace(/\s+/g, '')).join(',');
}
