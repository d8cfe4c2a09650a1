import type { WorkerCounts } from './celery-workers.js';
import type { KedaState } from './keda-controller.js';

export interface QueueCounts {
  readonly queue: string;
  readonly queued: number;
  readonly running: number;
}

/** What the real service reports about the worker set, from its own /metrics instruments. */
export interface ServiceView {
  /** worker_set_formula_workers: what the formula asks for now (null before it is known). */
  readonly formula: number | null;
  readonly drained: number;
  readonly restored: number;
  /** poll_errors_total: failed metastore reads. */
  readonly pollErrors: number;
}

export interface Frame {
  readonly virtualSeconds: number;
  readonly speed: number;
  readonly queues: readonly QueueCounts[];
  readonly workers: WorkerCounts;
  readonly keda: KedaState;
  readonly service: ServiceView;
  readonly concurrency: number;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly httpPort: number;
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

/** Queues shown; with more, the last line says how many are left out (the frame has a fixed height). */
export const SHOWN_QUEUES = 3;

/**
 * The live view: a fixed number of lines, each at most 79 columns, so it fits an 80×24
 * terminal with room for log lines above it. The legend says what each number is.
 */
export function renderFrame(frame: Frame): string[] {
  const { workers, keda, service } = frame;
  const title = `─ airflow-keda-scaler demo ─ t=${clock(frame.virtualSeconds)} (×${frame.speed}) ─ Ctrl-C stops `;
  const lines = [title.padEnd(79, '─'), `queue            queued  running`];
  for (const q of frame.queues.slice(0, SHOWN_QUEUES)) {
    lines.push(`${q.queue.slice(0, 15).padEnd(15)} ${String(q.queued).padStart(7)}  ${String(q.running).padStart(7)}`);
  }
  for (let i = frame.queues.length; i < SHOWN_QUEUES; i += 1) lines.push('');
  if (frame.queues.length > SHOWN_QUEUES) lines[lines.length - 1] = `(${frame.queues.length - SHOWN_QUEUES + 1} more queues: see /metrics)`;
  lines.push(
    `KEDA   replicas ${keda.replicas}  reported ${keda.lastMetric ?? '-'}  formula ${service.formula ?? '-'}  active ${keda.active ? 'yes' : 'no'}`,
    `pods   ${workers.ready} ready  ${workers.starting} starting  ${workers.draining} draining  ${workers.terminating} leaving` +
      `  slots ${workers.ready * frame.concurrency}  killed ${workers.killed}`,
    `scale-in: ${service.drained} drained, ${service.restored} restored   errors: ${keda.errors} rpc, ${service.pollErrors} poll`,
    `legend: formula = ceil((queued+running)/${frame.concurrency}) in ${frame.minReplicaCount}..${frame.maxReplicaCount}; reported = the`,
    `  GetMetrics answer: formula + busy surplus workers draining; replicas = KEDA +`,
    `  HPA's (lag: stabilization, cooldown); draining = told to stop consuming,`,
    `  removed once idle; killed = tasks lost to a grace period; errors = KEDA's`,
    `  failed calls (rpc), failed metastore reads (poll).  127.0.0.1:${frame.httpPort}/metrics`,
  );
  return lines;
}
