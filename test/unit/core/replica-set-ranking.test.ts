import { describe, expect, it } from 'vitest';

import type { RankedPod } from '../../../src/core/replica-set-ranking.js';
import { compareForDeletion, compareUpToCost, modelledPod, modelledWorkerPod, podsToDelete } from '../../../src/core/replica-set-ranking.js';

const NOW = 1_000_000_000;

function pod(name: string, overrides: Partial<RankedPod> = {}): RankedPod & { name: string } {
  return { name, scheduled: true, phase: 'Running', ready: true, deletionCost: null, readySinceMs: 0, createdAtMs: 0, uid: name, restarts: 0, ...overrides };
}

const order = (pods: readonly (RankedPod & { name: string })[]): string[] => podsToDelete(pods, pods.length, NOW).map((p) => p.name);

describe('the ReplicaSet deletion ranking (ActivePodsWithRanks.Less)', () => {
  it('deletes unscheduled, then Pending, Unknown, Running, then not-ready pods before ready ones', () => {
    const pods = [
      pod('ready'),
      pod('unknown', { phase: 'Unknown', ready: false }),
      pod('running-unready', { ready: false, readySinceMs: null }),
      pod('pending', { phase: 'Pending', ready: false, readySinceMs: null }),
      pod('unscheduled', { scheduled: false, phase: 'Pending', ready: false, readySinceMs: null }),
    ];
    expect(order(pods)).toEqual(['unscheduled', 'pending', 'unknown', 'running-unready', 'ready']);
  });

  it('deletes the lower pod-deletion-cost first, an absent annotation counting as 0, after readiness', () => {
    const pods = [pod('keep', { deletionCost: 10 }), pod('none'), pod('victim', { deletionCost: -1000 }), pod('unready', { ready: false, deletionCost: 500 })];
    expect(order(pods)).toEqual(['unready', 'victim', 'none', 'keep']);
    expect(compareUpToCost(pod('a'), pod('b', { deletionCost: 0 }))).toBe(0);
  });

  it('among ready pods deletes the most recently ready first, comparing ready ages in log2 buckets, then by UID', () => {
    // Ages 1.1 s and 1.5 s share the bucket floor(log2(age in ns)) = 30; 4 s is in bucket 31.
    const pods = [pod('old', { readySinceMs: NOW - 4_000, uid: 'a' }), pod('b-young', { readySinceMs: NOW - 1_100, uid: 'c' }), pod('a-young', { readySinceMs: NOW - 1_500, uid: 'b' })];
    expect(order(pods)).toEqual(['a-young', 'b-young', 'old']);
  });

  it('then deletes the pod with more container restarts, then the newer one', () => {
    expect(order([pod('calm', { restarts: 0 }), pod('crashy', { restarts: 3 })])).toEqual(['crashy', 'calm']);
    const unready = { ready: false, readySinceMs: null } as const;
    expect(order([pod('older', { ...unready, createdAtMs: NOW - 100_000 }), pod('newer', { ...unready, createdAtMs: NOW - 1_000 })])).toEqual(['newer', 'older']);
  });

  it('is a consistent order: antisymmetric on every pair', () => {
    const pods = [pod('a'), pod('b', { deletionCost: -5 }), pod('c', { ready: false, readySinceMs: null }), pod('d', { readySinceMs: NOW - 10 })];
    for (const p of pods) for (const q of pods) expect(Math.sign(compareForDeletion(p, q, NOW))).toBe(-Math.sign(compareForDeletion(q, p, NOW)) || 0);
  });

  it('takes exactly the requested count, none for zero or less', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    expect(podsToDelete(pods, 2, NOW)).toHaveLength(2);
    expect(podsToDelete(pods, 0, NOW)).toEqual([]);
    expect(podsToDelete(pods, -1, NOW)).toEqual([]);
  });

  it('models pods as always scheduled, Pending until ready and Running after', () => {
    expect(modelledPod({ ready: false, deletionCost: null, readySinceMs: null, createdAtMs: 5, uid: 1 })).toMatchObject({ scheduled: true, phase: 'Pending', restarts: 0 });
    expect(modelledPod({ ready: true, deletionCost: -1, readySinceMs: 9, createdAtMs: 5, uid: 1 })).toMatchObject({ phase: 'Running', deletionCost: -1 });
  });

  it('lists the same modelled pod to the planner with the phase the ranking sees', () => {
    expect(modelledWorkerPod('w-1', false, null)).toEqual({
      name: 'w-1',
      phase: 'Pending',
      scheduled: true,
      ready: false,
      terminating: false,
      deletionCost: null,
      ownerKind: 'ReplicaSet',
    });
    expect(modelledWorkerPod('w-2', true, -1, true)).toMatchObject({ phase: 'Running', ready: true, terminating: true, deletionCost: -1 });
    for (const ready of [false, true]) {
      expect(modelledWorkerPod('w', ready, null).phase).toBe(modelledPod({ ready, deletionCost: null, readySinceMs: null, createdAtMs: 0, uid: 1 }).phase);
    }
  });
});
