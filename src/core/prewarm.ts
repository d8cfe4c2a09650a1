/**
 * Schedule-aware pre-warming: workers ready when scheduled work arrives. The metastore knows when
 * the scheduler will create each DAG's next run (`dag.next_dagrun_create_after`, the instant
 * `DagModel.dags_needing_dagruns` first returns it); a worker set with `prewarm: schedule` counts,
 * ahead of that instant, the tasks such a run queued at its start in its last scheduled runs.
 *
 * desired = clamp(ceil((queued + running + forecast) / workerConcurrency), min, max), and the
 * forecast makes a set active too (at zero replicas the HPA reads nothing, so only activation
 * can start the first worker ahead of the run). The rule is pure and used alike by the service
 * and the simulator; the reads that feed it live in `metastore/`.
 */

export const PREWARM_MODES = ['off', 'schedule'] as const;
export type PrewarmMode = (typeof PREWARM_MODES)[number];

export interface PrewarmSpec {
  readonly mode: PrewarmMode;
  /** How far ahead of (and, at most, how long after) a DAG's due instant its run is forecast. */
  readonly leadMs: number;
  /** How many of a DAG's last scheduled runs size its forecast. */
  readonly historyRuns: number;
}

/**
 * 120 s: a worker pod's start on EKS with the image cached (~30–60 s), plus one HPA sync (15 s),
 * plus one KEDA poll when the trigger is not `external-push` (the chart's 5 s; 30 s by default),
 * with room to spare. Shorter leads arrive late; longer ones pay idle workers (the simulator
 * sweeps it: `simulate --prewarm --sweep prewarmLeadSeconds=…`).
 */
export const DEFAULT_PREWARM_LEAD_SECONDS = 120;
export const DEFAULT_PREWARM_HISTORY_RUNS = 5;
export const MAX_PREWARM_LEAD_SECONDS = 3_600;
export const MAX_PREWARM_HISTORY_RUNS = 50;
/**
 * A run's first wave: tasks queued within this long of the run's start. Airflow queues every
 * task without upstream dependencies at once when the run starts; later waves wait for those,
 * by which time the reactive formula sees them.
 */
export const FIRST_WAVE_SECONDS = 120;

/** A live DAG whose next scheduled run is due soon (or due, and not created yet). */
export interface DueDag {
  readonly dagId: string;
  /** `next_dagrun_create_after`, ms since the epoch. */
  readonly dueAtMs: number;
}

/** Tasks a past run queued in its first wave, by queue and executor (null: the default executor). */
export interface RunWave {
  readonly tasks: readonly { readonly queue: string; readonly executor: string | null; readonly count: number }[];
}

/** The due DAGs and their histories, as read. */
export interface KnownForecast {
  readonly dueDags: readonly DueDag[];
  /** Each due DAG's last scheduled runs' first waves, newest first (absent while being read). */
  readonly history: ReadonlyMap<string, readonly RunWave[]>;
}

/**
 * What the forecast knows at one tick; `available: false` when the due-DAG read failed. A failed
 * read never lowers an answer: the last due list read (`lastKnown`) keeps forecasting, and it ends
 * by itself, since a DAG counts only until its due instant plus the lead. Only DAGs that become
 * due while the read fails go unseen.
 */
export type ForecastInput =
  | ({ readonly available: true } & KnownForecast)
  | { readonly available: false; readonly reason: string; readonly lastKnown?: KnownForecast };

/** This tick's forecast, carrying the last due list read through a failed read. */
export function carryForecast(previous: ForecastInput | undefined, current: ForecastInput): ForecastInput {
  if (current.available || current.lastKnown !== undefined || previous === undefined) return current;
  const lastKnown = previous.available ? { dueDags: previous.dueDags, history: previous.history } : previous.lastKnown;
  return lastKnown === undefined ? current : { ...current, lastKnown };
}

/** Whether a DAG due at `dueAtMs` contributes at `nowMs` (see the module comment). */
export function forecastWindowHolds(dueAtMs: number, nowMs: number, leadMs: number): boolean {
  return nowMs >= dueAtMs - leadMs && nowMs < dueAtMs + leadMs;
}

/** The lower median: robust to one unusual run (a rerun, a partial backfill) among the last few. */
function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

export interface WaveFilter {
  readonly queues: ReadonlySet<string>;
  /** Whether a task's executor belongs to the set; null: every executor. */
  readonly executorMatches: ((executor: string | null) => boolean) | null;
}

/** A DAG's expected first wave on the set's queues: the median over its last `historyRuns` runs. */
export function expectedWave(runs: readonly RunWave[], historyRuns: number, filter: WaveFilter): number {
  const perRun = runs.slice(0, historyRuns).map((run) => {
    let total = 0;
    for (const task of run.tasks) {
      if (!filter.queues.has(task.queue)) continue;
      if (filter.executorMatches !== null && !filter.executorMatches(task.executor)) continue;
      total += task.count;
    }
    return total;
  });
  return median(perRun);
}

export interface Forecast {
  /** Tasks expected from scheduled runs about to start. */
  readonly tasks: number;
  /** Due DAGs that contributed. */
  readonly dags: number;
}

export const NO_FORECAST: Forecast = { tasks: 0, dags: 0 };

/** The forecast for one worker set at `nowMs`. Pure. */
export function forecastTasks(input: ForecastInput, prewarm: PrewarmSpec, filter: WaveFilter, nowMs: number): Forecast {
  const known = input.available ? input : input.lastKnown;
  if (prewarm.mode === 'off' || known === undefined) return NO_FORECAST;
  let tasks = 0;
  let dags = 0;
  for (const dag of known.dueDags) {
    if (!forecastWindowHolds(dag.dueAtMs, nowMs, prewarm.leadMs)) continue;
    const runs = known.history.get(dag.dagId);
    if (runs === undefined) continue;
    const wave = expectedWave(runs, prewarm.historyRuns, filter);
    if (wave === 0) continue;
    tasks += wave;
    dags += 1;
  }
  return { tasks, dags };
}
