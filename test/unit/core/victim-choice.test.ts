import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { WorkerPod } from '../../../src/core/ports.js';
import type { DrainState } from '../../../src/core/scale-in-plan.js';
import { planScaleIn, victimChoiceStands } from '../../../src/core/scale-in-plan.js';

// victimChoiceStands is the simulator's cache for "would the planner choose the same victims?";
// here it is checked against the planner itself on random pods, loads and drains.

const podArb = fc.record({ ready: fc.boolean(), load: fc.integer({ min: 0, max: 3 }), newLoad: fc.integer({ min: 0, max: 3 }), draining: fc.boolean(), confirmed: fc.boolean() });

describe('victimChoiceStands (core) against planScaleIn', () => {
  it('holds exactly when a new plan after load changes chooses the same victims, and then every answer is the same', () => {
    fc.assert(
      fc.property(fc.array(podArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), (specs, desired, canDrain) => {
        const pods: WorkerPod[] = specs.map((s, i) => ({
          name: `w-${i}`,
          phase: s.ready ? 'Running' : 'Pending',
          scheduled: true,
          ready: s.ready,
          terminating: false,
          deletionCost: null,
          ownerKind: 'ReplicaSet',
        }));
        // Pending pods run nothing; only ready ones can be draining.
        const load = (i: number, key: 'load' | 'newLoad'): number => {
          const spec = specs[i];
          return spec?.ready === true ? spec[key] : 0;
        };
        const draining = new Map<string, DrainState>();
        specs.forEach((s, i) => {
          if (s.ready && s.draining) draining.set(`w-${i}`, { confirmedAtMs: s.confirmed ? 0 : null });
        });
        const plan = (key: 'load' | 'newLoad') => {
          const running = new Map(pods.map((p, i) => [p.name, load(i, key)] as const));
          const result = planScaleIn({ desired, pods, running, draining, snapshotTakenAtMs: 10, canDrain });
          if (result.kind !== 'plan') throw new Error(result.reason);
          return result;
        };
        const before = plan('load');
        const after = plan('newLoad');
        const victims = new Set(before.victims);
        const busyVictims = new Set(before.victims.filter((name) => load(Number(name.slice(2)), 'load') > 0));
        const candidates = pods.map((pod, i) => ({ pod, load: load(i, 'newLoad'), draining: draining.has(pod.name) }));
        const stands = victimChoiceStands(candidates, victims, busyVictims, canDrain);
        const sameVictims = [...after.victims].sort().join() === [...before.victims].sort().join();
        if (stands) {
          expect(sameVictims).toBe(true);
          expect([...after.removable].sort()).toEqual([...before.removable].sort());
          expect([...after.drain].sort()).toEqual([...before.drain].sort());
          expect([...after.restore].sort()).toEqual([...before.restore].sort());
          expect(after.costs).toEqual(before.costs);
        }
        if (!sameVictims) expect(stands).toBe(false);
      }),
      { numRuns: 2000, seed: 10 },
    );
  });
});
