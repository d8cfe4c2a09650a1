import { describe, expect, it } from 'vitest';

import { fixed } from '../../../src/sim/model/distribution.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { simConfig, workloadOf } from './support.js';

describe('a task on a killed worker (Airflow zombie)', () => {
  // One worker runs a 1,000 s task that activationThreshold 5 hides from KEDA, so KEDA takes the
  // Deployment to zero at t = 30; the grace period of 100 s ends at t = 130 and the task is killed.
  const workload = workloadOf([[0, 1000]]);
  const config = simConfig({
    workerConcurrency: 1,
    minReplicaCount: 0,
    maxReplicaCount: 1,
    initialReplicas: 1,
    activationThreshold: 5,
    terminationGracePeriodSeconds: 100,
    pollingInterval: 30,
  });

  it('stays running in the scaler\'s count until the heartbeat timeout, then fails without retries', () => {
    const result = runSimulation(workload, config, { recordLog: true });
    expect(result.log?.scale[0]).toEqual({ time: 30, from: 1, to: 0, cause: 'keda-cooldown' });
    const desiredAt = (t: number): number | undefined => result.log?.polls.find((p) => p.time === t)?.desired;
    // Killed at 130, found without heartbeat at 130 + 300 = 430: until then the scaler counts it.
    expect([150, 300, 420].map(desiredAt)).toEqual([1, 1, 1]);
    // Nothing is left to do once it failed: the run ends there.
    expect(result.metrics.simulatedSeconds).toBeGreaterThanOrEqual(430);
    expect(result.metrics.simulatedSeconds).toBeLessThan(450);
    expect(result.metrics.tasksKilled).toBe(1);
    expect(result.metrics.tasksFailed).toBe(1);
    expect(result.metrics.tasks).toMatchObject({ total: 1, completed: 0, failed: 1, unfinished: 0, attempts: 1 });
  });

  it('is found after the configured heartbeat timeout', () => {
    const result = runSimulation(workload, { ...config, taskHeartbeatTimeoutSeconds: 60 }, { recordLog: true });
    const desiredAt = (t: number): number | undefined => result.log?.polls.find((p) => p.time === t)?.desired;
    expect(desiredAt(180)).toBe(1);
    expect(result.metrics.simulatedSeconds).toBeGreaterThanOrEqual(190);
    expect(result.metrics.simulatedSeconds).toBeLessThan(210);
  });

  it('is queued again after retry_delay when it has a retry left, and counts as queued from then', () => {
    // Six more tasks at t = 600 make the set active, so the retried task gets a worker too; the
    // long cooldown keeps that worker until the retry is done.
    const busy = workloadOf([[0, 1000], ...Array.from({ length: 6 }, () => [600, 10] as [number, number])]);
    const result = runSimulation(busy, { ...config, maxReplicaCount: 7, cooldownPeriod: 3000, retries: 1, retryDelaySeconds: 120 }, { recordLog: true });
    expect(result.metrics.tasksKilled).toBe(1);
    expect(result.metrics.tasksFailed).toBe(0);
    expect(result.metrics.tasks).toMatchObject({ total: 7, completed: 7, failed: 0, unfinished: 0, attempts: 8 });
    // Queued again at 430 + 120 = 550: the poll at 570 sees it.
    expect(result.log?.polls.find((p) => p.time === 540)?.desired).toBe(0);
    expect(result.log?.polls.find((p) => p.time === 570)?.desired).toBe(1);
  });
});

describe('node provisioning (Cluster Autoscaler / Karpenter)', () => {
  const nodes = { podsPerNode: 2, startup: fixed(100), emptyNodeSeconds: 600 };
  const base = simConfig({ workerConcurrency: 1, maxReplicaCount: 10, podStartup: fixed(10), pollingInterval: 30 });

  it('makes pods that find no room wait for a new node, then start', () => {
    // Two tasks at t = 0 (one node for both pods), two at t = 200 (a second node from t = 210).
    const workload = workloadOf([[0, 1000], [0, 1000], [200, 1000], [200, 1000]]);
    const withNodes = runSimulation(workload, { ...base, nodes });
    expect(withNodes.metrics.nodesProvisioned).toBe(2);
    // Waits: 100 s for the node and 10 s for the pod; the later pair also waits for the HPA sync at 210.
    expect(withNodes.metrics.queueWaitSeconds.max).toBe(120);
    expect(withNodes.metrics.queueWaitSeconds.mean).toBe(115);
    const without = runSimulation(workload, base);
    expect(without.metrics.nodesProvisioned).toBe(0);
    expect(without.metrics.queueWaitSeconds.max).toBe(20);
  });

  it('reuses an empty node until it has been empty for emptyNodeSeconds', () => {
    // The first task runs 110–210; KEDA takes the workers to zero at 540 (cooldown 300 after the
    // last active poll at 210), the node is empty from then. The task at 900 needs a pod again.
    const workload = workloadOf([[0, 100], [900, 100]]);
    const kept = runSimulation(workload, { ...base, nodes });
    expect(kept.metrics.nodesProvisioned).toBe(1);
    expect(kept.metrics.queueWaitSeconds.max).toBe(110);
    const removed = runSimulation(workload, { ...base, nodes: { ...nodes, emptyNodeSeconds: 300 } });
    expect(removed.metrics.nodesProvisioned).toBe(2);
    expect(removed.metrics.queueWaitSeconds.p50).toBe(110);
  });
});
