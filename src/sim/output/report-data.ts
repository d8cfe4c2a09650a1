import type { TaskWaits, Timeline } from '../model/run-types.js';
import { percentile } from '../model/metrics.js';

/** A timeline cut to [from, to], starting with the value that held at `from`. */
export interface Series {
  readonly time: number[];
  readonly queued: number[];
  readonly running: number[];
  readonly workers: number[];
  readonly desired: number[];
}

export function sliceTimeline(tl: Timeline, from: number, to: number): Series {
  const out: Series = { time: [], queued: [], running: [], workers: [], desired: [] };
  const push = (i: number, t: number): void => {
    out.time.push(t);
    out.queued.push(tl.queued[i] as number);
    out.running.push(tl.running[i] as number);
    out.workers.push(tl.workers[i] as number);
    out.desired.push(tl.desired[i] as number);
  };
  let before = -1;
  for (let i = 0; i < tl.time.length; i++) {
    const t = tl.time[i] as number;
    if (t <= from) before = i;
    else if (t <= to) {
      if (out.time.length === 0 && before >= 0) push(before, from);
      push(i, t);
    }
  }
  if (out.time.length === 0 && before >= 0) push(before, from);
  // Hold the last value to the window's end.
  const last = out.time.length - 1;
  if (last >= 0 && (out.time[last] as number) < to) {
    out.time.push(to);
    out.queued.push(out.queued[last] as number);
    out.running.push(out.running[last] as number);
    out.workers.push(out.workers[last] as number);
    out.desired.push(out.desired[last] as number);
  }
  return out;
}

/** The last instant at or before `t` with an empty queue (0 when there is none). */
function queueEmptyBefore(tl: Timeline, t: number): number {
  let at = 0;
  for (let i = 0; i < tl.time.length && (tl.time[i] as number) <= t; i++) if (tl.queued[i] === 0) at = tl.time[i] as number;
  return at;
}

/** The first instant at or after `t` with an empty queue (the timeline's end when there is none). */
function queueEmptyAfter(tl: Timeline, t: number): number {
  for (let i = 0; i < tl.time.length; i++) if ((tl.time[i] as number) >= t && tl.queued[i] === 0) return tl.time[i] as number;
  return tl.time[tl.time.length - 1] ?? t;
}

/**
 * The window of one representative burst: around the task whose wait is the current run's p95
 * (a slow task, but not the worst one), from the moment its queue last was empty to the moment
 * the queue empties again in both runs, with a margin; at most an hour.
 */
export function burstWindow(current: { timeline: Timeline; waits: TaskWaits }, other: Timeline | null): [number, number] | null {
  const { queuedAt, wait } = current.waits;
  if (wait.length === 0) return null;
  const sorted = Float64Array.from(wait).sort();
  const p95 = percentile(sorted, 0.95);
  let pick = 0;
  for (let i = 0; i < wait.length; i++) if (Math.abs((wait[i] as number) - p95) < Math.abs((wait[pick] as number) - p95)) pick = i;
  const t = queuedAt[pick] as number;
  const start = queueEmptyBefore(current.timeline, t);
  const ends = [queueEmptyAfter(current.timeline, t), ...(other === null ? [] : [queueEmptyAfter(other, t)])];
  const end = Math.max(...ends);
  const margin = Math.max(30, (end - start) * 0.15);
  const from = Math.max(0, start - margin);
  return [from, Math.min(from + 3600, end + margin)];
}

/** The p95 queue wait of the tasks queued in each interval of `bucket` seconds (NaN when none). */
export function waitBuckets(waits: TaskWaits, bucket: number, until: number): { start: number[]; p95: number[] } {
  const n = Math.max(1, Math.ceil(until / bucket));
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < waits.queuedAt.length; i++) {
    const b = Math.min(n - 1, Math.floor((waits.queuedAt[i] as number) / bucket));
    lists[b]?.push(waits.wait[i] as number);
  }
  return {
    start: lists.map((_, b) => b * bucket),
    p95: lists.map((l) => (l.length === 0 ? Number.NaN : percentile(Float64Array.from(l).sort(), 0.95))),
  };
}

/** A bucket length that gives 24–96 buckets over `span` seconds, in round units. */
export function bucketSeconds(span: number): number {
  const choices = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
  return choices.find((c) => span / c <= 96) ?? 86_400;
}

/** The timeline's step function reduced to its maximum in each of `buckets` intervals. */
export function maxPerBucket(tl: Timeline, key: 'workers' | 'queued', buckets: number, until: number): { time: number[]; value: number[] } {
  const size = until / buckets;
  const value = new Array<number>(buckets).fill(0);
  for (let i = 0; i < tl.time.length; i++) {
    const from = tl.time[i] as number;
    const to = i + 1 < tl.time.length ? (tl.time[i + 1] as number) : until;
    const first = Math.min(buckets - 1, Math.floor(from / size));
    const last = Math.min(buckets - 1, Math.floor(Math.max(from, to - 1e-9) / size));
    for (let b = first; b <= last; b++) value[b] = Math.max(value[b] as number, tl[key][i] as number);
  }
  return { time: value.map((_, b) => b * size), value };
}
