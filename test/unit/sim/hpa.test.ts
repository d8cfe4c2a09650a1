import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { burst, simConfig, workloadOf } from './support.js';

function replicasAfterSyncs(result: ReturnType<typeof runSimulation>, count: number): number[] {
  return (result.log?.hpaSyncs ?? []).slice(0, count).map((sync) => sync.replicas);
}

describe('HPA without behavior (legacy normalization)', () => {
  it('takes a sudden backlog from 1 to 4, 8, 16 and 32 replicas on successive 15 s syncs', () => {
    // 1000 one-hour tasks arrive at t = 1 s; the sync at t = 0 saw nothing.
    const workload = workloadOf(burst(1000, 1, 3600));
    const result = runSimulation(workload, simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 100 }), { recordLog: true });
    expect(replicasAfterSyncs(result, 6)).toEqual([1, 4, 8, 16, 32, 64]);
    expect(result.log?.hpaSyncs.slice(0, 4).map((s) => s.time)).toEqual([0, 15, 30, 45]);
  });

  it('stops at maxReplicaCount', () => {
    const workload = workloadOf(burst(1000, 1, 3600));
    const result = runSimulation(workload, simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 10 }), { recordLog: true });
    expect(replicasAfterSyncs(result, 4)).toEqual([1, 4, 8, 10]);
  });

  it('holds the highest recommendation of the last 5 minutes before scaling down', () => {
    // 40 workers busy until t = 100; the last sync that saw 40 tasks is at t = 90.
    const workload = workloadOf(burst(40, 0, 100));
    const result = runSimulation(
      workload,
      simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 40, initialReplicas: 40 }),
      { recordLog: true },
    );
    const down = result.log?.scale.find((event) => event.to < event.from);
    expect(down).toEqual({ time: 405, from: 40, to: 1, cause: 'hpa' });
  });

  it('keeps the replica count while the metric is within the 10 % tolerance', () => {
    // 11 tasks on 10 replicas: ratio 1.1, inside [0.9, 1.1]; 12 tasks: 1.2, outside.
    const config = simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 100, initialReplicas: 10 });
    const eleven = runSimulation(workloadOf(burst(11, 0, 600)), config, { recordLog: true });
    expect(replicasAfterSyncs(eleven, 5)).toEqual([10, 10, 10, 10, 10]);
    const twelve = runSimulation(workloadOf(burst(12, 0, 600)), config, { recordLog: true });
    expect(replicasAfterSyncs(twelve, 3)).toEqual([12, 12, 12]);
  });

  it('reads no metric at zero replicas: only KEDA activates, on its next poll', () => {
    const workload = workloadOf(burst(50, 1, 600));
    const result = runSimulation(workload, simConfig({ workerConcurrency: 1, pollingInterval: 60 }), { recordLog: true });
    const syncsBeforePoll = (result.log?.hpaSyncs ?? []).filter((s) => s.time < 60);
    expect(syncsBeforePoll.map((s) => s.replicas)).toEqual([0, 0, 0, 0]);
    expect(result.log?.scale[0]).toEqual({ time: 60, from: 0, to: 1, cause: 'keda-activation' });
    // The HPA sync that falls on the same instant runs after the poll and takes it on from 1.
    expect(result.log?.scale[1]).toEqual({ time: 60, from: 1, to: 4, cause: 'hpa' });
  });
});

describe('HPA with behavior (Kubernetes defaults for missing fields)', () => {
  it('scales up by the larger of 4 pods and 100 % per 15 s: 1 → 5 → 10 → 20', () => {
    const workload = workloadOf(burst(1000, 1, 3600));
    const config = simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 100, hpaBehavior: defaultBehavior({}) });
    const result = runSimulation(workload, config, { recordLog: true });
    expect(replicasAfterSyncs(result, 5)).toEqual([1, 5, 10, 20, 40]);
  });

  it('honours a given scale-down stabilization window and rate policy', () => {
    const workload = workloadOf(burst(40, 0, 100));
    const behavior = defaultBehavior({
      scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 10, periodSeconds: 60 }] },
    });
    const config = simConfig({ workerConcurrency: 1, minReplicaCount: 1, maxReplicaCount: 40, initialReplicas: 40, hpaBehavior: behavior });
    const result = runSimulation(workload, config, { recordLog: true });
    const downs = (result.log?.scale ?? []).filter((e) => e.to < e.from);
    // Last recommendation of 40 at t = 90; recommendations strictly newer than now − 60 s count, so it lets go at t = 150, then 10 pods a minute.
    expect(downs.slice(0, 4)).toEqual([
      { time: 150, from: 40, to: 30, cause: 'hpa' },
      { time: 210, from: 30, to: 20, cause: 'hpa' },
      { time: 270, from: 20, to: 10, cause: 'hpa' },
      { time: 330, from: 10, to: 1, cause: 'hpa' },
    ]);
  });

  it('fills the documented defaults', () => {
    expect(defaultBehavior({})).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });
});

describe('HPA time is whole milliseconds', () => {
  it('doubles a backlog on every sync whatever the sync phase: 1 → 5 → 10 → 20 → 40 → 63', () => {
    // 1,000 tasks at t = 0 want 63 workers of 16 slots. An HPA phase of 11.288 s once lost the sync
    // at 41.288 s: 41.288 − 15 computed in floating point as 26.287999…, which counted the scale-up
    // of exactly one period earlier against the 15 s budget.
    const workload = workloadOf(burst(1000, 0, 3600));
    for (const offset of [0, 0.001, 7.5, 11.288, 14.999]) {
      const config = simConfig({ workerConcurrency: 16, maxReplicaCount: 100, hpaBehavior: defaultBehavior({}), hpaSyncOffsetSeconds: offset });
      const result = runSimulation(workload, config, { recordLog: true });
      const ups = (result.log?.scale ?? []).filter((e) => e.cause === 'hpa').slice(0, 5);
      expect(ups.map((e) => e.to), `offset ${offset}`).toEqual([5, 10, 20, 40, 63]);
      expect(ups.map((e) => Math.round((e.time - offset) * 1000)), `offset ${offset}`).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    }
  });
});
