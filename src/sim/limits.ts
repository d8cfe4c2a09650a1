import { defaultBehavior } from '../core/hpa-behavior.js';
import type { ConfigEstimate } from './estimates.js';
import { samplesOf } from './estimates.js';
import type { SimConfig } from './model/config.js';
import { fixed } from './model/distribution.js';
import { estimate } from './model/statistics.js';
import type { Workload } from './model/workload.js';
import type { Limit } from './output/document.js';
import type { ReplicationOptions } from './sweep.js';
import { runReplications } from './sweep.js';

/** Highest maxReplicaCount the "no maxReplicaCount" variant uses. */
const UNBOUNDED_REPLICAS = 100_000;

/**
 * What limits p95 wait in a configuration: the same replications again, each with one limit
 * taken away. The changes are not advice (instant pods do not exist); they say where the wait
 * comes from, so a person knows which lever could move it.
 */
function variants(config: SimConfig): { limit: Limit['limit']; change: string; config: SimConfig }[] {
  const out: { limit: Limit['limit']; change: string; config: SimConfig }[] = [
    { limit: 'pod startup', change: 'pods ready at once (nodes too)', config: { ...config, podStartup: fixed(0), nodes: null } },
  ];
  const unbounded = Math.min(UNBOUNDED_REPLICAS, config.maxReplicaCount * 10);
  if (unbounded > config.maxReplicaCount) {
    out.push({ limit: 'maxReplicaCount', change: `maxReplicaCount ${unbounded}`, config: { ...config, maxReplicaCount: unbounded } });
  }
  // No rate limit on scale-up: a 100,000 % policy per second (scale-down kept as it was; the
  // legacy mode's scale-down is a 300 s max-stabilization, the behavior default's equivalent).
  const scaleDown = config.hpaBehavior?.scaleDown ?? defaultBehavior({}).scaleDown;
  out.push({
    limit: "the HPA's ramp",
    change: 'HPA scale-up without a rate limit',
    config: {
      ...config,
      hpaBehavior: { scaleDown, scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100_000, periodSeconds: 1 }] } },
    },
  });
  if (config.trigger === 'external') {
    out.push({ limit: 'polling', change: 'trigger external-push (activation on the 1 s tick)', config: { ...config, trigger: 'external-push' } });
  }
  return out;
}

/** Each limit's p95 wait when removed from `nearest`, largest gain first. */
export async function findLimits(workloads: readonly Workload[], nearest: ConfigEstimate, options: ReplicationOptions): Promise<Limit[]> {
  const tried = variants(nearest.config);
  const runs = await runReplications(
    workloads,
    tried.map((t) => t.config),
    options,
  );
  const limits = tried.map((t, i) => ({ limit: t.limit, change: t.change, p95WaitSeconds: estimate(samplesOf(runs[i] ?? []).p95WaitSeconds) }));
  return limits.sort((a, b) => a.p95WaitSeconds.mean - b.p95WaitSeconds.mean);
}
