import type { WorkerCounts } from './celery-workers.js';
import type { KedaState } from './keda-controller.js';

export interface QueueCounts {
  readonly queue: string;
  readonly queued: number;
  readonly running: number;
}

export interface Frame {
  readonly virtualSeconds: number;
  readonly speed: number;
  readonly queues: readonly QueueCounts[];
  readonly workers: WorkerCounts;
  readonly keda: KedaState;
  readonly concurrency: number;
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

/** The live view: per queue queued and running, then the worker Deployment and KEDA's view. */
export function renderFrame(frame: Frame): string {
  const lines = [`t=${clock(frame.virtualSeconds)} (×${frame.speed})   queue        queued  running`];
  for (const q of frame.queues) {
    lines.push(`                     ${q.queue.padEnd(12)} ${String(q.queued).padStart(6)}  ${String(q.running).padStart(7)}`);
  }
  const { workers, keda } = frame;
  lines.push(
    `workers: ${keda.replicas} wanted, ${workers.ready} ready, ${workers.starting} starting, ${workers.terminating} draining` +
      `   desired (GetMetrics): ${keda.lastMetric ?? '-'}   active: ${keda.active ? 'yes' : 'no'}` +
      `   slots: ${workers.ready * frame.concurrency}   killed: ${workers.killed}   errors: ${keda.errors}`,
  );
  return lines.join('\n');
}
