import { describe, expect, it } from 'vitest';

import type { WorkerPod } from '../../../src/core/ports.js';
import { podsToDelete } from '../../../src/core/replica-set-ranking.js';
import { decide } from '../../../src/core/scaling.js';
import type { Snapshot, TaskCountRow } from '../../../src/core/snapshot.js';
import { DecisionMemo } from '../../../src/core/evaluate.js';
import { ScaleInController } from '../../../src/scale-in/scale-in-controller.js';
import { SimulatedScaleIn } from '../../../src/sim/model/scale-in.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { MemoryBroker, MemoryPods, noObserver, runningPod } from '../../support/scale-in-ports.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

/*
 * The service's scale-in controller and the simulator's scale-in drive one ledger in core. Here
 * both go through the same snapshots and pods, tick by tick, and must plan, drain, restore and
 * publish alike. The broker behaves on both sides as the simulator models it: add_consumer is
 * answered at once, and a cancel_consumer reply arrives only after the next tick's snapshot.
 */

const TICK_MS = 1_000;
const START_MS = 1_000_000;
const CONCURRENCY = 4;

interface Step {
  /** Running tasks per pod (pods not named run nothing). */
  readonly running: Readonly<Record<string, number>>;
  readonly queued?: number;
  /** Pods created before this tick (Pending, not ready) and pods that became ready. */
  readonly created?: readonly string[];
  readonly ready?: readonly string[];
}

const SCRIPT: readonly Step[] = [
  { running: { 'w-a': 4, 'w-b': 4, 'w-c': 2, 'w-d': 1 } }, // 3 wanted: the least loaded w-d is drained
  { running: { 'w-a': 4, 'w-b': 4, 'w-c': 2 } }, // w-d idle, its drain not yet confirmed: held
  { running: { 'w-a': 4, 'w-b': 4, 'w-c': 2 } }, // confirmed before this snapshot: removable, removed
  { running: { 'w-a': 4, 'w-b': 4, 'w-c': 4 }, queued: 3, created: ['w-e'] }, // 4 wanted, a new pod starts
  { running: { 'w-a': 4, 'w-b': 1, 'w-c': 4 }, ready: ['w-e'] }, // 3 wanted: the idle new pod is drained
  { running: { 'w-a': 4, 'w-b': 1, 'w-c': 4 }, queued: 8 }, // 5 wanted: w-e is restored, not replaced
  { running: { 'w-a': 2, 'w-b': 1, 'w-c': 4, 'w-e': 4 } }, // 3 wanted: w-b (1 task) is drained
  { running: { 'w-a': 2, 'w-c': 4, 'w-e': 4 } },
  { running: { 'w-a': 2, 'w-c': 4, 'w-e': 4 } }, // w-b removable, removed
  { running: {} }, // nothing to do: every worker is surplus and idle
  { running: {} },
  { running: {} },
  { running: {} },
];

interface Observed {
  readonly victims: readonly string[];
  readonly cancelConsumer: readonly string[];
  readonly addConsumer: readonly string[];
  readonly published: number;
  readonly costs: Readonly<Record<string, number | null>>;
  readonly removed: readonly string[];
}

/** Pods as the test's ReplicaSet has them: every pod scheduled; created in name order. */
function applyScript(pods: WorkerPod[], step: Step): WorkerPod[] {
  const next = pods.map((pod) => (step.ready?.includes(pod.name) === true ? { ...pod, phase: 'Running', ready: true } : pod));
  for (const name of step.created ?? []) next.push(runningPod(name, { phase: 'Pending', ready: false }));
  return next;
}

/** The ReplicaSet brought down to `replicas` by its own ranking (core `podsToDelete`). */
function replicaSetTo(pods: WorkerPod[], replicas: number, nowMs: number): { kept: WorkerPod[]; removed: string[] } {
  const ranked = pods.map((pod, i) => ({ ...pod, readySinceMs: pod.ready ? 0 : null, createdAtMs: i, uid: pod.name, restarts: 0 }));
  const removed = podsToDelete(ranked, pods.length - replicas, nowMs).map((pod) => pod.name);
  return { kept: pods.filter((pod) => !removed.includes(pod.name)), removed };
}

function snapshotRows(step: Step): TaskCountRow[] {
  const rows: TaskCountRow[] = Object.entries(step.running).map(([hostname, count]) => ({ queue: 'default', executor: null, state: 'running', hostname, count }));
  if ((step.queued ?? 0) > 0) rows.push({ queue: 'default', executor: null, state: 'queued', hostname: null, count: step.queued ?? 0 });
  return rows;
}

const spec = workerSetSpec({ workerConcurrency: CONCURRENCY });

function desiredOf(step: Step): number {
  const running = Object.values(step.running).reduce((a, b) => a + b, 0);
  return decide({ queued: step.queued ?? 0, running }, spec).desired;
}

const costsOf = (pods: readonly WorkerPod[]): Record<string, number | null> => Object.fromEntries(pods.map((pod) => [pod.name, pod.deletionCost]));

async function throughTheService(): Promise<Observed[]> {
  const clock = { ms: START_MS, now(): number { return this.ms; } };
  const directory = new MemoryPods(['w-a', 'w-b', 'w-c', 'w-d'].map((name) => runningPod(name)));
  const broker = new MemoryBroker();
  let tick = 0;
  // The reply to a cancel_consumer comes in just after the next tick's snapshot was taken.
  broker.beforeCancelReply = () => {
    clock.ms = START_MS + (tick + 1) * TICK_MS + 1;
  };
  let latest: Snapshot | undefined;
  let victims: readonly string[] = [];
  const controller = new ScaleInController({
    pods: directory,
    control: broker,
    clock,
    logger: quietLogger,
    observer: { ...noObserver, planned: (_target, _counts, _reported, chosen) => (victims = chosen) },
    snapshots: { latest: () => latest, onSnapshot: () => () => undefined },
    decisions: new DecisionMemo(5_000),
    planTtlMs: 60_000,
    maxTargets: 100,
    targetTtlMs: 15 * 60_000,
    patchesPerSecond: 1_000,
    resendAfterMs: 10_000,
    brokerGraceMs: 30_000,
    idleListIntervalMs: 0,
  });
  controller.reportFor('airflow', 'm', spec, 0);
  const observed: Observed[] = [];
  for (const step of SCRIPT) {
    const takenAtMs = START_MS + tick * TICK_MS;
    clock.ms = Math.max(clock.ms, takenAtMs);
    directory.pods = applyScript(directory.pods, step);
    const sentBefore = broker.sent.length;
    latest = { metastore: 'default', takenAtMs, hasExecutorColumn: true, rows: snapshotRows(step) };
    controller.onSnapshot(latest);
    await controller.whenIdle();
    const published = controller.reportFor('airflow', 'm', spec, desiredOf(step));
    const sent = broker.sent.slice(sentBefore);
    const costs = costsOf(directory.pods);
    const { kept, removed } = replicaSetTo(directory.pods, Math.min(published, directory.pods.length), takenAtMs);
    directory.pods = kept;
    observed.push({
      victims,
      cancelConsumer: sent.filter(([method]) => method === 'cancel').flatMap(([, names]) => names),
      addConsumer: sent.filter(([method]) => method === 'add').flatMap(([, names]) => names),
      published,
      costs,
      removed,
    });
    tick += 1;
  }
  return observed;
}

function throughTheSimulator(): Observed[] {
  const scaleIn = new SimulatedScaleIn(true);
  let pods = ['w-a', 'w-b', 'w-c', 'w-d'].map((name) => runningPod(name));
  return SCRIPT.map((step, tick) => {
    const nowMs = START_MS + tick * TICK_MS;
    pods = applyScript(pods, step);
    const result = scaleIn.tick(nowMs, desiredOf(step), pods, new Map(Object.entries(step.running)));
    pods = pods.map((pod) => (result.costs.has(pod.name) ? { ...pod, deletionCost: result.costs.get(pod.name) ?? null } : pod));
    const costs = costsOf(pods);
    const { kept, removed } = replicaSetTo(pods, Math.min(result.reported, pods.length), nowMs);
    for (const name of removed) scaleIn.forget(name);
    pods = kept;
    return {
      victims: result.victims,
      cancelConsumer: result.commands.cancelConsumer,
      addConsumer: result.commands.addConsumer,
      published: result.reported,
      costs,
      removed,
    };
  });
}

describe('one scale-in ledger for the service and the simulator', () => {
  it('plans, drains, restores, annotates and publishes alike, tick by tick', async () => {
    const service = await throughTheService();
    const simulator = throughTheSimulator();
    for (let tick = 0; tick < SCRIPT.length; tick++) expect(simulator[tick], `tick ${tick}`).toEqual(service[tick]);

    // The script exercises what it is meant to: a reconciliation, drains, a restore, removals.
    expect(service[0]).toMatchObject({ victims: ['w-d'], cancelConsumer: ['w-d'], addConsumer: ['w-a', 'w-b', 'w-c'], published: 4 });
    expect(service.map((t) => t.published)).toEqual([4, 4, 3, 4, 4, 5, 4, 4, 3, 3, 3, 0, 0]);
    expect(service[5]?.addConsumer).toEqual(['w-e']);
    expect(service.flatMap((t) => t.removed)).toEqual(['w-d', 'w-b', 'w-a', 'w-c', 'w-e']);
  });
});
