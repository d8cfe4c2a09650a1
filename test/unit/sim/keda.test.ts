import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { runSimulation } from '../../../src/sim/model/simulation.js';
import { burst, simConfig, workloadOf } from './support.js';

describe('KEDA operator loop', () => {
  it('polls at once when the ScaledObject appears, and activates 0 → 1', () => {
    const result = runSimulation(workloadOf(burst(3, 0, 60)), simConfig({ pollingInterval: 30 }), { recordLog: true });
    expect(result.log?.polls[0]).toEqual({ time: 0, active: true, desired: 1 });
    expect(result.log?.scale[0]).toEqual({ time: 0, from: 0, to: 1, cause: 'keda-activation' });
  });

  it('activates to max(minReplicaCount, 1)', () => {
    const config = simConfig({ pollingInterval: 30, minReplicaCount: 3, initialReplicas: 0 });
    const result = runSimulation(workloadOf(burst(1, 0, 60)), config, { recordLog: true });
    expect(result.log?.scale[0]).toEqual({ time: 0, from: 0, to: 3, cause: 'keda-activation' });
  });

  it('with external, a task queued just after a poll waits for the next poll', () => {
    const result = runSimulation(workloadOf([[0.5, 10]]), simConfig({ pollingInterval: 30 }), { recordLog: true });
    expect(result.log?.scale[0]).toEqual({ time: 30, from: 0, to: 1, cause: 'keda-activation' });
    expect(result.metrics.queueWaitSeconds.max).toBe(29.5);
  });

  it('with external-push, activates on the scaler tick after the first task, not on the next poll', () => {
    const config = simConfig({ pollingInterval: 30, trigger: 'external-push', scalerTickSeconds: 1 });
    const result = runSimulation(workloadOf([[0.5, 10]]), config, { recordLog: true });
    expect(result.log?.pushes[0]).toBe(1);
    expect(result.log?.scale[0]).toEqual({ time: 1, from: 0, to: 1, cause: 'keda-activation' });
    expect(result.metrics.queueWaitSeconds.max).toBe(0.5);
  });

  it('scales idle initial workers to zero only after initialCooldownPeriod', () => {
    const config = simConfig({ pollingInterval: 10, initialReplicas: 4, initialCooldownPeriod: 45 });
    const result = runSimulation(workloadOf([]), config, { recordLog: true });
    // (The HPA has meanwhile taken the idle Deployment down to its minimum of 1.)
    expect(result.log?.scale.filter((e) => e.cause === 'keda-cooldown')).toEqual([{ time: 50, from: 1, to: 0, cause: 'keda-cooldown' }]);
  });

  it('never scales to zero before cooldownPeriod has passed since the last active poll or push', () => {
    const scenario = fc.record({
      polling: fc.integer({ min: 1, max: 60 }),
      cooldown: fc.integer({ min: 0, max: 600 }),
      push: fc.boolean(),
      tasks: fc.array(fc.tuple(fc.double({ min: 0, max: 3600, noNaN: true }), fc.double({ min: 0, max: 400, noNaN: true })), {
        minLength: 1,
        maxLength: 40,
      }),
      startup: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(scenario, ({ polling, cooldown, push, tasks, startup }) => {
        const config = simConfig({
          pollingInterval: polling,
          cooldownPeriod: cooldown,
          trigger: push ? 'external-push' : 'external',
          podStartup: { distribution: 'fixed', seconds: startup },
          workerConcurrency: 2,
          maxReplicaCount: 5,
        });
        const result = runSimulation(workloadOf(tasks), config, { recordLog: true });
        const log = result.log;
        if (log === null) throw new Error('no log');
        const activity = [...log.polls.filter((p) => p.active).map((p) => p.time), ...log.pushes].sort((a, b) => a - b);
        for (const event of log.scale.filter((e) => e.cause === 'keda-cooldown')) {
          const lastActive = activity.filter((t) => t <= event.time).pop();
          if (lastActive === undefined) continue; // initialCooldownPeriod case, covered above
          expect(event.time - lastActive).toBeGreaterThan(cooldown);
          // …and at the first poll after it, so never more than one polling interval late.
          expect(event.time - lastActive).toBeLessThanOrEqual(cooldown + polling);
        }
        expect(result.metrics.tasks.unfinished).toBe(0);
      }),
      { numRuns: 60, seed: 3 },
    );
  });

  it('takes the step to zero straight from N, bypassing the HPA', () => {
    // 64 short tasks: the HPA scales up; once they are done KEDA drops 16+ workers to 0 in one step.
    const config = simConfig({ workerConcurrency: 1, pollingInterval: 5, cooldownPeriod: 30, maxReplicaCount: 64 });
    const result = runSimulation(workloadOf(burst(64, 0, 40)), config, { recordLog: true });
    const zero = result.log?.scale.find((e) => e.cause === 'keda-cooldown');
    expect(zero?.to).toBe(0);
    expect(zero?.from).toBeGreaterThan(1);
  });
});
