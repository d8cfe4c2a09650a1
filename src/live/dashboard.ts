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
  /** worker_set_forecast_tasks: tasks of scheduled runs about to start (null without prewarm). */
  readonly forecastTasks: number | null;
  /** due_dags: DAGs whose next scheduled run is within the lead (null before the first read). */
  readonly dueDags: number | null;
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
  /** The next scheduled run (`dag.next_dagrun_create_after`), seconds from now; null: none. */
  readonly nextRun: { readonly dagId: string; readonly inSeconds: number } | null;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

/** The forecast as the service reports it, and the scheduler's next run, cut to 79 columns. */
function prewarmLine(frame: Frame): string {
  const { service, nextRun } = frame;
  const due = service.dueDags === null ? '-' : `${service.dueDags} due DAG${service.dueDags === 1 ? '' : 's'}`;
  const head = `prewarm forecast ${service.forecastTasks ?? '-'} tasks, ${due}   next run: `;
  if (nextRun === null) return `${head}none`;
  // A run late to start is still the next one: due "in 00:00:00" until it is created.
  const tail = ` in ${clock(nextRun.inSeconds)}`;
  const room = Math.max(1, 79 - head.length - tail.length);
  const dag = nextRun.dagId.length <= room ? nextRun.dagId : `${nextRun.dagId.slice(0, room - 1)}…`;
  return `${head}${dag}${tail}`;
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
  lines.push(prewarmLine(frame));
  lines.push(
    `KEDA   replicas ${keda.replicas}  reported ${keda.lastMetric ?? '-'}  formula ${service.formula ?? '-'}  active ${keda.active ? 'yes' : 'no'}`,
    `pods   ${workers.ready} ready  ${workers.starting} starting  ${workers.draining} draining  ${workers.terminating} leaving` +
      `  slots ${workers.ready * frame.concurrency}  killed ${workers.killed}`,
    `scale-in: ${service.drained} drained, ${service.restored} restored   errors: ${keda.errors} rpc, ${service.pollErrors} poll`,
    `legend: forecast = first-wave tasks of scheduled runs due within the lead;`,
    `  formula = ceil((queued+running+forecast)/${frame.concurrency}) in ${frame.minReplicaCount}..${frame.maxReplicaCount}; reported = the`,
    `  GetMetrics answer: formula + busy surplus workers draining; replicas = KEDA +`,
    `  HPA's (lag: stabilization, cooldown); draining = told to stop consuming,`,
    `  removed once idle; killed = tasks lost to a grace period; errors = KEDA's`,
    `  failed calls (rpc), failed metastore reads (poll).  127.0.0.1:${frame.httpPort}/metrics`,
  );
  return lines;
}
