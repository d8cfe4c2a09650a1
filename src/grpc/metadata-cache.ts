import { isScalerError } from '../core/errors.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import { metadataKey, parseScalerMetadata } from '../core/metadata.js';
import { metricNameFor } from '../core/metric-name.js';

export interface ResolvedWorkerSet {
  readonly spec: WorkerSetSpec;
  readonly metricName: string;
  readonly unknownKeys: readonly string[];
}

export interface MetadataCacheLimits {
  /** Entries at most. */
  readonly entries: number;
  /** Characters of keys (each the whole metadata map) at most: the cache's memory bound. */
  readonly characters: number;
}

/** Room for far more triggers than any cluster has (each map is a few hundred characters). */
export const DEFAULT_CACHE_LIMITS: MetadataCacheLimits = { entries: 4_096, characters: 4 * 1024 * 1024 };

/**
 * KEDA sends the same metadata map on every call of every ScaledObject, three calls per poll and
 * per HPA sync. Parsing once per distinct map keeps the RPC path near the bare grpc-js floor.
 * Sizes are checked before anything is cached (metadataKey throws INVALID_ARGUMENT for a map out
 * of bounds), and the cache is bounded in entries and in characters, evicting the oldest first,
 * so a client sending ever new maps costs a bounded amount of memory. Invalid metadata is cached
 * as its error, so a misconfigured trigger costs no more than a good one.
 */
export class MetadataCache {
  private readonly entries = new Map<string, ResolvedWorkerSet | Error>();
  private characters = 0;

  constructor(
    private readonly knownMetastores: ReadonlySet<string>,
    private readonly limits: MetadataCacheLimits = DEFAULT_CACHE_LIMITS,
  ) {}

  get size(): { readonly entries: number; readonly characters: number } {
    return { entries: this.entries.size, characters: this.characters };
  }

  resolve(metadata: Readonly<Record<string, string>>): ResolvedWorkerSet {
    const key = metadataKey(metadata);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = this.parse(metadata);
      this.insert(key, entry);
    }
    if (entry instanceof Error) throw entry;
    return entry;
  }

  private insert(key: string, entry: ResolvedWorkerSet | Error): void {
    // An error's message quotes values cut short, so it is small next to its key.
    this.characters += key.length;
    this.entries.set(key, entry);
    while (this.entries.size > this.limits.entries || this.characters > this.limits.characters) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
      this.characters -= oldest.value.length;
    }
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
