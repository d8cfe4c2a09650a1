import { describe, expect, it } from 'vitest';

import type { WorkerPod } from '../../../src/core/ports.js';
import type { DrainState, ScaleInInput, ScaleInPlan } from '../../../src/core/scale-in-plan.js';
import { DeletionCost, ordinalOf, planScaleIn, reportedReplicas } from '../../../src/core/scale-in-plan.js';

function pod(name: string, overrides: Partial<WorkerPod> = {}): WorkerPod {
  return { name, phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost: null, ownerKind: 'ReplicaSet', ...overrides };
}

const SNAPSHOT_AT = 10_000;

function input(overrides: Partial<ScaleInInput>): ScaleInInput {
  return {
    desired: 1,
    pods: [],
    running: new Map(),
    draining: new Map(),
    snapshotTakenAtMs: SNAPSHOT_AT,
    canDrain: true,
    ...overrides,
  };
}

function plan(overrides: Partial<ScaleInInput>): Extract<ScaleInPlan, { kind: 'plan' }> {
  const result = planScaleIn(input(overrides));
  if (result.kind !== 'plan') throw new Error(`unexpected: ${result.reason}`);
  return result;
}

/** The pods as they are once every planned cost is written. */
function annotated(pods: readonly WorkerPod[], p: Extract<ScaleInPlan, { kind: 'plan' }>): WorkerPod[] {
  return pods.map((x) => (p.costs.has(x.name) ? { ...x, deletionCost: p.costs.get(x.name) ?? null } : x));
}

const confirmedBefore: DrainState = { confirmedAtMs: SNAPSHOT_AT - 1 };

describe('planScaleIn victim choice', () => {
  it('picks exactly the surplus, idle workers first, then the least loaded', () => {
    const pods = ['w-a', 'w-b', 'w-c', 'w-d'].map((n) => pod(n));
    const running = new Map([['w-a', 5], ['w-b', 1], ['w-c', 3]]);
    const p = plan({ desired: 2, pods, running });
    expect(p.victims).toEqual(['w-d', 'w-b']);
  });

  it('chooses nobody when the formula wants as many workers as exist or more', () => {
    const pods = [pod('w-a'), pod('w-b')];
    expect(plan({ desired: 2, pods }).victims).toEqual([]);
    expect(plan({ desired: 5, pods }).victims).toEqual([]);
  });

  it('takes pods the ReplicaSet removes first anyway (unscheduled, pending, not ready) before idle ready ones', () => {
    const pods = [pod('w-idle'), pod('w-unready', { ready: false }), pod('w-pending', { phase: 'Pending', ready: false, scheduled: false })];
    expect(plan({ desired: 1, pods }).victims).toEqual(['w-pending', 'w-unready']);
  });

  it('ignores terminating and finished pods: the HPA no longer counts them', () => {
    const pods = [pod('w-a'), pod('w-going', { terminating: true }), pod('w-done', { phase: 'Succeeded' })];
    const p = plan({ desired: 1, pods });
    expect(p.active).toEqual(['w-a']);
    expect(p.victims).toEqual([]);
  });

  it('prefers a worker already draining among equally loaded ones, so victims do not flap', () => {
    const pods = [pod('w-a'), pod('w-b')];
    const running = new Map([['w-a', 2], ['w-b', 2]]);
    const p = plan({ desired: 1, pods, running, draining: new Map([['w-b', { confirmedAtMs: null }]]) });
    expect(p.victims).toEqual(['w-b']);
  });

  it('for a StatefulSet takes the highest ordinals whatever their load', () => {
    const pods = ['airflow-worker-0', 'airflow-worker-1', 'airflow-worker-2'].map((n) => pod(n, { ownerKind: 'StatefulSet' }));
    const running = new Map([['airflow-worker-2', 4]]);
    const p = plan({ desired: 1, pods, running });
    expect(p.order).toBe('highest-ordinal');
    expect(p.victims).toEqual(['airflow-worker-2', 'airflow-worker-1']);
    expect(p.costs.size).toBe(0);
  });

  it('is unsupported when pods have mixed or unknown owners', () => {
    expect(planScaleIn(input({ pods: [pod('a'), pod('b', { ownerKind: 'StatefulSet' })] })).kind).toBe('unsupported');
    const bare = planScaleIn(input({ pods: [pod('a', { ownerKind: null })] }));
    expect(bare).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('owned by nothing') });
  });
});

describe('planScaleIn draining', () => {
  it('drains busy victims and holds them in the reported count until idle', () => {
    const pods = [pod('w-a'), pod('w-b'), pod('w-c')];
    const running = new Map([['w-a', 3], ['w-b', 1], ['w-c', 2]]);
    const p = plan({ desired: 1, pods, running });
    expect(p.victims).toEqual(['w-b', 'w-c']);
    expect(p.drain).toEqual(['w-b', 'w-c']);
    expect(p.removable.size).toBe(0);
    expect(reportedReplicas(p, annotated(pods, p), 1)).toBe(3);
  });

  it('drains idle victims too, and removes them only once the drain was confirmed before the snapshot', () => {
    const pods = [pod('w-a'), pod('w-b')];
    const fresh = plan({ desired: 1, pods });
    expect(fresh.victims).toEqual(['w-a']);
    expect(fresh.drain).toEqual(['w-a']);
    expect(reportedReplicas(fresh, annotated(pods, fresh), 1)).toBe(2);

    const confirmedAfter = plan({ desired: 1, pods, draining: new Map([['w-a', { confirmedAtMs: SNAPSHOT_AT + 5 }]]) });
    expect(confirmedAfter.removable.size).toBe(0);

    const proven = plan({ desired: 1, pods, draining: new Map([['w-a', confirmedBefore]]) });
    expect([...proven.removable]).toEqual(['w-a']);
    expect(proven.drain).toEqual([]);
    expect(reportedReplicas(proven, annotated(pods, proven), 1)).toBe(1);
  });

  it('lets a pod that never started go without a drain', () => {
    const pods = [pod('w-a'), pod('w-new', { phase: 'Pending', ready: false })];
    const p = plan({ desired: 1, pods });
    expect(p.drain).toEqual([]);
    expect([...p.removable]).toEqual(['w-new']);
    expect(reportedReplicas(p, annotated(pods, p), 1)).toBe(1);
  });

  it('restores a draining worker that is needed again instead of keeping it a victim', () => {
    const pods = [pod('w-a'), pod('w-b')];
    const running = new Map([['w-a', 2], ['w-b', 2]]);
    const p = plan({ desired: 2, pods, running, draining: new Map([['w-b', confirmedBefore]]) });
    expect(p.victims).toEqual([]);
    expect(p.restore).toEqual(['w-b']);
  });

  it('writes removable -1000, draining -500 and removes the annotation from keepers', () => {
    const pods = [pod('w-a', { deletionCost: -500 }), pod('w-b'), pod('w-c')];
    const running = new Map([['w-b', 1], ['w-c', 4]]);
    const p = plan({ desired: 1, pods, running, draining: new Map([['w-a', confirmedBefore]]) });
    expect(Object.fromEntries(p.costs)).toEqual({ 'w-a': DeletionCost.removable, 'w-b': DeletionCost.draining, 'w-c': null });
  });

  it('counts busy, idle and draining workers', () => {
    const pods = [pod('w-a'), pod('w-b'), pod('w-c')];
    const p = plan({ desired: 1, pods, running: new Map([['w-c', 1]]), draining: new Map([['w-a', confirmedBefore]]) });
    expect(p.counts).toEqual({ busy: 1, idle: 2, draining: 1 });
  });
});

describe('planScaleIn without a broker (ranking only)', () => {
  it('reports the formula once the victims carry the lowest cost, busy or not', () => {
    const pods = [pod('w-a'), pod('w-b'), pod('w-c')];
    const p = plan({ desired: 1, pods, running: new Map([['w-a', 1], ['w-b', 2], ['w-c', 3]]), canDrain: false });
    expect(p.victims).toEqual(['w-a', 'w-b']);
    expect(p.drain).toEqual([]);
    expect(reportedReplicas(p, annotated(pods, p), 1)).toBe(1);
  });
});

describe('reportedReplicas', () => {
  it('does not lower the count before the victims carry their cost', () => {
    const pods = [pod('w-a'), pod('w-b')];
    const p = plan({ desired: 1, pods, draining: new Map([['w-a', confirmedBefore]]) });
    expect(reportedReplicas(p, pods, 1)).toBe(2);
    expect(reportedReplicas(p, annotated(pods, p), 1)).toBe(1);
  });

  it('never removes an idle ready victim while a busy not-ready pod would be deleted first', () => {
    const pods = [pod('w-a'), pod('w-sick', { ready: false }), pod('w-c')];
    const running = new Map([['w-sick', 2], ['w-c', 5]]);
    const p = plan({ desired: 1, pods, running, draining: new Map([['w-a', confirmedBefore]]) });
    expect(p.victims).toEqual(['w-sick', 'w-a']);
    expect(p.removable.has('w-a')).toBe(true);
    expect(reportedReplicas(p, annotated(pods, p), 1)).toBe(3);
  });

  it('for a StatefulSet removes only the idle drained pods above every held ordinal', () => {
    const pods = ['w-0', 'w-1', 'w-2', 'w-3'].map((n) => pod(n, { ownerKind: 'StatefulSet' }));
    const draining = new Map([['w-1', confirmedBefore], ['w-2', confirmedBefore], ['w-3', confirmedBefore]]);
    const p = plan({ desired: 1, pods, running: new Map([['w-2', 1]]), draining });
    expect([...p.removable].sort()).toEqual(['w-1', 'w-3']);
    expect(reportedReplicas(p, pods, 1)).toBe(3);
  });

  it('is never below the formula', () => {
    const pods = [pod('w-a')];
    const p = plan({ desired: 4, pods });
    expect(reportedReplicas(p, pods, 4)).toBe(4);
  });
});

describe('ordinalOf', () => {
  it.each([
    ['airflow-worker-0', 0],
    ['airflow-worker-12', 12],
    ['airflow-worker', null],
    ['airflow-worker-01', null],
  ])('reads %s as %s', (name, expected) => {
    expect(ordinalOf(name)).toBe(expected);
  });
});
