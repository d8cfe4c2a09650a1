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

type Variant = { limit: Limit['limit']; change: string; config: SimConfig };

/**
 * A configuration that meets the wait but kills tasks: the same with the scaler's drain-then-remove
 * (or, when it drains already, a grace period long enough for its tasks).
 */
function withoutKills(config: SimConfig): Variant[] {
  if (config.scaleInPolicy !== 'drain') return [{ limit: 'killed tasks', change: 'scaleIn drain', config: { ...config, scaleInPolicy: 'drain' } }];
  const grace = Math.max(3600, config.terminationGracePeriodSeconds * 4);
  return [{ limit: 'killed tasks', change: `terminationGracePeriodSeconds ${grace}`, config: { ...config, terminationGracePeriodSeconds: grace } }];
}

/**
 * What limits p95 wait in a configuration: the same replications again, each with one limit
 * taken away. The changes are not advice (instant pods do not exist); they say where the wait
 * comes from, so a person knows which lever could move it.
 */
function withoutWaitLimits(config: SimConfig): Variant[] {
  const out: Variant[] = [
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

/**
 * For the configuration nearest to qualifying: when it meets the wait but kills tasks, the same
 * without kills; otherwise each limit of its p95 wait taken away, largest gain first.
 */
export async function findLimits(workloads: readonly Workload[], nearest: ConfigEstimate, killsOnly: boolean, options: ReplicationOptions): Promise<Limit[]> {
  const tried = killsOnly ? withoutKills(nearest.config) : withoutWaitLimits(nearest.config);
  const runs = await runReplications(
    workloads,
    tried.map((t) => t.config),
    options,
  );
  const limits = tried.map((t, i) => {
    const samples = samplesOf(runs[i] ?? []);
    return {
      limit: t.limit,
      change: t.change,
      p95WaitSeconds: estimate(samples.p95WaitSeconds),
      workerHours: estimate(samples.workerHours),
      tasksKilled: estimate(samples.tasksKilled),
    };
  });
  return limits.sort((a, b) => a.p95WaitSeconds.mean - b.p95WaitSeconds.mean);
}
