import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LeaderElection } from '../../../src/core/leader-election.js';
import type { ElectionTiming } from '../../../src/core/leader-election.js';
import type { Snapshot, TaskCountRow } from '../../../src/core/snapshot.js';
import { DecisionMemo } from '../../../src/core/evaluate.js';
import { connectKubernetes } from '../../../src/kubernetes/client.js';
import { LeaseKeeper } from '../../../src/kubernetes/lease-keeper.js';
import { PUBLISHED_WORKERS_ANNOTATION, createLeaseStore } from '../../../src/kubernetes/lease-store.js';
import { podDirectoryOn } from '../../../src/kubernetes/pod-directory.js';
import { ScaleInController } from '../../../src/scale-in/scale-in-controller.js';
import type { KubeApiServer } from '../../support/kube-api-server.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import { TOTAL_ANNOTATION_SIZE_LIMIT_BYTES } from '../../support/kube-leases.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { noObserver } from '../../support/scale-in-ports.js';
import { eventually } from '../../support/service.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

/*
 * What the scale-in leader publishes through its Lease, end to end: two replicas, each a
 * ScaleInController with a real LeaseKeeper and pod directory (client-node) on the stand-in API
 * server, which refuses a Lease whose annotations exceed 256 KiB as the real one does. Short
 * timings keep it quick; production uses 15 s / 10 s / 2 s and a plan TTL of at least 60 s.
 */
const TIMING: ElectionTiming = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
const PLAN_TTL_MS = 1_500;
const NAMESPACE = 'airflow';
const LEASE = 'airflow-keda-scaler';
const clock = { now: () => Date.now() };

/** The Lease's published-workers annotation as stored, or undefined. */
function annotationOf(api: KubeApiServer): string | undefined {
  const annotations = api.getLease(NAMESPACE, LEASE)?.metadata['annotations'] as Record<string, string> | undefined;
  return annotations?.[PUBLISHED_WORKERS_ANNOTATION];
}

interface Replica {
  readonly keeper: LeaseKeeper;
  readonly controller: ScaleInController;
  /** Hands every replica's controller a snapshot with these running tasks, taken now, and waits for its plan. */
  tick(running: Record<string, number>): Promise<void>;
}

async function replica(api: KubeApiServer, identity: string, limits: { maxTargets: number; planTtlMs: number }): Promise<Replica> {
  const connection = await connectKubernetes({ kind: 'kubeconfig', path: api.writeKubeconfig({ token: identity, namespace: NAMESPACE }) }, 2_000, quietLogger);
  const keeper = new LeaseKeeper(createLeaseStore(connection, LEASE, null), new LeaderElection(identity, TIMING), clock, quietLogger);
  let latest: Snapshot | undefined;
  const controller = new ScaleInController({
    pods: podDirectoryOn(connection, quietLogger),
    control: null,
    leadership: keeper,
    clock,
    logger: quietLogger,
    observer: noObserver,
    snapshots: { latest: () => latest, onSnapshot: () => () => undefined },
    decisions: new DecisionMemo(5_000),
    planTtlMs: limits.planTtlMs,
    maxTargets: limits.maxTargets,
    targetTtlMs: 15 * 60_000,
    patchesPerSecond: 100,
  });
  return {
    keeper,
    controller,
    async tick(running) {
      const rows: TaskCountRow[] = Object.entries(running).map(([hostname, count]) => ({ queue: 'default', executor: null, state: 'running', hostname, count }));
      latest = { metastore: 'default', takenAtMs: clock.now(), hasExecutorColumn: true, rows };
      controller.onSnapshot(latest);
      await controller.whenIdle();
    },
  };
}

describe('scale-in counts published through the Lease', () => {
  let api: KubeApiServer;
  const replicas: Replica[] = [];

  /** a leads, b follows and has seen a's lease. */
  async function leaderAndFollower(limits = { maxTargets: 100, planTtlMs: PLAN_TTL_MS }): Promise<[Replica, Replica]> {
    const a = await replica(api, 'scaler-a', limits);
    const b = await replica(api, 'scaler-b', limits);
    replicas.push(a, b);
    a.keeper.start();
    await eventually(async () => (a.keeper.isLeader() ? true : undefined));
    b.keeper.start();
    await new Promise((r) => setTimeout(r, 3 * TIMING.retryPeriodMs));
    return [a, b];
  }

  beforeEach(async () => {
    api = await startKubeApiServer();
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      await r.controller.stop();
      await r.keeper.stop();
    }
    await api.close();
  });

  it('makes the follower answer the formula again once the leader stopped re-planning a target, while the leader still renews', async () => {
    for (const name of ['w-a', 'w-b']) api.addPods(buildPod({ name, namespace: NAMESPACE, labels: { component: 'worker' }, owner: { kind: 'ReplicaSet', name: 'w' } }));
    // The victim's pod-deletion-cost cannot be written, so the leader keeps counting it: 2, not 1.
    api.setFault('patch', { kind: 'status', code: 503, reason: 'ServiceUnavailable' });
    const [a, b] = await leaderAndFollower();
    const spec = workerSetSpec({ workerConcurrency: 4 });
    const answers = async (running: Record<string, number>): Promise<[number, number]> => {
      await a.tick(running);
      await b.tick(running);
      const desired = Math.ceil(Object.values(running).reduce((sum, n) => sum + n, 0) / 4);
      return [a.controller.reportFor(NAMESPACE, 'm', spec, desired), b.controller.reportFor(NAMESPACE, 'm', spec, desired)];
    };
    await eventually(async () => ((await answers({ 'w-a': 3, 'w-b': 1 })).join() === '2,2' ? true : undefined), 5_000, 50);

    // Every pod list now fails (the API server is overloaded); Lease renewals still go through.
    api.setFault('list', { kind: 'status', code: 503, reason: 'ServiceUnavailable' });
    const failingSince = Date.now();
    await eventually(async () => ((await answers({ 'w-a': 1 }))[0] === 1 ? true : undefined), 5_000, 50);
    // The follower follows within a renewal or two, not never.
    await eventually(async () => ((await answers({ 'w-a': 1 }))[1] === 1 ? true : undefined), 2_000, 50);
    expect(Date.now() - failingSince).toBeGreaterThanOrEqual(PLAN_TTL_MS - 200);
    expect(a.keeper.isLeader()).toBe(true);
    expect(JSON.parse(annotationOf(api) ?? 'null')).toEqual({});
  }, 30_000);

  it('keeps the leader renewing with 2,000 targets of long namespaces and selectors, and the follower reads every count', async () => {
    // A plan TTL longer than one tick over 2,000 targets takes here.
    const [a, b] = await leaderAndFollower({ maxTargets: 2_000, planTtlMs: 60_000 });
    // 63-character namespaces and 300-character selectors: keyed by them, the annotation would be 750 KB.
    const selector = ['component=worker', ...Array.from({ length: 20 }, (_, j) => `label-${j}=value-${j}`)].join(',');
    const targets = Array.from({ length: 2_000 }, (_, i) => ({
      namespace: `${'n'.repeat(58)}-${String(i).padStart(4, '0')}`,
      metricName: `m-${i}`,
      spec: workerSetSpec({ queues: [`q-${i}`], scaleIn: { policy: 'drain', podSelector: selector } }),
    }));
    for (const t of targets) {
      a.controller.reportFor(t.namespace, t.metricName, t.spec, 0);
      b.controller.reportFor(t.namespace, t.metricName, t.spec, 0);
    }
    const keyOf = (t: (typeof targets)[number]): string => `${t.namespace}/${selector}/${t.metricName}`;
    await a.tick({});
    await eventually(async () => (targets.every((t) => b.keeper.publishedByLeader(keyOf(t)) === 0) ? true : undefined), 5_000, 50);
    const renewed = api.getLease(NAMESPACE, LEASE)?.spec['renewTime'];
    await eventually(async () => (api.getLease(NAMESPACE, LEASE)?.spec['renewTime'] !== renewed ? true : undefined), 2_000, 20);
    expect(a.keeper.isLeader()).toBe(true);
    const annotation = annotationOf(api) ?? '';
    expect(Object.keys(JSON.parse(annotation) as object)).toHaveLength(2_000);
    expect(Buffer.byteLength(annotation)).toBeLessThan(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES / 4);
  }, 60_000);
});
