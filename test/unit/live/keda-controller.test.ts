import { describe, expect, it } from 'vitest';

import type { ScaledObjectSettings } from '../../../src/live/keda-controller.js';
import { KedaController } from '../../../src/live/keda-controller.js';
import type { ScalerEndpoint } from '../../../src/live/scaler-endpoint.js';
import { VirtualClock } from '../../../src/live/virtual-clock.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { burst, simConfig, workloadOf } from '../sim/support.js';

/*
 * The live demo's KEDA (driving the real gRPC service) and the simulator's run the same core
 * model. Here the live controller is polled at the simulator's poll instants with the answers the
 * simulator's scaler gave, and both must take the Deployment to zero at the same instant.
 */

const settings = (overrides: Partial<ScaledObjectSettings>): ScaledObjectSettings => ({
  minReplicaCount: 0,
  maxReplicaCount: 10,
  pollingInterval: 30,
  cooldownPeriod: 300,
  initialCooldownPeriod: 0,
  push: false,
  hpaSyncPeriodSeconds: 15,
  hpaTolerance: 0.1,
  hpaBehavior: null,
  ...overrides,
});

/** The live controller over an endpoint that answers what the simulator's scaler answered at each poll. */
function liveZeroes(polls: readonly { time: number; active: boolean; desired: number }[], so: ScaledObjectSettings): Promise<number[]> {
  let wallMs = 0;
  let answer = polls[0];
  const endpoint: ScalerEndpoint = {
    readMetric: () => Promise.resolve(answer?.desired ?? 0),
    isActive: () => Promise.resolve(answer?.active ?? false),
    watchActive: () => () => undefined,
  };
  const zeroes: number[] = [];
  const clock = new VirtualClock(1, () => wallMs);
  const keda = new KedaController(endpoint, so, clock, () => 1, (replicas) => {
    if (replicas === 0) zeroes.push(clock.now());
  });
  return (async () => {
    for (const poll of polls) {
      wallMs = poll.time * 1000;
      answer = poll;
      await keda.poll();
    }
    return zeroes;
  })();
}

describe('the live demo KEDA and the simulator KEDA', () => {
  it('scale to zero at the same instant: the first poll strictly after lastActiveTime + cooldownPeriod', async () => {
    // Active at the polls at 0 s and 30 s (the task runs until 50 s): lastActiveTime 30 s, so
    // 330 s is not yet past the cooldown and the step to zero comes at the poll at 360 s.
    const so = settings({});
    const config = simConfig({ pollingInterval: so.pollingInterval, cooldownPeriod: so.cooldownPeriod, maxReplicaCount: so.maxReplicaCount });
    const sim = runSimulation(workloadOf(burst(3, 0, 50)), config, { recordLog: true });
    const simZeroes = (sim.log?.scale ?? []).filter((e) => e.cause === 'keda-cooldown').map((e) => e.time);
    expect(simZeroes).toEqual([360]);
    expect(await liveZeroes(sim.log?.polls ?? [], so)).toEqual(simZeroes);
  });

  it('agree over a day of bursts with a cooldown on the polling grid', async () => {
    const so = settings({ pollingInterval: 15, cooldownPeriod: 60 });
    const tasks = [...burst(20, 100, 40), ...burst(5, 1000, 200), ...burst(50, 5000, 10), [5075, 1] as [number, number]];
    const config = simConfig({ pollingInterval: so.pollingInterval, cooldownPeriod: so.cooldownPeriod, maxReplicaCount: so.maxReplicaCount });
    const sim = runSimulation(workloadOf(tasks), config, { recordLog: true });
    const simZeroes = (sim.log?.scale ?? []).filter((e) => e.cause === 'keda-cooldown').map((e) => e.time);
    expect(simZeroes.length).toBeGreaterThanOrEqual(3);
    expect(await liveZeroes(sim.log?.polls ?? [], so)).toEqual(simZeroes);
  });
});
