import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';

import type { LeaseRecord, LeaseWrite, StoredLease } from '../core/leader-election.js';
import type { LeaseStore } from '../core/ports.js';
import { MAX_PUBLISHED_ANNOTATION_LENGTH, MAX_PUBLISHED_COUNT, MAX_PUBLISHED_TARGETS } from '../core/published-counts.js';
import type { ApiOperation } from './api-errors.js';
import type { KubernetesConnection } from './client.js';
import { failedStatus } from './client.js';

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? 0 : ms;
  }
  return 0;
}

/** The annotation that carries the holder's published worker counts: `{"<target id>": count}`. */
export const PUBLISHED_WORKERS_ANNOTATION = 'airflow-keda-scaler.io/published-workers';
/**
 * What a reader accepts: at least anything this version writes (MAX_PUBLISHED_ANNOTATION_LENGTH),
 * so a follower never drops a leader's counts for their size, and what earlier versions, which
 * named targets by their key, accepted.
 */
const MAX_ANNOTATION_CHARACTERS = Math.max(200_000, MAX_PUBLISHED_ANNOTATION_LENGTH);
/** Target ids are 16 characters; earlier versions' keys up to this many. */
const MAX_LEGACY_KEY_LENGTH = 1_024;

/**
 * The counts in the annotation, or none when it is missing or malformed: another replica wrote
 * it, but a Lease can be edited by anyone with access, so it is read defensively and bounded.
 */
function publishedOf(text: string | undefined): Map<string, number> {
  const published = new Map<string, number>();
  if (text === undefined || text.length > MAX_ANNOTATION_CHARACTERS) return published;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return published;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return published;
  for (const [key, count] of Object.entries(parsed as Record<string, unknown>)) {
    if (published.size >= MAX_PUBLISHED_TARGETS) break;
    if (key.length <= MAX_LEGACY_KEY_LENGTH && typeof count === 'number' && Number.isInteger(count) && count >= 0 && count <= MAX_PUBLISHED_COUNT) published.set(key, count);
  }
  return published;
}

function toStored(lease: V1Lease): StoredLease {
  const spec = lease.spec;
  return {
    published: publishedOf(lease.metadata?.annotations?.[PUBLISHED_WORKERS_ANNOTATION]),
    version: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec?.holderIdentity ?? '',
      leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
      acquireTimeMs: timeOf(spec?.acquireTime),
      renewTimeMs: timeOf(spec?.renewTime),
      leaseTransitions: spec?.leaseTransitions ?? 0,
    },
  };
}

/**
 * The Lease object for a record, built with client-node's model classes. V1MicroTime prints RFC
 * 3339 with exactly six fractional digits, the only form the API server parses as a MicroTime.
 */
function toLease(
  client: KubernetesConnection['client'],
  namespace: string,
  name: string,
  write: { readonly record: LeaseRecord; readonly version: string | undefined; readonly published: ReadonlyMap<string, number> },
): V1Lease {
  const { record, version } = write;
  const metadata = new client.V1ObjectMeta();
  metadata.name = name;
  metadata.namespace = namespace;
  if (version !== undefined) metadata.resourceVersion = version;
  metadata.labels = { 'app.kubernetes.io/name': 'airflow-keda-scaler' };
  // countsForLease bounds them already: this keeps the store's own promise whatever it is given.
  const published = [...write.published].slice(0, MAX_PUBLISHED_TARGETS);
  metadata.annotations = { [PUBLISHED_WORKERS_ANNOTATION]: JSON.stringify(Object.fromEntries(published)) };
  const spec = new client.V1LeaseSpec();
  spec.holderIdentity = record.holderIdentity;
  spec.leaseDurationSeconds = record.leaseDurationSeconds;
  spec.acquireTime = new client.V1MicroTime(record.acquireTimeMs);
  spec.renewTime = new client.V1MicroTime(record.renewTimeMs);
  spec.leaseTransitions = record.leaseTransitions;
  const lease = new client.V1Lease();
  lease.apiVersion = 'coordination.k8s.io/v1';
  lease.kind = 'Lease';
  lease.metadata = metadata;
  lease.spec = spec;
  return lease;
}

class ClientNodeLeaseStore implements LeaseStore {
  constructor(
    private readonly connection: KubernetesConnection,
    private readonly api: CoordinationV1Api,
    readonly namespace: string,
    readonly name: string,
  ) {}

  private operation(verb: ApiOperation['verb']): ApiOperation {
    return { verb, resource: 'leases', namespace: this.namespace, target: `lease "${this.name}"` };
  }

  async read(): Promise<StoredLease | null> {
    try {
      const lease = await this.connection.caller.call(this.operation('get'), (options) =>
        this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }, options),
      );
      return toStored(lease);
    } catch (err) {
      if (failedStatus(err) === 404) return null;
      throw err;
    }
  }

  async write(write: LeaseWrite, published: ReadonlyMap<string, number>): Promise<StoredLease | null> {
    try {
      const lease =
        write.kind === 'create'
          ? await this.connection.caller.call(this.operation('create'), (options) =>
              this.api.createNamespacedLease({ namespace: this.namespace, body: toLease(this.connection.client, this.namespace, this.name, { record: write.record, version: undefined, published }) }, options),
            )
          : await this.connection.caller.call(this.operation('update'), (options) =>
              this.api.replaceNamespacedLease(
                { name: this.name, namespace: this.namespace, body: toLease(this.connection.client, this.namespace, this.name, { record: write.record, version: write.version, published }) },
                options,
              ),
            );
      return toStored(lease);
    } catch (err) {
      // AlreadyExists on create, Conflict on a stale resourceVersion: another replica wrote first.
      if (failedStatus(err) === 409) return null;
      throw err;
    }
  }
}

/** The Lease `name` in `namespace` (default: the scaler's own namespace). */
export function createLeaseStore(connection: KubernetesConnection, name: string, namespace: string | null): LeaseStore {
  return new ClientNodeLeaseStore(connection, connection.kubeConfig.makeApiClient(connection.client.CoordinationV1Api), namespace ?? connection.namespace, name);
}
