import { sample } from '../model/distribution.js';
import type { Rng } from '../model/random.js';
import { Stream, createRng, exponential } from '../model/random.js';
import type { Workload } from '../model/workload.js';
import { NO_RUN, WorkloadBuilder } from '../model/workload.js';
import type { ArrivalProcess } from './arrivals.js';
import type { Scenario } from './scenario.js';

/**
 * Draws the tasks of a generated workload. Each arrival process has its own random stream. Each
 * fire of a burst is a scheduled run of its DAG, due (run_after) at the fire time, as Airflow's
 * scheduler creates a cron DAG's run; Poisson and ramp arrivals belong to no run.
 */
export function generateWorkload(scenario: Scenario, seed: number): Workload {
  const spec = scenario.workload;
  if (spec.kind !== 'generated') throw new Error('generateWorkload needs a generated (queues) scenario');
  const builder = new WorkloadBuilder();
  let stream: number = Stream.arrivalsBase;
  for (const queue of spec.queues) {
    const queueId = builder.queueId(queue.name);
    queue.arrivals.forEach((process, index) => {
      const rng = createRng(seed, stream);
      stream += 1;
      const dag = process.kind === 'burst' ? (process.dag ?? `${queue.name}_burst_${index}`) : null;
      generateArrivals(process, rng, spec.startEpochMs, (t, fireAt) => {
        const run = dag === null || fireAt === undefined ? NO_RUN : builder.runId(dag, String(fireAt), true, fireAt);
        builder.add(queueId, t, Math.max(0, sample(process.duration, rng)), run);
      });
    });
  }
  return builder.build({ name: scenario.name, source: 'scenario', startEpochMs: spec.startEpochMs });
}

/** Emits each arrival's time, and for a burst the time of the fire it belongs to. */
function generateArrivals(process: ArrivalProcess, rng: Rng, startEpochMs: number, emit: (t: number, fireAt?: number) => void): void {
  const { from, until } = process;
  if (process.kind === 'poisson') {
    for (let t = from + exponential(rng, 1 / process.ratePerSecond); t < until; t += exponential(rng, 1 / process.ratePerSecond)) emit(t);
    return;
  }
  if (process.kind === 'ramp') {
    // A non-homogeneous Poisson process with a linear rate, by thinning (Lewis & Shedler).
    const peak = Math.max(process.startRatePerSecond, process.endRatePerSecond);
    if (peak <= 0) return;
    const span = until - from;
    for (let t = from + exponential(rng, 1 / peak); t < until; t += exponential(rng, 1 / peak)) {
      const rate = process.startRatePerSecond + ((process.endRatePerSecond - process.startRatePerSecond) * (t - from)) / span;
      if (rng.next() * peak < rate) emit(t);
    }
    return;
  }
  const burst = (at: number): void => {
    for (let i = 0; i < process.tasks; i++) {
      const t = process.spreadSeconds > 0 ? at + rng.next() * process.spreadSeconds : at;
      if (t < until) emit(t, at);
    }
  };
  const schedule = process.schedule;
  if ('cron' in schedule) {
    for (const at of schedule.cron.runs(startEpochMs + from * 1000, startEpochMs + until * 1000)) burst((at - startEpochMs) / 1000);
  } else {
    const first = schedule.offset >= from ? schedule.offset : schedule.offset + Math.ceil((from - schedule.offset) / schedule.every) * schedule.every;
    for (let at = first; at < until; at += schedule.every) burst(at);
  }
}
