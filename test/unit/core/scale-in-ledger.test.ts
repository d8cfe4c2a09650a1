import { describe, expect, it } from 'vitest';

import type { WorkerPod } from '../../../src/core/ports.js';
import type { Plan } from '../../../src/core/scale-in-ledger.js';
import { BrokerHealth, ScaleInLedger, publication } from '../../../src/core/scale-in-ledger.js';

function pod(name: string): WorkerPod {
  return { name, phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost: null, ownerKind: 'ReplicaSet' };
}

function planOf(ledger: ScaleInLedger, desired: number, running: Record<string, number>, nowMs: number, pods = ['a', 'b', 'c']): Plan {
  const plan = ledger.plan({ desired, pods: pods.map(pod), running: new Map(Object.entries(running)), snapshotTakenAtMs: nowMs, canDrain: true });
  if (plan.kind !== 'plan') throw new Error(plan.reason);
  return plan;
}

describe('scale-in ledger', () => {
  it('puts every kept worker back to work once, at the first plan only', () => {
    const ledger = new ScaleInLedger(10_000);
    const first = ledger.commandsDue(planOf(ledger, 2, { a: 1, b: 1, c: 1 }, 0), 0);
    expect(first.reconcile).toEqual(['b', 'c']);
    expect(ledger.commandsDue(planOf(ledger, 2, { a: 1, b: 1, c: 1 }, 1_000), 1_000).reconcile).toEqual([]);
  });

  it('sends an unconfirmed drain again only resendAfterMs after the last send', () => {
    const ledger = new ScaleInLedger(10_000);
    const due = ledger.commandsDue(planOf(ledger, 2, { a: 2, b: 2, c: 1 }, 0), 0);
    expect(due.drain).toEqual(['c']);
    ledger.drainsSent(due.drain, 0, new Set(), 0);
    expect(ledger.commandsDue(planOf(ledger, 2, { a: 2, b: 2, c: 1 }, 9_999), 9_999)).toMatchObject({ drain: [], resend: [] });
    expect(ledger.commandsDue(planOf(ledger, 2, { a: 2, b: 2, c: 1 }, 10_000), 10_000)).toMatchObject({ drain: [], resend: ['c'] });
  });

  it('holds a drained victim until a snapshot taken after its confirmation shows it idle', () => {
    const ledger = new ScaleInLedger(10_000);
    ledger.drainsSent(ledger.commandsDue(planOf(ledger, 2, { a: 2, b: 2, c: 1 }, 0), 0).drain, 0, new Set(), 0);
    expect(ledger.lateDrainReplies(500, 500)).toBe(1);
    expect(planOf(ledger, 2, { a: 2, b: 2 }, 400).removable.has('c')).toBe(false);
    const plan = planOf(ledger, 2, { a: 2, b: 2 }, 500);
    expect(plan.removable.has('c')).toBe(true);
    const annotated = ['a', 'b', 'c'].map((name) => ({ ...pod(name), deletionCost: plan.costs.get(name) ?? null }));
    expect(publication(plan, annotated, 2)).toEqual({ reported: 2, unsettled: false });
    // Before the patch is on the pod, the count cannot drop and the set is not settled.
    expect(publication(plan, ['a', 'b', 'c'].map(pod), 2)).toEqual({ reported: 3, unsettled: true });
  });

  it('restores a confirmed add_consumer at once, and asks an unconfirmed one again after resendAfterMs', () => {
    const ledger = new ScaleInLedger(10_000);
    ledger.commandsDue(planOf(ledger, 3, {}, 0), 0);
    ledger.drainsSent(['b', 'c'], 0, new Set(['b', 'c']), 0);
    const due = ledger.commandsDue(planOf(ledger, 3, { b: 1, c: 1 }, 1_000), 1_000);
    expect(due.restore).toEqual(['b', 'c']);
    expect(ledger.restoresSent(due.restore, 1_000, new Set(['b']))).toEqual(['b']);
    expect(ledger.isDraining('c')).toBe(true);
    expect(ledger.commandsDue(planOf(ledger, 3, { b: 1, c: 1 }, 5_000), 5_000).restore).toEqual([]);
    expect(ledger.commandsDue(planOf(ledger, 3, { b: 1, c: 1 }, 11_000), 11_000).restore).toEqual(['c']);
  });

  it('forgets draining workers that are no longer active pods', () => {
    const ledger = new ScaleInLedger(10_000);
    ledger.drainsSent(['c'], 0, new Set(['c']), 0);
    ledger.settle(planOf(ledger, 2, {}, 1_000, ['a', 'b']));
    expect(ledger.isDraining('c')).toBe(false);
  });
});

describe('broker health', () => {
  it('gives draining up graceMs after the first failure, and resumes on the first success', () => {
    const broker = new BrokerHealth(30_000);
    expect(broker.unreachable(1_000)).toBe(true);
    expect(broker.unreachable(5_000)).toBe(false);
    expect(broker.givenUp(30_999)).toBe(false);
    expect(broker.givenUp(31_000)).toBe(true);
    expect(broker.reachable()).toBe(true);
    expect(broker.reachable()).toBe(false);
    expect(broker.givenUp(99_000)).toBe(false);
  });
});
