import { createHash } from 'node:crypto';

/*
 * The counts the scale-in leader publishes for the other replicas, through an annotation of its
 * Lease. Two rules live here: how long a count stands (the same for the leader's own answers and
 * for what the others read), and how the annotation stays small whatever clients send.
 */

/** A count the leader's plan lets KEDA hear for one target, standing until `expiresAtMs`. */
export interface PublishedCount {
  readonly reported: number;
  readonly expiresAtMs: number;
}

/**
 * The count while it stands, else undefined (the caller falls back to the formula). A count the
 * leader stopped re-planning (its pod lists fail) must not outlive its TTL anywhere: not in the
 * leader's answers and not in the Lease the others answer from.
 */
export function standingCount(count: PublishedCount | undefined, nowMs: number): number | undefined {
  return count !== undefined && nowMs <= count.expiresAtMs ? count.reported : undefined;
}

/**
 * At most this many targets are published; `limits.maxScaleInTargets` cannot be set higher, so
 * the leader never has to leave a target out (a left-out target would make the others answer
 * the formula, lower than the leader).
 */
export const MAX_PUBLISHED_TARGETS = 2_000;
/** Counts are replica counts; nothing real comes near. Published counts are capped at it. */
export const MAX_PUBLISHED_COUNT = 1_000_000;
const TARGET_ID_LENGTH = 16;

/**
 * A target's name in the annotation: 96 bits of SHA-256 of its key, base64url. A key holds a
 * client's namespace and pod selector (up to 4 KiB); the id has a fixed length, so the
 * annotation's size does not depend on what clients send. SHA-256 rather than a short
 * non-cryptographic hash, so no one can craft a selector whose id is a real target's.
 */
export function publishedTargetId(targetKey: string): string {
  return createHash('sha256').update(targetKey).digest('base64url').slice(0, TARGET_ID_LENGTH);
}

/**
 * The annotation's largest possible length (ASCII, so also bytes): `{"<id>":<count>,...}` with
 * every target and every count at its maximum. 54,002, far under the 256 KiB that Kubernetes
 * allows for all of an object's annotations together; readers accept at least this much.
 */
export const MAX_PUBLISHED_ANNOTATION_LENGTH = 2 + MAX_PUBLISHED_TARGETS * (TARGET_ID_LENGTH + `"":${MAX_PUBLISHED_COUNT},`.length);

/**
 * What the leader writes into the Lease at `nowMs`: the standing counts by target id, at most
 * MAX_PUBLISHED_TARGETS. Two keys with one id (never by chance at 96 bits) publish the higher
 * count: a replica answering from it may keep a worker too many, never remove a busy one.
 */
export function countsForLease(own: ReadonlyMap<string, PublishedCount>, nowMs: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [key, count] of own) {
    const reported = standingCount(count, nowMs);
    if (reported === undefined) continue;
    const id = publishedTargetId(key);
    const earlier = counts.get(id);
    if (earlier === undefined && counts.size >= MAX_PUBLISHED_TARGETS) continue;
    counts.set(id, Math.min(MAX_PUBLISHED_COUNT, Math.max(earlier ?? 0, reported)));
  }
  return counts;
}
