import type { WorkerSetSpec } from '../../src/core/metadata.js';

/** A worker set with the documented metadata defaults, overridden where a test needs. */
export function workerSetSpec(overrides: Partial<WorkerSetSpec> = {}): WorkerSetSpec {
  return {
    metastore: 'default',
    queues: ['default'],
    executorFilter: null,
    workerConcurrency: 16,
    minReplicaCount: 0,
    maxReplicaCount: null,
    activationThreshold: 0,
    scaleIn: { policy: 'drain', podSelector: 'component=worker' },
    ...overrides,
  };
}
