import type { SimConfig } from '../model/config.js';
import { describeDistribution } from '../model/distribution.js';
import type { RunMetrics } from '../model/metrics.js';
import type { RunSummary, SweepAxis } from '../sweep.js';
import type { Workload } from '../model/workload.js';

/** The configuration as JSON, in a fixed key order (part of the byte-identical output). */
export function configJson(config: SimConfig): Record<string, unknown> {
  return {
    workerConcurrency: config.workerConcurrency,
    minReplicaCount: config.minReplicaCount,
    maxReplicaCount: config.maxReplicaCount,
    initialReplicas: config.initialReplicas,
    pollingInterval: config.pollingInterval,
    cooldownPeriod: config.cooldownPeriod,
    initialCooldownPeriod: config.initialCooldownPeriod,
    trigger: config.trigger,
    activationThreshold: config.activationThreshold,
    queues: config.queues,
    useCachedMetrics: config.useCachedMetrics,
    hpaBehavior: config.hpaBehavior,
    hpaSyncPeriodSeconds: config.hpaSyncPeriodSeconds,
    hpaSyncOffsetSeconds: config.hpaSyncOffsetSeconds,
    hpaTolerance: config.hpaTolerance,
    scalerTickSeconds: config.scalerTickSeconds,
    podStartup: config.podStartup,
    terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
    scaleInPolicy: config.scaleInPolicy,
    retryDelaySeconds: config.retryDelaySeconds,
    sampleSeconds: config.sampleSeconds,
    seed: config.seed,
  };
}

export interface WorkloadSummary {
  readonly name: string;
  readonly source: 'scenario' | 'trace';
  readonly start: string;
  readonly tasks: number;
  readonly queues: readonly string[];
}

export function workloadSummary(workload: Workload): WorkloadSummary {
  return {
    name: workload.name,
    source: workload.source,
    start: new Date(workload.startEpochMs).toISOString(),
    tasks: workload.queuedAt.length,
    queues: workload.queueNames,
  };
}

export interface SimulationDocument {
  readonly workload: WorkloadSummary;
  readonly sweep: readonly SweepAxis[];
  /** `--compare-scale-in`: the config field the runs differ in (one run per value). */
  readonly compare?: 'scaleInPolicy';
  readonly runs: readonly (Record<string, unknown> & { config: Record<string, unknown> })[];
  readonly paretoFrontier: readonly number[];
  readonly recommendation?: { readonly sloP95Seconds: number; readonly run: number | null };
}

export function buildDocument(
  workload: Workload,
  axes: readonly SweepAxis[],
  runs: readonly RunSummary[],
  frontier: readonly number[],
  slo: { sloP95Seconds: number; run: number | null } | null,
  compare: 'scaleInPolicy' | null = null,
): SimulationDocument {
  const doc: SimulationDocument = {
    workload: workloadSummary(workload),
    sweep: axes,
    ...(compare === null ? {} : { compare }),
    runs: runs.map((run) => ({ config: configJson(run.config), ...run.metrics })),
    paretoFrontier: frontier,
    ...(slo === null ? {} : { recommendation: slo }),
  };
  return doc;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmtSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/** The configuration in one line; `scaleIn` replaces the policy (e.g. when runs compare them). */
export function describeConfig(config: SimConfig, scaleIn: string = config.scaleInPolicy): string {
  const hpa =
    config.hpaBehavior === null
      ? 'legacy (no behavior)'
      : `behavior (scale-down window ${config.hpaBehavior.scaleDown.stabilizationWindowSeconds} s)`;
  return [
    `pollingInterval ${config.pollingInterval} s`,
    `cooldownPeriod ${config.cooldownPeriod} s`,
    `min ${config.minReplicaCount}`,
    `max ${config.maxReplicaCount}`,
    `concurrency ${config.workerConcurrency}`,
    `trigger ${config.trigger}`,
    `pod startup ${describeDistribution(config.podStartup)}`,
    `grace ${config.terminationGracePeriodSeconds} s`,
    `HPA ${hpa}`,
    `scale-in ${scaleIn}`,
    `seed ${config.seed}`,
  ].join(', ');
}

function describeRun(m: RunMetrics, config: SimConfig): string[] {
  const w = m.queueWaitSeconds;
  const causes = Object.entries(m.scaleEventsByCause)
    .filter(([, n]) => n > 0)
    .map(([cause, n]) => `${cause} ${n}`)
    .join(', ');
  const e = m.elasticity;
  return [
    `  queue wait     mean ${fmtSeconds(w.mean)}   p50 ${fmtSeconds(w.p50)}   p95 ${fmtSeconds(w.p95)}   p99 ${fmtSeconds(w.p99)}   max ${fmtSeconds(w.max)}`,
    `  cost           ${(m.workerSeconds / 3600).toFixed(2)} worker-hours, idle ${pct(m.idleFraction)}, peak ${m.peakWorkers} workers`,
    `  scaling        ${m.scaleEvents} scale events${causes === '' ? '' : ` (${causes})`}, under-provisioned ${fmtSeconds(m.underProvisionedSeconds)}`,
    `  tasks          ${int.format(m.tasks.completed)} of ${int.format(m.tasks.total)} done, ${int.format(m.tasksKilled)} killed at scale-in and retried${m.tasks.unfinished > 0 ? `, ${int.format(m.tasks.unfinished)} UNFINISHED` : ''}`,
    ...(config.scaleInPolicy === 'drain'
      ? [`  scale-in       drain: ${int.format(m.drains)} workers told to stop consuming, ${int.format(m.restores)} put back to work`]
      : []),
    `  elasticity     under/over accuracy ${e.underProvisioningAccuracy}/${e.overProvisioningAccuracy}, timeshare ${pct(e.underProvisioningTimeshare)}/${pct(e.overProvisioningTimeshare)}, instability ${e.instability}`,
    `  simulated      ${fmtSeconds(m.simulatedSeconds)}`,
  ];
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The readable output: one block for a single run, a table plus frontier for a sweep. */
export function formatText(doc: SimulationDocument, summaries: readonly RunSummary[]): string {
  const lines: string[] = [];
  const wl = doc.workload;
  lines.push(`Workload: ${wl.name} (${wl.source}, ${int.format(wl.tasks)} tasks on ${wl.queues.join(', ')}, from ${wl.start})`);
  if (summaries.length === 1) {
    const only = summaries[0] as RunSummary;
    lines.push(`Config: ${describeConfig(only.config)}`, ...describeRun(only.metrics, only.config));
    return `${lines.join('\n')}\n`;
  }
  const first = summaries[0] as RunSummary;
  lines.push(`Base config: ${describeConfig(first.config)}`, '');
  const frontier = new Set(doc.paretoFrontier);
  const recommended = doc.recommendation?.run ?? null;
  const header = ['#', ...doc.sweep.map((a) => a.name), 'p50', 'p95', 'p99', 'worker-h', 'idle', 'killed', 'peak', 'events', ''];
  const rows = summaries.map((s, i) => {
    const m = s.metrics;
    const point = doc.sweep.map((axis) => String(pointValue(s.config, axis.name)));
    const mark = `${frontier.has(i) ? '*' : ''}${recommended === i ? ' <- recommended' : ''}${m.tasks.unfinished > 0 ? ' (unfinished tasks)' : ''}`;
    return [
      String(i + 1),
      ...point,
      fmtSeconds(m.queueWaitSeconds.p50),
      fmtSeconds(m.queueWaitSeconds.p95),
      fmtSeconds(m.queueWaitSeconds.p99),
      (m.workerSeconds / 3600).toFixed(1),
      pct(m.idleFraction),
      int.format(m.tasksKilled),
      String(m.peakWorkers),
      String(m.scaleEvents),
      mark,
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const render = (cells: string[]): string =>
    cells.map((cell, c) => pad(cell, widths[c] ?? 0, c > 0 && c < cells.length - 1)).join('  ').trimEnd();
  lines.push(render(header), ...rows.map(render), '');
  lines.push(
    `Pareto frontier (worker-hours vs p95 wait, marked *): ${doc.paretoFrontier.map((i) => `#${i + 1}`).join(', ') || 'none'}`,
  );
  if (doc.recommendation !== undefined) {
    const r = doc.recommendation;
    if (r.run === null) lines.push(`No configuration keeps p95 queue wait within ${r.sloP95Seconds} s.`);
    else {
      const s = summaries[r.run] as RunSummary;
      lines.push(
        `Cheapest with p95 wait <= ${r.sloP95Seconds} s: #${r.run + 1} (${doc.sweep.map((a) => `${a.name}=${pointValue(s.config, a.name)}`).join(' ')}): ` +
          `p95 ${fmtSeconds(s.metrics.queueWaitSeconds.p95)}, ${(s.metrics.workerSeconds / 3600).toFixed(1)} worker-hours, ${int.format(s.metrics.tasksKilled)} tasks killed`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `--compare-scale-in`: one column per policy, one row per figure, so the policies read side by
 * side. Worker-seconds count every pod from creation to exit, draining and terminating included.
 */
export function formatComparison(doc: SimulationDocument, summaries: readonly RunSummary[]): string {
  const wl = doc.workload;
  const first = summaries[0];
  const lines: string[] = [
    `Workload: ${wl.name} (${wl.source}, ${int.format(wl.tasks)} tasks on ${wl.queues.join(', ')}, from ${wl.start})`,
  ];
  if (first === undefined) return `${lines.join('\n')}\n`;
  lines.push(`Config: ${describeConfig(first.config, 'compared')}`, '');
  const figures: [string, (m: RunMetrics) => string][] = [
    ['tasks killed', (m) => int.format(m.tasksKilled)],
    ['worker-seconds', (m) => int.format(Math.round(m.workerSeconds))],
    ['worker-hours', (m) => (m.workerSeconds / 3600).toFixed(1)],
    ['queue wait p95', (m) => fmtSeconds(m.queueWaitSeconds.p95)],
    ['peak workers', (m) => String(m.peakWorkers)],
    ['drains', (m) => int.format(m.drains)],
    ['restores', (m) => int.format(m.restores)],
  ];
  if (summaries.some((s) => s.metrics.tasks.unfinished > 0)) {
    figures.push(['UNFINISHED tasks', (m) => int.format(m.tasks.unfinished)]);
  }
  const header = ['scale-in', ...summaries.map((s) => s.config.scaleInPolicy)];
  const rows = figures.map(([label, value]) => [label, ...summaries.map((s) => value(s.metrics))]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const render = (cells: string[]): string => cells.map((cell, c) => pad(cell, widths[c] ?? 0, c > 0)).join('   ').trimEnd();
  lines.push(render(header), ...rows.map(render), '');
  lines.push(
    'drains: busy surplus workers told to stop consuming (cancel_consumer); restores: draining workers put back to work (add_consumer).',
  );
  return `${lines.join('\n')}\n`;
}

/** The swept value of one axis as the config holds it. */
export function pointValue(config: SimConfig, axis: string): number | string {
  switch (axis) {
    case 'polling':
      return config.pollingInterval;
    case 'cooldown':
      return config.cooldownPeriod;
    case 'min':
      return config.minReplicaCount;
    case 'max':
      return config.maxReplicaCount;
    case 'stabilization':
      return config.hpaBehavior?.scaleDown.stabilizationWindowSeconds ?? 'legacy';
    case 'concurrency':
      return config.workerConcurrency;
    case 'startup':
      return describeDistribution(config.podStartup);
    case 'grace':
      return config.terminationGracePeriodSeconds;
    case 'push':
      return config.trigger === 'external-push' ? 'push' : 'poll';
    default:
      return '?';
  }
}
