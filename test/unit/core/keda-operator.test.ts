import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { HorizontalPodAutoscaler } from '../../../src/core/hpa.js';
import type { FallbackSpec, ScaledObjectSettings } from '../../../src/core/keda-operator.js';
import { KedaScaledObject, fallbackReplicas, kedaSettings } from '../../../src/core/keda-operator.js';

function scaledObject(overrides: Partial<ScaledObjectSettings> = {}): KedaScaledObject {
  return new KedaScaledObject({
    minReplicaCount: 0,
    maxReplicaCount: 10,
    cooldownPeriodMs: 300_000,
    initialCooldownPeriodMs: 0,
    createdAtMs: 0,
    fallback: null,
    hpaTolerance: 0.1,
    hpaBehavior: null,
    ...overrides,
  });
}

const ACTIVE = { active: true } as const;
const IDLE = { active: false } as const;

describe('kedaSettings', () => {
  it('converts the ScaledObject seconds to the model ms, without a fallback', () => {
    const fields = { minReplicaCount: 1, maxReplicaCount: 8, cooldownPeriod: 300, initialCooldownPeriod: 1.5, hpaTolerance: 0.1, hpaBehavior: null };
    expect(kedaSettings(fields, 42)).toEqual({
      minReplicaCount: 1,
      maxReplicaCount: 8,
      cooldownPeriodMs: 300_000,
      initialCooldownPeriodMs: 1500,
      createdAtMs: 42,
      fallback: null,
      hpaTolerance: 0.1,
      hpaBehavior: null,
    });
  });
});

describe('KEDA operator poll (RequestScale)', () => {
  it('activates 0 → max(minReplicaCount, 1) and leaves a running target to the HPA', () => {
    expect(scaledObject().poll(0, 0, ACTIVE)).toEqual({ replicas: 1, cause: 'keda-activation' });
    expect(scaledObject({ minReplicaCount: 3 }).poll(0, 0, ACTIVE)).toEqual({ replicas: 3, cause: 'keda-activation' });
    expect(scaledObject().poll(0, 4, ACTIVE)).toBeNull();
  });

  it('scales to zero only once lastActiveTime + cooldownPeriod is strictly before now', () => {
    const so = scaledObject();
    so.poll(10_000, 5, ACTIVE);
    expect(so.poll(310_000, 5, IDLE)).toBeNull();
    expect(so.poll(310_001, 5, IDLE)).toEqual({ replicas: 0, cause: 'keda-cooldown' });
  });

  it('counts initialCooldownPeriod from the creation, and only until the trigger was first active', () => {
    const so = scaledObject({ createdAtMs: 1_000, initialCooldownPeriodMs: 60_000, cooldownPeriodMs: 0 });
    expect(so.poll(61_000, 2, IDLE)).toBeNull();
    expect(so.poll(61_001, 2, IDLE)).toEqual({ replicas: 0, cause: 'keda-cooldown' });
    // Once active, cooldownPeriod (0 here) rules, however young the ScaledObject is.
    const young = scaledObject({ createdAtMs: 1_000, initialCooldownPeriodMs: 60_000, cooldownPeriodMs: 0 });
    young.poll(2_000, 0, ACTIVE);
    expect(young.poll(2_001, 1, IDLE)).toEqual({ replicas: 0, cause: 'keda-cooldown' });
  });

  it('raises an inactive target below minReplicaCount to it, and never scales to zero above a minimum', () => {
    expect(scaledObject({ minReplicaCount: 2 }).poll(0, 1, IDLE)).toEqual({ replicas: 2, cause: 'keda-min' });
    expect(scaledObject({ minReplicaCount: 2, cooldownPeriodMs: 0 }).poll(999_999, 5, IDLE)).toBeNull();
  });

  it('never scales to zero on a failed poll', () => {
    const so = scaledObject({ cooldownPeriodMs: 0 });
    expect(so.poll(1_000_000, 3, 'error')).toBeNull();
    expect(so.lastActiveMs).toBeNull();
  });

  it('with external-push activates on the pushed true, at once', () => {
    const so = scaledObject();
    expect(so.push(1_234, 0)).toEqual({ replicas: 1, cause: 'keda-activation' });
    expect(so.lastActiveMs).toBe(1_234);
  });

  it('refuses time that is not whole milliseconds', () => {
    expect(() => scaledObject().poll(0.5, 0, ACTIVE)).toThrow(RangeError);
  });
});

describe('KEDA fallback (pkg/fallback)', () => {
  const fallback: FallbackSpec = { failureThreshold: 2, replicas: 6, behavior: 'static' };

  it('engages after more than failureThreshold consecutive failures, polls and HPA reads alike, and counts as active', () => {
    const so = scaledObject({ fallback });
    expect(so.poll(0, 0, 'error')).toBeNull();
    expect(so.hpaSync(15_000, 2, 2, () => null)).toBeNull();
    expect(so.inFallback).toBe(false);
    // The third failure passes the threshold: active, so 0 → 1 and lastActiveTime moves.
    expect(so.poll(30_000, 0, 'error')).toEqual({ replicas: 1, cause: 'keda-activation' });
    expect(so.lastActiveMs).toBe(30_000);
    // The HPA now reads fallback.replicas × target.
    expect(so.hpaSync(45_000, 1, 1, () => null)).toEqual({ replicas: 4, cause: 'hpa' });
  });

  it('is reset by one successful read', () => {
    const so = scaledObject({ fallback });
    for (let i = 0; i < 3; i++) so.poll(i * 1000, 1, 'error');
    expect(so.inFallback).toBe(true);
    so.hpaSync(10_000, 1, 1, () => 1);
    expect(so.inFallback).toBe(false);
  });

  it('without a fallback a failed HPA read leaves the target alone', () => {
    const so = scaledObject();
    for (let i = 0; i < 10; i++) expect(so.hpaSync(i * 15_000, 3, 3, () => null)).toBeNull();
  });

  it('answers by its behavior: static, currentReplicas, currentReplicasIfHigher, currentReplicasIfLower', () => {
    expect(fallbackReplicas({ ...fallback, behavior: 'static' }, 9)).toBe(6);
    expect(fallbackReplicas({ ...fallback, behavior: 'currentReplicas' }, 9)).toBe(9);
    expect(fallbackReplicas({ ...fallback, behavior: 'currentReplicasIfHigher' }, 9)).toBe(9);
    expect(fallbackReplicas({ ...fallback, behavior: 'currentReplicasIfHigher' }, 3)).toBe(6);
    expect(fallbackReplicas({ ...fallback, behavior: 'currentReplicasIfLower' }, 3)).toBe(3);
    expect(fallbackReplicas({ ...fallback, behavior: 'currentReplicasIfLower' }, 9)).toBe(6);
  });
});

describe('HPA reconcile (pkg/controller/podautoscaler)', () => {
  it('reads no metric at zero replicas or outside its bounds', () => {
    const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 10, tolerance: 0.1, behavior: null });
    let reads = 0;
    const read = (): number => {
      reads += 1;
      return 5;
    };
    expect(hpa.sync(0, 0, 0, 1, read)).toBeNull();
    expect(hpa.sync(15_000, 12, 12, 1, read)).toBe(10);
    expect(reads).toBe(0);
    expect(hpa.readsMetric(0)).toBe(false);
    expect(hpa.readsMetric(5)).toBe(true);
  });

  it('counts a scale event exactly one policy period old as outside the period', () => {
    const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 100, tolerance: 0.1, behavior: defaultBehavior({}) });
    const backlog = (): number => 63;
    const t0 = 11_288;
    expect(hpa.sync(t0, 1, 1, 1, backlog)).toBe(5);
    expect(hpa.sync(t0 + 15_000, 5, 5, 1, backlog)).toBe(10);
    expect(hpa.sync(t0 + 30_000, 10, 10, 1, backlog)).toBe(20);
    expect(hpa.sync(t0 + 45_000, 20, 20, 1, backlog)).toBe(40);
    expect(hpa.sync(t0 + 60_000, 40, 40, 1, backlog)).toBe(63);
  });

  it('refuses time that is not whole milliseconds', () => {
    const hpa = new HorizontalPodAutoscaler({ minReplicas: 1, maxReplicas: 10, tolerance: 0.1, behavior: null });
    expect(() => hpa.sync(26_287.999, 1, 1, 1, () => 1)).toThrow(RangeError);
  });
});
