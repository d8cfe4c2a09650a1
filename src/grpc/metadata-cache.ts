import { isScalerError } from '../core/errors.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import { metadataFingerprint, parseScalerMetadata, sameMetadata } from '../core/metadata.js';
import { metricNameFor } from '../core/metric-name.js';

export interface ResolvedWorkerSet {
  readonly spec: WorkerSetSpec;
  readonly metricName: string;
  readonly unknownKeys: readonly string[];
}

export interface MetadataCacheLimits {
  /** Entries at most. */
  readonly entries: number;
  /** Characters of cached metadata maps at most: the cache's memory bound. */
  readonly characters: number;
}

/** Room for far more triggers than any cluster has (each map is a few hundred characters). */
export const DEFAULT_CACHE_LIMITS: MetadataCacheLimits = { entries: 4_096, characters: 4 * 1024 * 1024 };

interface Entry {
  readonly metadata: Readonly<Record<string, string>>;
  readonly answer: ResolvedWorkerSet | Error;
  readonly characters: number;
  readonly fingerprint: number;
}

function charactersOf(metadata: Readonly<Record<string, string>>): number {
  let characters = 0;
  for (const name in metadata) characters += name.length + (metadata[name]?.length ?? 0);
  return characters;
}

/**
 * KEDA sends the same metadata map on every call of every ScaledObject, three calls per poll and
 * per HPA sync. Parsing once per distinct map keeps the RPC path near the bare grpc-js floor.
 * Sizes are checked before anything is cached (metadataFingerprint throws INVALID_ARGUMENT for a
 * map out of bounds), the lookup allocates nothing (an order-independent fingerprint, then an
 * entry-by-entry comparison), and the cache is bounded in entries and in characters, evicting the
 * oldest first: a client sending ever new maps costs a bounded amount of memory. Invalid metadata
 * is cached as its error, so a misconfigured trigger costs no more than a good one.
 */
export class MetadataCache {
  private readonly buckets = new Map<number, Entry[]>();
  /** Insertion order, for eviction. */
  private readonly order: Entry[] = [];
  private oldest = 0;
  private characters = 0;

  constructor(
    private readonly knownMetastores: ReadonlySet<string>,
    private readonly limits: MetadataCacheLimits = DEFAULT_CACHE_LIMITS,
  ) {}

  get size(): { readonly entries: number; readonly characters: number } {
    return { entries: this.order.length - this.oldest, characters: this.characters };
  }

  resolve(metadata: Readonly<Record<string, string>>): ResolvedWorkerSet {
    const fingerprint = metadataFingerprint(metadata);
    const bucket = this.buckets.get(fingerprint);
    let entry: Entry | undefined;
    if (bucket !== undefined) {
      for (const candidate of bucket) {
        if (sameMetadata(candidate.metadata, metadata)) {
          entry = candidate;
          break;
        }
      }
    }
    if (entry === undefined) {
      entry = { metadata: { ...metadata }, answer: this.parse(metadata), characters: charactersOf(metadata), fingerprint };
      this.insert(entry);
    }
    if (entry.answer instanceof Error) throw entry.answer;
    return entry.answer;
  }

  private insert(entry: Entry): void {
    const bucket = this.buckets.get(entry.fingerprint);
    if (bucket === undefined) this.buckets.set(entry.fingerprint, [entry]);
    else bucket.push(entry);
    this.order.push(entry);
    this.characters += entry.characters;
    while (this.order.length - this.oldest > this.limits.entries || this.characters > this.limits.characters) this.evictOldest();
    // Compact the order list now and then rather than shifting it on every eviction.
    if (this.oldest > 1_024 && this.oldest * 2 > this.order.length) {
      this.order.splice(0, this.oldest);
      this.oldest = 0;
    }
  }

  private evictOldest(): void {
    const victim = this.order[this.oldest];
    if (victim === undefined) return;
    this.oldest += 1;
    this.characters -= victim.characters;
    const bucket = this.buckets.get(victim.fingerprint) ?? [];
    const remaining = bucket.filter((candidate) => candidate !== victim);
    if (remaining.length === 0) this.buckets.delete(victim.fingerprint);
    else this.buckets.set(victim.fingerprint, remaining);
  }

  private parse(metadata: Readonly<Record<string, string>>): ResolvedWorkerSet | Error {
    try {
      const parsed = parseScalerMetadata(metadata, this.knownMetastores);
      return { spec: parsed.spec, metricName: metricNameFor(parsed.spec), unknownKeys: parsed.unknownKeys };
    } catch (err) {
      if (isScalerError(err)) return err;
      throw err;
    }
  }
}
