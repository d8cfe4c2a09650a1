import { randomUUID } from 'node:crypto';

import type { EmbeddedMetastore } from '../demo/embedded-metastore.js';
import type { Workload, WorkloadRuns } from '../sim/model/workload.js';
import type { VirtualClock } from './virtual-clock.js';

/** The next scheduled run the scheduler will create, in workload seconds. */
export interface NextRun {
  readonly dagId: string;
  readonly dueAt: number;
}

/**
 * Plays Airflow's scheduler: inserts each task of the workload as a `queued` task_instance row
 * when its virtual queued time comes, and remembers how long it will run. Tasks of a DAG run
 * belong to a `dag_run` row the feeder creates with the run's first task; each DAG has its `dag`
 * row, whose `next_dagrun_create_after` is the run_after of its next scheduled run and moves on
 * when that run is created, as the scheduler does (DagModel.calculate_dagrun_date_fields,
 * airflow-core models/dag.py). Times in the metastore are wall-clock: virtual time mapped
 * through the demo's clock, so the real service reads them against its own clock.
 *
 * The demo plays from `playFrom` (workload seconds): what the workload queued before then is
 * written at once as finished history, so the service has past runs to size its forecasts.
 */
export class TaskFeeder {
  private next = 0;
  private looseSeq = 0;
  readonly durations = new Map<string, number>();
  private readonly runs: WorkloadRuns | null;
  /** Per run: its run_id once created, and how many of its tasks were inserted. */
  private readonly runIds = new Map<number, string>();
  private readonly runTasks = new Map<number, number>();
  /** Per DAG: its scheduled runs in run_after order, and the index of the first not yet created. */
  private readonly scheduled = new Map<number, number[]>();
  private readonly pending = new Map<number, number>();

  constructor(
    private readonly workload: Workload,
    private readonly metastore: EmbeddedMetastore,
    private readonly clock: VirtualClock,
    private readonly playFrom = 0,
  ) {
    this.runs = workload.runs;
    const runs = this.runs;
    if (runs === null) return;
    for (let r = 0; r < runs.runDag.length; r++) {
      if (runs.runScheduled[r] !== 1) continue;
      const dag = runs.runDag[r] as number;
      this.scheduled.set(dag, [...(this.scheduled.get(dag) ?? []), r]);
    }
    for (const [dag, list] of this.scheduled) {
      list.sort((a, b) => (runs.runAfter[a] as number) - (runs.runAfter[b] as number));
      this.pending.set(dag, 0);
    }
  }

  /** Workload seconds now. */
  private now(): number {
    return this.clock.now() + this.playFrom;
  }

  /** Wall-clock time of workload time `t`. */
  private wall(t: number): Date {
    return new Date(this.clock.wallMsAt(t - this.playFrom));
  }

  /** The soonest next scheduled run of any DAG, as `dag.next_dagrun_create_after` says. */
  nextRun(): NextRun | null {
    const runs = this.runs;
    if (runs === null) return null;
    let best: NextRun | null = null;
    for (const [dag, list] of this.scheduled) {
      const run = list[this.pending.get(dag) ?? list.length];
      if (run === undefined) continue;
      const dueAt = runs.runAfter[run] as number;
      if (best === null || dueAt < best.dueAt) best = { dagId: runs.dagIds[dag] ?? '', dueAt };
    }
    return best;
  }

  /** Writes the `dag` rows and, finished, everything queued before `playFrom`. Call once, first. */
  async prepare(): Promise<void> {
    const runs = this.runs;
    if (runs === null) return;
    await this.metastore.query(
      `INSERT INTO dag (dag_id, is_paused, is_stale, max_active_tasks, max_active_runs, has_import_errors)
       SELECT dag_id, false, false, 16, 16, false FROM unnest($1::text[]) AS d(dag_id)`,
      [runs.dagIds],
    );
    const { queuedAt, duration, queueNames, queue } = this.workload;
    const ids: string[] = [];
    const columns = { dag: [] as string[], task: [] as string[], run: [] as string[], queue: [] as string[], queued: [] as Date[], end: [] as Date[] };
    while (this.next < queuedAt.length && (queuedAt[this.next] as number) < this.playFrom) {
      const i = this.next;
      const at = queuedAt[i] as number;
      const where = await this.placeOf(i, at, 'success');
      ids.push(randomUUID());
      columns.dag.push(where.dagId);
      columns.task.push(where.taskId);
      columns.run.push(where.runId);
      columns.queue.push(queueNames[queue[i] as number] ?? 'default');
      columns.queued.push(this.wall(at));
      columns.end.push(this.wall(at + (duration[i] as number)));
      this.next += 1;
    }
    if (ids.length > 0) {
      await this.metastore.query(
        `INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue, queued_dttm, start_date, end_date, try_number)
         SELECT id, d, t, r, 'success', 'default_pool', 1, q, qd, qd, e, 1
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[]) AS x(id, d, t, r, q, qd, e)`,
        [ids, columns.dag, columns.task, columns.run, columns.queue, columns.queued, columns.end],
      );
    }
    for (const dag of this.scheduled.keys()) await this.moveNextDagrun(dag);
  }

  async step(): Promise<void> {
    const now = this.now();
    const ids: string[] = [];
    const columns = { dag: [] as string[], task: [] as string[], run: [] as string[], queue: [] as string[] };
    const { queuedAt, queue, duration, queueNames } = this.workload;
    let loose: string | null = null;
    while (this.next < queuedAt.length && (queuedAt[this.next] ?? Infinity) <= now) {
      const i = this.next;
      const id = randomUUID();
      let where = await this.placeOf(i, queuedAt[i] as number, 'running');
      if (where.runId === '') {
        // A task of no run (a Poisson arrival): one made-up run per step, as before runs existed.
        loose ??= `live_${(this.looseSeq += 1)}`;
        where = { ...where, runId: loose };
      }
      ids.push(id);
      columns.dag.push(where.dagId);
      columns.task.push(where.taskId);
      columns.run.push(where.runId);
      columns.queue.push(queueNames[queue[i] ?? 0] ?? 'default');
      this.durations.set(id, duration[i] ?? 0);
      this.next += 1;
    }
    if (ids.length === 0) return;
    await this.metastore.query(
      `INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue, queued_dttm, try_number)
       SELECT id, d, t, r, 'queued', 'default_pool', 1, q, now(), 1
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(id, d, t, r, q)`,
      [ids, columns.dag, columns.task, columns.run, columns.queue],
    );
  }

  /**
   * The DAG, task and run ids of task `i` (queued at `at`), creating its run first if this is
   * the run's first task. A task of no run gets an empty run id; `step` names one.
   */
  private async placeOf(i: number, at: number, runState: 'running' | 'success'): Promise<{ dagId: string; taskId: string; runId: string }> {
    const runs = this.runs;
    const run = runs === null ? -1 : (runs.taskRun[i] as number);
    if (runs === null || run < 0) return { dagId: 'live_demo', taskId: `task_${i}`, runId: '' };
    const dag = runs.runDag[run] as number;
    const runId = this.runIds.get(run) ?? (await this.createRun(runs, run, at, runState));
    const n = (this.runTasks.get(run) ?? 0) + 1;
    this.runTasks.set(run, n);
    return { dagId: runs.dagIds[dag] ?? '', taskId: `task_${n}`, runId };
  }

  /** The run's dag_run row, as the scheduler writes it when it creates the run at `at`. */
  private async createRun(runs: WorkloadRuns, run: number, at: number, state: 'running' | 'success'): Promise<string> {
    const dag = runs.runDag[run] as number;
    const scheduled = runs.runScheduled[run] === 1;
    const runAfterSeconds = runs.runAfter[run] as number;
    const runAfter = this.wall(Number.isNaN(runAfterSeconds) ? at : runAfterSeconds);
    const runId = `${scheduled ? 'scheduled' : 'manual'}__${runAfter.toISOString()}`;
    // The logical date of a cron DAG's run in Airflow 3 (CronTriggerTimetable) is its run_after.
    await this.metastore.query(
      `INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, data_interval_start, data_interval_end, queued_at, start_date, state)
       VALUES ($1, $2, $3, $4, $4, $4, $4, $5, $5, $6)`,
      [runs.dagIds[dag], runId, scheduled ? 'scheduled' : 'manual', runAfter, this.wall(at), state],
    );
    this.runIds.set(run, runId);
    if (scheduled) await this.moveNextDagrun(dag);
    return runId;
  }

  /** `dag.next_dagrun_create_after`: the run_after of the DAG's next scheduled run, NULL past its last. */
  private async moveNextDagrun(dag: number): Promise<void> {
    const runs = this.runs;
    if (runs === null) return;
    const list = this.scheduled.get(dag) ?? [];
    let k = this.pending.get(dag) ?? list.length;
    while (k < list.length && this.runIds.has(list[k] as number)) k += 1;
    this.pending.set(dag, k);
    const run = list[k];
    const next = run === undefined ? null : this.wall(runs.runAfter[run] as number);
    await this.metastore.query('UPDATE dag SET next_dagrun = $2, next_dagrun_create_after = $2 WHERE dag_id = $1', [runs.dagIds[dag], next]);
  }
}
