import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { WorkerPod } from '../../../src/core/ports.js';
import { DeletionCost } from '../../../src/core/scale-in-plan.js';
import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import type { ScaleInTick } from '../../../src/sim/model/scale-in.js';
import { SimulatedScaleIn } from '../../../src/sim/model/scale-in.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { simConfig, workloadOf } from './support.js';

function runningPod(name: string, deletionCost: number | null = null): WorkerPod {
  return { name, phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost, ownerKind: 'ReplicaSet' };
}

/** The pods as the API server has them after the scaler patched a tick's costs. */
function annotated(pods: readonly WorkerPod[], tick: ScaleInTick): WorkerPod[] {
  return pods.map((pod) => ({ ...pod, deletionCost: tick.costs.get(pod.name) ?? null }));
}

describe('the simulated scale-in (core ledger and planner on every scaler tick)', () => {
  it('keeps a busy victim counted until a tick after its drain was confirmed shows it idle', () => {
    const drain = new SimulatedScaleIn(true);
    let pods = [runningPod('a'), runningPod('b')];

    // desired 1 of 2: the less loaded b is the victim; it still runs a task, so it is held.
    const first = drain.tick(0, 1, pods, new Map([['a', 3], ['b', 1]]));
    expect(first.drained).toEqual(['b']);
    expect(first.reported).toBe(2);
    expect(first.costs.get('b')).toBe(DeletionCost.draining);
    expect(first.costs.get('a')).toBeNull();

    // Idle now, but the drain is confirmed only at this tick (one broker round trip): still held.
    pods = annotated(pods, first);
    const second = drain.tick(1000, 1, pods, new Map([['a', 3]]));
    expect(second.drained).toEqual([]);
    expect(second.reported).toBe(2);
    expect(second.confirmed).toBe(1);

    // The next snapshot shows it idle after the confirmation: removable, ranked first, not counted.
    pods = annotated(pods, second);
    const third = drain.tick(2000, 1, pods, new Map([['a', 3]]));
    expect(third.costs.get('b')).toBe(DeletionCost.removable);
    expect(third.reported).toBe(1);
    expect(drain.drains).toBe(1);
    expect(drain.restores).toBe(0);
  });

  it('restores a draining worker when demand returns, and clears its cost', () => {
    const drain = new SimulatedScaleIn(true);
    const pods = [runningPod('a'), runningPod('b')];
    const first = drain.tick(0, 1, pods, new Map([['a', 3], ['b', 1]]));
    expect(first.drained).toEqual(['b']);

    const second = drain.tick(1000, 2, annotated(pods, first), new Map([['a', 3], ['b', 1]]));
    expect(second.restored).toEqual(['b']);
    expect(second.reported).toBe(2);
    expect([...second.costs.values()]).toEqual([null, null]);
    expect(drain.drainingCount).toBe(0);
    expect(drain.restores).toBe(1);
  });

  it('forgets a worker that is gone', () => {
    const drain = new SimulatedScaleIn(true);
    drain.tick(0, 1, [runningPod('a'), runningPod('b')], new Map([['a', 2], ['b', 1]]));
    expect(drain.isDraining('b')).toBe(true);
    drain.forget('b');
    expect(drain.isDraining('b')).toBe(false);
    expect(drain.drainingCount).toBe(0);
  });
});

describe('scale-in policy drain in the simulator', () => {
  it('gives a draining worker no new task, and the restored worker takes the next one', () => {
    // Two one-slot workers: A keeps worker-0 busy, so worker-1 is surplus and drained at t = 0.
    // B, queued at 100.5, could start on worker-1's free slot at once, but a draining worker takes
    // nothing: B waits for the next scaler tick (t = 101), which restores worker-1 instead of
    // asking for a new pod, and B starts there.
    const config = simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 2, initialReplicas: 2, scaleInPolicy: 'drain' });
    const workload = workloadOf([
      [0, 1000],
      [100.5, 10],
    ]);
    const result = runSimulation(workload, config, { recordLog: true });
    expect(result.log?.scaleIn).toEqual([
      { time: 0, action: 'drain', pod: 'worker-1' },
      { time: 101, action: 'restore', pod: 'worker-1' },
      { time: 111, action: 'drain', pod: 'worker-1' },
    ]);
    // worker-1 existed with its slot free all along: the only scale event is the final scale-in.
    expect(result.log?.scale).toEqual([{ time: 420, from: 2, to: 1, cause: 'hpa' }]);
    expect(result.metrics.queueWaitSeconds.max).toBe(0.5);
    expect(result.metrics).toMatchObject({ drains: 2, restores: 1, peakWorkers: 2, tasksKilled: 0 });
  });

  it('reports the busy victim to KEDA and the HPA until it is idle, so scale-in kills nothing', () => {
    // Concurrency 2, two workers, grace 100 s. Once B ends (t = 10), A (until 600) and C (until
    // 2000) run on different workers and the formula wants 1: every choice kills a task.
    const config = simConfig({ workerConcurrency: 2, minReplicaCount: 1, maxReplicaCount: 2, initialReplicas: 2, terminationGracePeriodSeconds: 100 });
    const workload = workloadOf([
      [0, 600],
      [0, 10],
      [0, 2000],
    ]);
    for (let seed = 0; seed < 5; seed++) {
      expect(runSimulation(workload, { ...config, seed }).metrics.tasksKilled).toBe(1);

      const result = runSimulation(workload, { ...config, seed, scaleInPolicy: 'drain' }, { recordLog: true });
      expect(result.metrics.tasksKilled).toBe(0);
      expect(result.log?.scaleIn).toEqual([{ time: 10, action: 'drain', pod: 'worker-0' }]);
      const polls = result.log?.polls ?? [];
      // KEDA (and the HPA) see 2 while the victim runs A, 1 from A's end on.
      expect(polls.filter((p) => p.time < 600).every((p) => p.desired === 2)).toBe(true);
      expect(polls.filter((p) => p.time >= 600 && p.time < 2000).every((p) => p.desired === 1)).toBe(true);
      // The legacy HPA holds 5 minutes after the last 2, then removes the idle worker-0.
      expect(result.log?.scale).toEqual([{ time: 900, from: 2, to: 1, cause: 'hpa' }]);
    }
  });

  it('gives the same run whether core plans on every scaler tick or only when core says its answer can change', () => {
    for (const name of ['long-tasks-burst', 'hourly-etl']) {
      const file = fileURLToPath(new URL(`../../../src/sim/scenarios/${name}.yaml`, import.meta.url));
      const scenario = parseScenario(readFileSync(file, 'utf8'), file);
      for (const seed of [1, 2]) {
        const workload = generateWorkload(scenario, seed);
        for (const policy of ['rank', 'drain'] as const) {
          const config: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed, scaleInPolicy: policy };
          const skipping = runSimulation(workload, config, { recordLog: true });
          const everyTick = runSimulation(workload, config, { recordLog: true, planEveryTick: true });
          const label = `${name} seed ${seed} ${policy}`;
          if (policy === 'drain') expect(skipping.metrics.drains, label).toBeGreaterThan(0);
          expect(skipping.metrics, label).toEqual(everyTick.metrics);
          expect(skipping.log, label).toEqual(everyTick.log);
        }
      }
    }
  });
});
