import type { WorkerSetSpec } from './metadata.js';
import { DEFAULT_METASTORE } from './metadata.js';

// KEDA prefixes `s<index>-`; staying well under 63 characters keeps the HPA name readable
// and valid wherever Kubernetes treats it as a label value.
// 'airflow-celery-' (15) + slug (32) + '-' + hash (8) = 56, and 61 with a `s999-` prefix.
const MAX_SLUG = 32;

/** 32-bit FNV-1a: tiny, dependency-free and stable across Node versions. */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The identity of what is counted: the parts of a spec that change which rows match. */
export function workerSetKey(spec: WorkerSetSpec): string {
  const filter = spec.executorFilter;
  const executors = filter === null ? null : { includeDefault: filter.includeDefault, names: filter.names };
  return JSON.stringify([spec.metastore, spec.queues, executors]);
}

/**
 * The metric name KEDA sees. Only `[a-z0-9-]`, lowercase because older KEDA lowercased names on
 * the HPA path, and stable: it depends on what is counted, not on concurrency or bounds, so
 * changing those never renames the HPA metric. The hash keeps names distinct after slugging.
 */
export function metricNameFor(spec: WorkerSetSpec): string {
  const parts = spec.metastore === DEFAULT_METASTORE ? [...spec.queues] : [spec.metastore, ...spec.queues];
  const readable = slug(parts.join('-')).slice(0, MAX_SLUG).replace(/-+$/, '');
  const hash = fnv1a32(workerSetKey(spec));
  return readable.length > 0 ? `airflow-celery-${readable}-${hash}` : `airflow-celery-${hash}`;
}

/** Case-insensitive: KEDA < 2.12 asked with the name the HPA lowercased. Equal names allocate nothing. */
export function metricNameMatches(requested: string, expected: string): boolean {
  return requested === expected || requested.toLowerCase() === expected.toLowerCase();
}
