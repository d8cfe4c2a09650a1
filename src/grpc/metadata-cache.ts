import { isScalerError } from '../core/errors.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import { parseScalerMetadata } from '../core/metadata.js';
import { metricNameFor } from '../core/metric-name.js';

export interface ResolvedWorkerSet {
  readonly spec: WorkerSetSpec;
  readonly metricName: string;
  readonly unknownKeys: readonly string[];
}

/**
 * KEDA sends the same metadata map on every call of every ScaledObject, three calls per poll and
 * per HPA sync. Parsing once per distinct map keeps the RPC path near the bare grpc-js floor.
 * Invalid metadata is cached as its error, so a misconfigured trigger costs no more.
 */
export class MetadataCache {
  private readonly entries = new Map<string, ResolvedWorkerSet | Error>();

  constructor(
    private readonly knownMetastores: ReadonlySet<string>,
    private readonly capacity = 4_096,
  ) {}

  resolve(metadata: Readonly<Record<string, string>>): ResolvedWorkerSet {
    // Go's protobuf encoder does not order map entries, so the key must.
    const key = Object.keys(metadata)
      .sort()
      .map((name) => `${name}\u0000${metadata[name] ?? ''}`)
      .join('\u0001');
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = this.parse(metadata);
      // Distinct maps are few (one per trigger); a full cache means churn, so start afresh.
      if (this.entries.size >= this.capacity) this.entries.clear();
      this.entries.set(key, entry);
    }
    if (entry instanceof Error) throw entry;
    return entry;
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
