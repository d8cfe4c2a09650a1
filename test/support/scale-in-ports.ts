import { ErrorCode, ScalerError } from '../../src/core/errors.js';
import type { ControlReply, PodDirectory, WorkerControl, WorkerPod } from '../../src/core/ports.js';
import type { ScaleInObserver } from '../../src/scale-in/scale-in-controller.js';

// In-memory Kubernetes and broker ports for the scale-in controller, so the clock and failures can
// be steered (the real adapters are tested in test/integration/scale-in).

export function runningPod(name: string, overrides: Partial<WorkerPod> = {}): WorkerPod {
  return { name, phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost: null, ownerKind: 'ReplicaSet', ...overrides };
}

/** A namespace's worker pods; a patch applies at once, as the API server does. */
export class MemoryPods implements PodDirectory {
  readonly patches: [string, number | null][] = [];
  /** How many times the pods were listed. */
  lists = 0;
  constructor(public pods: WorkerPod[]) {}
  list(): Promise<WorkerPod[]> {
    this.lists += 1;
    return Promise.resolve(this.pods.map((p) => ({ ...p })));
  }
  setDeletionCost(_namespace: string, name: string, cost: number | null): Promise<void> {
    this.patches.push([name, cost]);
    this.pods = this.pods.map((p) => (p.name === name ? { ...p, deletionCost: cost } : p));
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Celery workers answering remote control; `beforeCancelReply` runs while a cancel_consumer is in flight. */
export class MemoryBroker implements WorkerControl {
  readonly sent: ['cancel' | 'add', readonly string[]][] = [];
  down = false;
  /** Hostnames that never answer. */
  readonly silent = new Set<string>();
  beforeCancelReply: () => void = () => undefined;

  private answer(method: 'cancel' | 'add', hostnames: readonly string[]): Promise<ControlReply[]> {
    this.sent.push([method, [...hostnames]]);
    if (this.down) return Promise.reject(new ScalerError(ErrorCode.BrokerControlFailed, 'broker unreachable'));
    if (method === 'cancel') this.beforeCancelReply();
    return Promise.resolve(hostnames.filter((h) => !this.silent.has(h)).map((hostname) => ({ hostname, ok: true, detail: method })));
  }
  cancelConsumer(hostnames: readonly string[]): Promise<ControlReply[]> {
    return this.answer('cancel', hostnames);
  }
  addConsumer(hostnames: readonly string[]): Promise<ControlReply[]> {
    return this.answer('add', hostnames);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const noObserver: ScaleInObserver = {
  planned: () => undefined,
  patched: () => undefined,
  drained: () => undefined,
  restored: () => undefined,
  failed: () => undefined,
  forgotten: () => undefined,
  overLimit: () => undefined,
  brokerAvailable: () => undefined,
};
