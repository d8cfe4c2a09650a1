import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { POD_DELETION_COST_ANNOTATION } from '../../../src/core/ports.js';
import {
  controllerKind,
  isPodReady,
  parseDeletionCost,
  toWorkerPod,
  toWorkerPods,
} from '../../../src/kubernetes/pod-mapping.js';
import type { PodObject } from '../../../src/kubernetes/pod-mapping.js';
import { buildPod } from '../../support/kube-api-server.js';

describe('parseDeletionCost', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['-100', -100],
    ['2147483647', 2_147_483_647],
    ['-2147483648', -2_147_483_648],
    ['-0', 0],
    ['-008', -8],
  ])('reads %j as %d, like the ReplicaSet controller', (raw, cost) => {
    expect(parseDeletionCost(raw)).toBe(cost);
  });

  it.each([
    ['abc'],
    [''],
    [' 5'],
    ['5 '],
    ['+10'],
    ['008'],
    ['1.5'],
    ['1e3'],
    ['0x10'],
    ['-'],
    ['2147483648'],
    ['-2147483649'],
    ['99999999999999999999'],
  ])('treats %j as no cost (null), like the ReplicaSet controller', (raw) => {
    expect(parseDeletionCost(raw)).toBeNull();
  });

  it('treats a missing annotation as no cost', () => {
    expect(parseDeletionCost(undefined)).toBeNull();
  });

  it('round-trips every int32 written in canonical form', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), (cost) => {
        expect(parseDeletionCost(String(cost))).toBe(cost);
      }),
    );
  });
});

describe('isPodReady', () => {
  it('is true only for phase Running with condition Ready=True', () => {
    expect(isPodReady(buildPod({ name: 'a', phase: 'Running', ready: true }))).toBe(true);
  });

  it('is false for a Running pod whose Ready condition is False', () => {
    expect(isPodReady(buildPod({ name: 'a', phase: 'Running', ready: false }))).toBe(false);
  });

  it('is false for a Running pod without a Ready condition', () => {
    expect(isPodReady({ status: { phase: 'Running', conditions: [{ type: 'ContainersReady', status: 'True' }] } })).toBe(false);
    expect(isPodReady({ status: { phase: 'Running' } })).toBe(false);
  });

  it.each(['Pending', 'Succeeded', 'Failed', 'Unknown'])('is false for phase %s even if a Ready=True condition lingers', (phase) => {
    expect(isPodReady({ status: { phase, conditions: [{ type: 'Ready', status: 'True' }] } })).toBe(false);
  });

  it('is false for a pod without status', () => {
    expect(isPodReady({})).toBe(false);
  });
});

describe('controllerKind', () => {
  it('is the kind of the owner reference marked controller', () => {
    expect(controllerKind(buildPod({ name: 'a', owner: { kind: 'ReplicaSet', name: 'workers-5d9c' } }))).toBe('ReplicaSet');
    expect(controllerKind(buildPod({ name: 'a', owner: { kind: 'StatefulSet', name: 'workers' } }))).toBe('StatefulSet');
  });

  it('ignores owner references that are not the controller', () => {
    const pod = buildPod({
      name: 'a',
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: '1' },
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'y', uid: '2', controller: false },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'z', uid: '3', controller: true },
      ],
    });
    expect(controllerKind(pod)).toBe('ReplicaSet');
  });

  it('is null for a bare pod or one whose owners are not controllers', () => {
    expect(controllerKind(buildPod({ name: 'a' }))).toBeNull();
    expect(controllerKind(buildPod({ name: 'a', owner: { kind: 'ReplicaSet', name: 'r', controller: false } }))).toBeNull();
  });
});

describe('toWorkerPod', () => {
  it('maps a ready, scheduled worker with a cost and a ReplicaSet owner', () => {
    const pod = buildPod({
      name: 'worker-1',
      annotations: { [POD_DELETION_COST_ANNOTATION]: '-100', other: 'x' },
      owner: { kind: 'ReplicaSet', name: 'workers-5d9c' },
    });
    expect(toWorkerPod(pod)).toEqual({
      name: 'worker-1',
      phase: 'Running',
      scheduled: true,
      ready: true,
      terminating: false,
      deletionCost: -100,
      ownerKind: 'ReplicaSet',
    });
  });

  it('maps an unscheduled Pending pod as not scheduled and not ready', () => {
    expect(toWorkerPod(buildPod({ name: 'p', phase: 'Pending' }))).toMatchObject({
      phase: 'Pending',
      scheduled: false,
      ready: false,
    });
  });

  it('marks a pod with a deletionTimestamp as terminating, whether the timestamp is a string or a Date', () => {
    expect(toWorkerPod(buildPod({ name: 't', deletionTimestamp: '2024-01-01T00:01:00Z' }))?.terminating).toBe(true);
    // client-node deserialises date-time fields into Date objects.
    const deserialised: PodObject = { metadata: { name: 't', deletionTimestamp: new Date('2024-01-01T00:01:00Z') } };
    expect(toWorkerPod(deserialised)?.terminating).toBe(true);
    expect(toWorkerPod(buildPod({ name: 'alive' }))?.terminating).toBe(false);
  });

  it('keeps a terminating pod ready while its Ready condition still says True', () => {
    expect(toWorkerPod(buildPod({ name: 't', deletionTimestamp: '2024-01-01T00:01:00Z' }))).toMatchObject({
      ready: true,
      terminating: true,
    });
  });

  it('gives a null cost when the annotation is absent or not an int32', () => {
    expect(toWorkerPod(buildPod({ name: 'a' }))?.deletionCost).toBeNull();
    expect(toWorkerPod(buildPod({ name: 'a', annotations: { [POD_DELETION_COST_ANNOTATION]: 'abc' } }))?.deletionCost).toBeNull();
    expect(
      toWorkerPod(buildPod({ name: 'a', annotations: { [POD_DELETION_COST_ANNOTATION]: '2147483648' } }))?.deletionCost,
    ).toBeNull();
  });

  it('reports phase Unknown when the status has no phase', () => {
    expect(toWorkerPod({ metadata: { name: 'a' } })).toEqual({
      name: 'a',
      phase: 'Unknown',
      scheduled: false,
      ready: false,
      terminating: false,
      deletionCost: null,
      ownerKind: null,
    });
  });

  it('returns null for a pod without a name', () => {
    expect(toWorkerPod({ metadata: {} })).toBeNull();
    expect(toWorkerPod({})).toBeNull();
  });
});

describe('toWorkerPods', () => {
  it('maps every named pod in order and drops nameless ones', () => {
    const pods = toWorkerPods([buildPod({ name: 'b' }), { metadata: {} }, buildPod({ name: 'a' })]);
    expect(pods.map((pod) => pod.name)).toEqual(['b', 'a']);
  });
});
