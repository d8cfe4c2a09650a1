import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';

import type { LeaseRecord, LeaseWrite, StoredLease } from '../core/leader-election.js';
import type { LeaseStore } from '../core/ports.js';
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

function toStored(lease: V1Lease): StoredLease {
  const spec = lease.spec;
  return {
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
function toLease(client: KubernetesConnection['client'], namespace: string, name: string, record: LeaseRecord, version: string | undefined): V1Lease {
  const metadata = new client.V1ObjectMeta();
  metadata.name = name;
  metadata.namespace = namespace;
  if (version !== undefined) metadata.resourceVersion = version;
  metadata.labels = { 'app.kubernetes.io/name': 'airflow-keda-scaler' };
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

  async write(write: LeaseWrite): Promise<StoredLease | null> {
    try {
      const lease =
        write.kind === 'create'
          ? await this.connection.caller.call(this.operation('create'), (options) =>
              this.api.createNamespacedLease({ namespace: this.namespace, body: toLease(this.connection.client, this.namespace, this.name, write.record, undefined) }, options),
            )
          : await this.connection.caller.call(this.operation('update'), (options) =>
              this.api.replaceNamespacedLease(
                { name: this.name, namespace: this.namespace, body: toLease(this.connection.client, this.namespace, this.name, write.record, write.version) },
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
