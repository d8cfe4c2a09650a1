import type { Timeline } from '../model/run-types.js';

/**
 * Shrinks a timeline to at most `points` buckets, keeping each bucket's maximum so short peaks
 * stay visible in the report.
 */
export function downsampleTimeline(timeline: Timeline, points: number): Timeline {
  const n = timeline.time.length;
  if (n <= points) return timeline;
  const size = Math.ceil(n / points);
  const buckets = Math.ceil(n / size);
  const pick = (series: Float64Array, max: boolean): Float64Array => {
    const out = new Float64Array(buckets);
    for (let b = 0; b < buckets; b++) {
      let v = max ? Number.NEGATIVE_INFINITY : (series[b * size] as number);
      if (max) for (let i = b * size; i < Math.min(n, (b + 1) * size); i++) v = Math.max(v, series[i] as number);
      out[b] = v;
    }
    return out;
  };
  return {
    time: pick(timeline.time, false),
    queued: pick(timeline.queued, true),
    running: pick(timeline.running, true),
    workers: pick(timeline.workers, true),
    replicas: pick(timeline.replicas, true),
    desired: pick(timeline.desired, true),
  };
}

export const REPORT_TIMELINE_POINTS = 1200;
