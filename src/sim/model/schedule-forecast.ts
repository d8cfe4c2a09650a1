import type { DueDag, Forecast, ForecastInput, PrewarmSpec, RunWave, WaveFilter } from '../../core/prewarm.js';
import { FIRST_WAVE_SECONDS, NO_FORECAST, forecastTasks } from '../../core/prewarm.js';
import type { Workload, WorkloadRuns } from './workload.js';

/*
 * Pre-warming in the simulator: what the metastore would tell the scaler about scheduled runs,
 * fed at each decision to core's `forecastTasks`, the rule the service applies.
 *
 * Airflow keeps, per DAG, `dag.next_dagrun_create_after`: the `run_after` of the next run its
 * timetable will create (DagModel.calculate_dagrun_date_fields, airflow-core models/dag.py). The
 * scheduler creates that run once the instant has passed (DagModel.dags_needing_dagruns) and moves
 * the field on to the following one. So at time t a DAG is "due at" the run_after of its earliest
 * scheduled run not created yet, and the service's due query returns it while that instant is
 * within the lead of t. Here a run is created when its first task is queued (the trace knows no
 * earlier instant), and its start, which bounds its first wave, is that instant too.
 *
 * When a DAG enters the due list, the service reads its history: the first waves of its last
 * scheduled runs (tasks queued within FIRST_WAVE_SECONDS of their start, per queue), as far as
 * they exist at that moment. Manual, backfill and asset-triggered runs are neither forecast nor
 * part of a history. Nothing of the future leaks: a run the metastore does not have yet is not
 * in any history, and a run that started less than FIRST_WAVE_SECONDS ago counts only its tasks
 * queued so far.
 *
 * Everything is computed once per simulation (O(tasks + runs × historyRuns)); each decision then
 * moves a pointer over spells sorted by opening time, so a decision costs nothing while no DAG
 * is due.
 */

/** One stretch in which a DAG is in the due list for one scheduled run. Seconds from t = 0. */
interface DueSpell {
  /** When the due query first returns the DAG for this run: lead before it is due, or when the previous run was created. */
  readonly open: number;
  /** When it stops: the run exists, or it is lead overdue. */
  readonly close: number;
  readonly dag: DueDag;
  /** Its last scheduled runs' first waves as the metastore holds them at `open`, newest first. */
  readonly history: readonly RunWave[];
}

/** When each run was created (its first task's queued time; NaN for a run without tasks) and that task's index. */
function creations(workload: Workload, runs: WorkloadRuns): { created: Float64Array; firstTask: Int32Array } {
  const count = runs.runDag.length;
  const created = new Float64Array(count).fill(Number.NaN);
  const firstTask = new Int32Array(count).fill(-1);
  const { taskRun } = runs;
  const { queuedAt } = workload;
  for (let i = 0; i < taskRun.length; i++) {
    const run = taskRun[i] as number;
    if (run >= 0 && (firstTask[run] as number) < 0) {
      firstTask[run] = i;
      created[run] = queuedAt[i] as number;
    }
  }
  return { created, firstTask };
}

/**
 * Tasks of `run` per queue id in its first wave (queued before its start + FIRST_WAVE_SECONDS,
 * as the service's `queued_dttm < start_date + 120 s`), counting only those queued by `until`.
 */
function waveCounts(workload: Workload, runs: WorkloadRuns, run: number, firstTask: number, created: number, until: number): Map<number, number> {
  const counts = new Map<number, number>();
  const waveEnd = created + FIRST_WAVE_SECONDS;
  const { queuedAt, queue } = workload;
  // Tasks are sorted by queued time: the wave lies between its first task and the first task past either bound.
  for (let i = firstTask; i < queuedAt.length; i++) {
    const at = queuedAt[i] as number;
    if (at >= waveEnd || at > until) break;
    if (runs.taskRun[i] !== run) continue;
    const q = queue[i] as number;
    counts.set(q, (counts.get(q) ?? 0) + 1);
  }
  return counts;
}

function toWave(workload: Workload, counts: ReadonlyMap<number, number>): RunWave {
  return { tasks: [...counts].map(([q, count]) => ({ queue: workload.queueNames[q] ?? '', executor: null, count })) };
}

/** Every due spell of every DAG with scheduled runs, by opening time. */
function dueSpells(workload: Workload, runs: WorkloadRuns, prewarm: PrewarmSpec): DueSpell[] {
  const lead = prewarm.leadMs / 1000;
  const { created, firstTask } = creations(workload, runs);
  const byDag = new Map<number, number[]>();
  for (let r = 0; r < runs.runDag.length; r++) {
    if (runs.runScheduled[r] !== 1 || (firstTask[r] as number) < 0) continue;
    const dag = runs.runDag[r] as number;
    const list = byDag.get(dag) ?? [];
    list.push(r);
    byDag.set(dag, list);
  }
  const spells: DueSpell[] = [];
  // Full first waves, computed once per run; a history read before a wave is over counts it afresh.
  const fullWaves = new Map<number, RunWave>();
  const waveAt = (run: number, at: number): RunWave => {
    const start = created[run] as number;
    if (at < start + FIRST_WAVE_SECONDS) return toWave(workload, waveCounts(workload, runs, run, firstTask[run] as number, start, at));
    let wave = fullWaves.get(run);
    if (wave === undefined) {
      wave = toWave(workload, waveCounts(workload, runs, run, firstTask[run] as number, start, Number.POSITIVE_INFINITY));
      fullWaves.set(run, wave);
    }
    return wave;
  };
  for (const [dag, list] of byDag) {
    // In run_after order, as the timetable creates them (ties: the one created first).
    list.sort((a, b) => (runs.runAfter[a] as number) - (runs.runAfter[b] as number) || (created[a] as number) - (created[b] as number));
    const dagId = runs.dagIds[dag] ?? '';
    let previousCreated = Number.NEGATIVE_INFINITY;
    list.forEach((run, k) => {
      const due = runs.runAfter[run] as number;
      const open = Math.max(due - lead, previousCreated);
      const close = Math.min(due + lead, created[run] as number);
      previousCreated = Math.max(previousCreated, created[run] as number);
      if (!(open < close)) return;
      const history: RunWave[] = [];
      for (let j = k - 1; j >= 0 && history.length < prewarm.historyRuns; j--) history.push(waveAt(list[j] as number, open));
      spells.push({ open, close, dag: { dagId, dueAtMs: Math.round(due * 1000) }, history });
    });
  }
  return spells.sort((a, b) => a.open - b.open || a.close - b.close);
}

/**
 * The forecast of one worker set over a simulated run. Ask it at non-decreasing times (the
 * simulation's clock); an earlier time starts the sweep over, so the answer is right either way.
 */
export class ScheduleForecast {
  private readonly spells: readonly DueSpell[];
  private readonly filter: WaveFilter;
  private next = 0;
  private active: DueSpell[] = [];
  private input: ForecastInput = { available: true, dueDags: [], history: new Map() };
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    workload: Workload,
    runs: WorkloadRuns,
    private readonly prewarm: PrewarmSpec,
    queues: readonly string[],
  ) {
    this.spells = dueSpells(workload, runs, prewarm);
    this.filter = { queues: new Set(queues), executorMatches: null };
  }

  /** Core's forecast at `now` (seconds from t = 0), from what the metastore holds then. */
  at(now: number): Forecast {
    if (now < this.lastAt) {
      this.next = 0;
      this.active = [];
    }
    this.lastAt = now;
    let changed = false;
    while (this.next < this.spells.length && (this.spells[this.next] as DueSpell).open <= now) {
      this.active.push(this.spells[this.next] as DueSpell);
      this.next += 1;
      changed = true;
    }
    if (this.active.some((spell) => spell.close <= now)) {
      this.active = this.active.filter((spell) => spell.close > now);
      changed = true;
    }
    // With no DAG due core's rule returns nothing; skipping the call keeps idle decisions free.
    if (this.active.length === 0) return NO_FORECAST;
    if (changed) {
      this.input = {
        available: true,
        dueDags: this.active.map((spell) => spell.dag),
        history: new Map(this.active.map((spell) => [spell.dag.dagId, spell.history])),
      };
    }
    return forecastTasks(this.input, this.prewarm, this.filter, Math.round(now * 1000));
  }
}
