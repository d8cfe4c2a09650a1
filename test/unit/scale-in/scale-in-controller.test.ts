import { describe, expect, it } from 'vitest';

import type { WorkerPod } from '../../../src/core/ports.js';
import type { Snapshot, TaskCountRow } from '../../../src/core/snapshot.js';
import { DecisionMemo } from '../../../src/core/evaluate.js';
import { ScaleInController } from '../../../src/scale-in/scale-in-controller.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { MemoryBroker, MemoryPods, noObserver, runningPod as pod } from '../../support/scale-in-ports.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

function setup(options: { pods: WorkerPod[]; broker?: MemoryBroker; patchesPerSecond?: number }) {
  const clock = { ms: 1_000_000, now() { return this.ms; } };
  const pods = new MemoryPods(options.pods);
  const broker = options.broker ?? new MemoryBroker();
  const capability: boolean[] = [];
  let latest: Snapshot | undefined;
  const controller = new ScaleInController({
    pods,
    control: broker,
    clock,
    logger: quietLogger,
    observer: { ...noObserver, brokerAvailable: (ok) => capability.push(ok) },
    snapshots: { latest: () => latest, onSnapshot: () => () => undefined },
    decisions: new DecisionMemo(5_000),
    planTtlMs: 60_000,
    maxTargets: 100,
    targetTtlMs: 15 * 60_000,
    patchesPerSecond: options.patchesPerSecond ?? 100,
    resendAfterMs: 10_000,
    brokerGraceMs: 30_000,
  });
  const spec = workerSetSpec({ workerConcurrency: 4 });
  // KEDA's first GetMetrics makes the set known (no snapshot yet, so the formula).
  controller.reportFor('airflow', 'm', spec, 0);
  /** One tick: a snapshot with these running tasks per pod, taken now, then planned. */
  const tick = async (running: Record<string, number>, queued = 0): Promise<number> => {
    const rows: TaskCountRow[] = Object.entries(running).map(([hostname, count]) => ({ queue: 'default', executor: null, state: 'running', hostname, count }));
    if (queued > 0) rows.push({ queue: 'default', executor: null, state: 'queued', hostname: null, count: queued });
    latest = { metastore: 'default', takenAtMs: clock.ms, hasExecutorColumn: true, rows };
    controller.onSnapshot(latest);
    await controller.whenIdle();
    clock.ms += 1_000;
    const total = Object.values(running).reduce((a, b) => a + b, 0) + queued;
    return controller.reportFor('airflow', 'm', spec, Math.ceil(total / 4));
  };
  return { controller, pods, broker, clock, tick, capability };
}

describe('ScaleInController', () => {
  it('after a restart puts every keeper back to work once, so nothing stays drained by a gone process', async () => {
    const { broker, tick } = setup({ pods: [pod('w-a'), pod('w-b')] });
    await tick({ 'w-a': 4, 'w-b': 4 });
    expect(broker.sent).toEqual([['add', ['w-a', 'w-b']]]);
    await tick({ 'w-a': 4, 'w-b': 4 });
    expect(broker.sent).toHaveLength(1);
  });

  it('holds victims through a broker outage, then ranks without draining, and drains again once it is back', async () => {
    const broker = new MemoryBroker();
    const { tick, clock, capability } = setup({ pods: [pod('w-a'), pod('w-b')], broker });
    await tick({ 'w-a': 4, 'w-b': 4 });
    broker.down = true;
    // w-b (1 task) is the victim: it cannot be drained, so it is held.
    expect(await tick({ 'w-a': 3, 'w-b': 1 })).toBe(2);
    expect(capability).toEqual([false]);
    clock.ms += 30_000;
    // Past the grace period: ranking alone, the formula is reported.
    expect(await tick({ 'w-a': 3, 'w-b': 1 })).toBe(1);
    broker.down = false;
    clock.ms += 10_000;
    // Back: the probe drains the victim and it is held again until idle.
    expect(await tick({ 'w-a': 3, 'w-b': 1 })).toBe(2);
    expect(capability).toEqual([false, true]);
    expect(await tick({ 'w-a': 3 })).toBe(1);
  });

  it('sends an unanswered drain again only after resendAfterMs, and never lets the silent worker go', async () => {
    const broker = new MemoryBroker();
    broker.silent.add('w-b');
    const { tick, clock } = setup({ pods: [pod('w-a'), pod('w-b')], broker });
    await tick({ 'w-a': 4 });
    const cancels = (): number => broker.sent.filter(([method]) => method === 'cancel').length;
    expect(cancels()).toBe(1);
    expect(await tick({ 'w-a': 4 })).toBe(2);
    expect(cancels()).toBe(1);
    clock.ms += 10_000;
    expect(await tick({ 'w-a': 4 })).toBe(2);
    expect(cancels()).toBe(2);
  });

  it('lowers the count only by the victims its patch budget let it annotate', async () => {
    const { pods, tick } = setup({ pods: [pod('w-a'), pod('w-b'), pod('w-c'), pod('w-d')], patchesPerSecond: 1 });
    // Three idle victims, drained; a burst of two patches marks two of them as draining.
    expect(await tick({ 'w-a': 4 })).toBe(4);
    expect(pods.patches).toEqual([['w-b', -500], ['w-c', -500]]);
    // Now removable: one token a second. Both annotated victims rank below the keeper; w-d does not.
    expect(await tick({ 'w-a': 4 })).toBe(2);
    expect(await tick({ 'w-a': 4 })).toBe(2);
    expect(await tick({ 'w-a': 4 })).toBe(1);
    expect(pods.pods.map((p) => p.deletionCost)).toEqual([null, -1000, -1000, -1000]);
  });
});

describe('ScaleInController.forget', () => {
  it('drops a worker set’s plan when the registry forgets it: the formula is reported until KEDA asks again and it is planned anew', async () => {
    const { controller, tick } = setup({ pods: [pod('w-a'), pod('w-b')] });
    await tick({ 'w-a': 3, 'w-b': 1 });
    expect(await tick({ 'w-a': 3, 'w-b': 1 })).toBe(2);
    controller.forget('m');
    // Known again at once (reportFor registers it), but without a plan yet: the formula.
    expect(controller.reportFor('airflow', 'm', workerSetSpec({ workerConcurrency: 4 }), 1)).toBe(1);
  });
});

describe('ScaleInController target limits', () => {
  /** A controller that plans against one namespace's pods, and records its warnings and counter. */
  function limited(maxTargets: number) {
    const clock = { ms: 1_000_000, now() { return this.ms; } };
    const pods = new MemoryPods([pod('w-a')]);
    const warnings: string[] = [];
    const forgotten: string[] = [];
    let overLimit = 0;
    let latest: Snapshot | undefined;
    const logger = { ...quietLogger, warn: (_fields: unknown, message: string) => warnings.push(message) };
    const controller = new ScaleInController({
      pods,
      control: new MemoryBroker(),
      clock,
      logger: { ...logger, child: () => logger },
      observer: { ...noObserver, overLimit: () => (overLimit += 1), forgotten: (target) => forgotten.push(target.namespace) },
      snapshots: { latest: () => latest, onSnapshot: () => () => undefined },
      decisions: new DecisionMemo(5_000),
      planTtlMs: 60_000,
      maxTargets,
      targetTtlMs: 15 * 60_000,
      patchesPerSecond: 100,
    });
    const tick = async (): Promise<void> => {
      latest = { metastore: 'default', takenAtMs: clock.ms, hasExecutorColumn: true, rows: [{ queue: 'default', executor: null, state: 'running', hostname: 'w-a', count: 3 }] };
      controller.onSnapshot(latest);
      await controller.whenIdle();
    };
    return { controller, clock, pods, warnings, forgotten, tick, overLimit: () => overLimit };
  }

  it('plans one worker set asked about from 2,000 namespaces at most four times: the rest get the formula, a counter and one log line', async () => {
    const { controller, pods, warnings, tick, overLimit } = limited(2_000);
    const spec = workerSetSpec({ workerConcurrency: 4 });
    await tick();
    const answers = new Set<number>();
    for (let i = 0; i < 2_000; i += 1) answers.add(controller.reportFor(`ns-${i}`, 'm', spec, 1));
    await tick();
    expect(answers).toEqual(new Set([1]));
    // Each planned target is listed once on being added and once per tick; nothing for the others.
    expect(pods.lists).toBeLessThanOrEqual(4 * 2);
    expect(overLimit()).toBe(1_996);
    expect(warnings.filter((w) => w.includes('limits.maxScaleInTargets'))).toHaveLength(1);
  });

  it('plans at most limits.maxScaleInTargets targets in all', async () => {
    const { controller, pods, tick, overLimit } = limited(10);
    await tick();
    for (let i = 0; i < 50; i += 1) controller.reportFor('airflow', `m-${i}`, workerSetSpec({ queues: [`q-${i}`] }), 0);
    pods.lists = 0;
    await tick();
    expect(pods.lists).toBe(10);
    expect(overLimit()).toBe(40);
  });

  it('drops a target KEDA stopped asking about on its own, and makes room for a new one', async () => {
    const { controller, clock, pods, forgotten, tick } = limited(1);
    const spec = workerSetSpec();
    controller.reportFor('invented', 'm', spec, 0);
    await tick();
    // Full: a real ScaledObject gets the formula until the invented target expires.
    expect(controller.reportFor('airflow', 'n', workerSetSpec({ queues: ['other'] }), 0)).toBe(0);
    clock.ms += 15 * 60_000 + 1;
    await tick();
    expect(forgotten).toEqual(['invented']);
    pods.lists = 0;
    controller.reportFor('airflow', 'n', workerSetSpec({ queues: ['other'] }), 0);
    await tick();
    expect(pods.lists).toBeGreaterThan(0);
  });
});
