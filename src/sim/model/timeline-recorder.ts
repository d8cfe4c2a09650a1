import type { WorkerDeployment } from './deployment.js';
import { FloatList } from './event-queue.js';
import type { Timeline } from './run-types.js';

/**
 * The report's timeline, exact: after every event that changed what it shows, one entry with
 * the time and the new values (queued, running, ready workers, spec.replicas and the scaler's
 * answer). Only the report's detail runs record it.
 */
export class TimelineRecorder {
  private readonly lists: Record<keyof Timeline, FloatList> = {
    time: new FloatList(),
    queued: new FloatList(),
    running: new FloatList(),
    workers: new FloatList(),
    replicas: new FloatList(),
    desired: new FloatList(),
  };
  private last: readonly number[] = [-1, -1, -1, -1, -1];

  /** Records the state at `now` if it differs from the last entry; at one instant the last state wins. */
  record(now: number, d: WorkerDeployment, desired: number): void {
    const values = [d.waiting.length, d.running, d.nReady, d.specReplicas, desired] as const;
    const last = this.last;
    if (values.every((v, i) => v === last[i])) return;
    const l = this.lists;
    const n = l.time.length;
    if (n > 0 && l.time.view()[n - 1] === now) {
      // Same instant: overwrite, so the step function has one value per time.
      for (const key of ['time', 'queued', 'running', 'workers', 'replicas', 'desired'] as const) l[key].pop();
    }
    l.time.push(now);
    l.queued.push(values[0]);
    l.running.push(values[1]);
    l.workers.push(values[2]);
    l.replicas.push(values[3]);
    l.desired.push(values[4]);
    this.last = values;
  }

  finish(): Timeline {
    const l = this.lists;
    return {
      time: l.time.view().slice(),
      queued: l.queued.view().slice(),
      running: l.running.view().slice(),
      workers: l.workers.view().slice(),
      replicas: l.replicas.view().slice(),
      desired: l.desired.view().slice(),
    };
  }
}
