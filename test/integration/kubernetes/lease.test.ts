import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../src/core/errors.js';
import { LeaderElection } from '../../../src/core/leader-election.js';
import type { ElectionTiming } from '../../../src/core/leader-election.js';
import { connectKubernetes } from '../../../src/kubernetes/client.js';
import { LeaseKeeper } from '../../../src/kubernetes/lease-keeper.js';
import { createLeaseStore } from '../../../src/kubernetes/lease-store.js';
import type { KubeApiServer } from '../../support/kube-api-server.js';
import { startKubeApiServer } from '../../support/kube-api-server.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { eventually } from '../../support/service.js';

/*
 * Leader election over the real client-node Lease calls against the stand-in API server, which
 * enforces resourceVersion conflicts as the real one does. Short timings keep it quick; the
 * production ones are client-go's 15 s / 10 s / 2 s.
 */
const TIMING: ElectionTiming = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
const clock = { now: () => Date.now() };

async function keeper(api: KubeApiServer, identity: string): Promise<LeaseKeeper> {
  const connection = await connectKubernetes({ kind: 'kubeconfig', path: api.writeKubeconfig({ token: identity, namespace: 'airflow' }) }, 2_000, quietLogger);
  return new LeaseKeeper(createLeaseStore(connection, 'airflow-keda-scaler', null), new LeaderElection(identity, TIMING), clock, quietLogger);
}

/** Samples both every 20 ms for `ms`; fails if both ever lead at once. Returns who led last. */
async function watch(a: LeaseKeeper, b: LeaseKeeper, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  let leaders: string[] = [];
  while (Date.now() < until) {
    leaders = [a, b].filter((k) => k.isLeader()).map((k) => k.identity);
    expect(leaders.length).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 20));
  }
  return leaders;
}

describe('scale-in leader election over a Kubernetes Lease', () => {
  let api: KubeApiServer;
  let a: LeaseKeeper;
  let b: LeaseKeeper;
  beforeEach(async () => {
    api = await startKubeApiServer();
    a = await keeper(api, 'scaler-a');
    b = await keeper(api, 'scaler-b');
  });
  afterEach(async () => {
    await a.stop();
    await b.stop();
    await api.close();
  });

  it('makes exactly one of two replicas the leader, in the namespace of the kubeconfig, with MicroTime stamps', async () => {
    a.start();
    b.start();
    await eventually(async () => (a.isLeader() || b.isLeader() ? true : undefined));
    const leaders = await watch(a, b, 1_500);
    expect(leaders).toHaveLength(1);
    const lease = api.getLease('airflow', 'airflow-keda-scaler');
    expect(lease?.spec).toMatchObject({ holderIdentity: leaders[0], leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect(lease?.spec['renewTime']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // Renewed, not re-acquired: the acquire time stands.
    const acquired = lease?.spec['acquireTime'];
    await new Promise((r) => setTimeout(r, 300));
    expect(api.getLease('airflow', 'airflow-keda-scaler')?.spec['acquireTime']).toBe(acquired);
  });

  it('hands over at once when the leader stops and releases the lease', async () => {
    a.start();
    await eventually(async () => (a.isLeader() ? true : undefined));
    b.start();
    expect(await watch(a, b, 500)).toEqual(['scaler-a']);
    const stoppedAt = Date.now();
    await a.stop();
    await eventually(async () => (b.isLeader() ? true : undefined), 5_000, 10);
    // Well before the 1.5 s lease would have run out.
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    expect(api.getLease('airflow', 'airflow-keda-scaler')?.spec).toMatchObject({ holderIdentity: 'scaler-b', leaseTransitions: 1 });
  });

  it('stops the leader that cannot renew before the other takes over, so the two never act at once', async () => {
    a.start();
    await eventually(async () => (a.isLeader() ? true : undefined));
    b.start();
    // The API server stops answering scaler-a's lease writes (a partition), not scaler-b's.
    api.setFault('updateLease', { kind: 'status', code: 503, reason: 'ServiceUnavailable' }, 'scaler-a');
    api.setFault('getLease', { kind: 'status', code: 503, reason: 'ServiceUnavailable' }, 'scaler-a');
    expect(await watch(a, b, 3_000)).toEqual(['scaler-b']);
    api.setFault('updateLease', null, 'scaler-a');
    api.setFault('getLease', null, 'scaler-a');
    expect(await watch(a, b, 1_000)).toEqual(['scaler-b']);
  });

  it('says forbidden, by code, when RBAC refuses the Lease, and never leads', async () => {
    api.setFault('getLease', { kind: 'forbidden' });
    const connection = await connectKubernetes({ kind: 'kubeconfig', path: api.writeKubeconfig({ token: 'x', namespace: 'airflow' }) }, 2_000, quietLogger);
    const store = createLeaseStore(connection, 'airflow-keda-scaler', 'other');
    const err = await store.read().catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: ErrorCode.KubernetesForbidden });
    expect((err as { message: string }).message).toContain('RBAC: the scaler\'s service account needs verb "get" on "leases" in namespace "other"');
    b.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(b.isLeader()).toBe(false);
  });
});
