import type { ConfigEstimate } from '../estimates.js';
import type { SimConfig } from '../model/config.js';
import { describeDistribution } from '../model/distribution.js';
import { pointValue } from '../sweep-dimensions.js';
import type { RecommendationOutcome, SimulationOutcome } from './document.js';
import { configurationOf, workloadSummary } from './document.js';
import { duration, given, int, num, percent, table, withCi } from './format.js';
import { scaledObjectYaml } from './scaled-object.js';

/*
 * The readable output, made to fit an 80-column terminal: a block for one configuration, a
 * table for a sweep, then the decision in words and the ScaledObject to paste.
 */

const COLUMNS = 80;

/** Wraps prose at word boundaries to COLUMNS, continuation lines indented by `indent`. */
export function wrap(text: string, indent = '  '): string[] {
  const lead = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  let line = lead;
  // "95 %" and the like stay on one line.
  const words = text.slice(lead.length).split(' ').reduce<string[]>((out, w) => {
    const last = out.pop();
    if (last !== undefined) out.push(...(w === '%' ? [`${last} %`] : [last, w]));
    else out.push(w);
    return out;
  }, []);
  for (const word of words) {
    const next = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    if (next.length > COLUMNS && line.trim() !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
}

/** The configuration in a few short lines. */
export function describeConfig(config: SimConfig, scaleIn: string = config.scaleInPolicy): string[] {
  const hpa = config.hpaBehavior === null ? 'legacy (no behavior)' : `behavior, scale-down window ${config.hpaBehavior.scaleDown.stabilizationWindowSeconds} s`;
  const nodes = config.nodes === null ? '' : `, ${config.nodes.podsPerNode} pods per new node (node start ${describeDistribution(config.nodes.startup)})`;
  const prewarm = config.prewarm === 'off' ? 'prewarm off' : `prewarm schedule (lead ${config.prewarmLeadSeconds} s, last ${config.prewarmHistoryRuns} runs)`;
  return [
    `pollingInterval ${config.pollingInterval} s, cooldownPeriod ${config.cooldownPeriod} s, min/maxReplicaCount ${config.minReplicaCount}/${config.maxReplicaCount}`,
    `trigger ${config.trigger}, HPA ${hpa}, scaleIn ${scaleIn}, ${prewarm}`,
    `workers: concurrency ${config.workerConcurrency}, grace ${config.terminationGracePeriodSeconds} s, pod startup ${describeDistribution(config.podStartup)}${nodes}`,
    `Airflow: retries ${config.retries}, retry_delay ${config.retryDelaySeconds} s, heartbeat timeout ${config.taskHeartbeatTimeoutSeconds} s; seed ${config.seed}`,
  ];
}

function header(outcome: SimulationOutcome): string[] {
  const wl = workloadSummary(outcome.workload);
  const r = outcome.replications;
  return [
    ...wrap(`Workload: ${wl.name} (${wl.source}, ${int(wl.tasks)} tasks on ${wl.queues.join(', ')}, from ${wl.start.slice(0, 16).replace('T', ' ')} UTC)`),
    r === 1
      ? 'One replication: no confidence intervals (use --replications N for them).'
      : `${r} replications per configuration; figures are means ± a 95 % interval.`,
  ];
}

function killedLine(c: ConfigEstimate): string {
  const m = c.metrics;
  if (m.tasksKilled === 0) return 'none killed at scale-in';
  return `${num(m.tasksKilled)} killed at scale-in (${num(m.tasksKilled - m.tasksFailed)} retried, ${num(m.tasksFailed)} failed)`;
}

function block(c: ConfigEstimate): string[] {
  const m = c.metrics;
  const e = c.estimates;
  return [
    `  queue wait     p95 ${withCi(e.p95WaitSeconds)} s, mean ${withCi(e.meanWaitSeconds)} s, max ${num(m.queueWaitSeconds.max)} s`,
    `  cost           ${withCi(e.workerHours)} worker-hours, ${percent(m.idleFraction)} of paid slots idle, peak ${num(m.peakWorkers)} workers`,
    `  scaling        ${withCi(e.scaleEvents)} scale events, under-provisioned ${duration(m.underProvisionedSeconds)}`,
    `  tasks          ${int(m.tasks.completed)} of ${int(m.tasks.total)} done, ${killedLine(c)}${m.tasks.unfinished > 0 ? `, ${int(m.tasks.unfinished)} UNFINISHED` : ''}`,
    ...(c.config.scaleInPolicy === 'drain' ? [`  scale-in       ${num(m.drains)} workers drained, ${num(m.restores)} put back to work`] : []),
    `  load           KEDA calls the scaler ${num(c.kedaCallsPerMinute)} times a minute; the scaler reads the metastore ${num(c.metastoreQueriesPerMinute)}`,
  ];
}

/** Splits a camelCase key over two header lines: `pollingInterval` → `polling` / `Interval`. */
function twoLines(key: string): [string, string] {
  const at = key.search(/[A-Z]/);
  return at <= 0 || key.length <= 9 ? ['', key] : [key.slice(0, at), key.slice(at)];
}

function sweepTable(outcome: SimulationOutcome): string[] {
  const axes = outcome.axes.map((a) => twoLines(a.name));
  const calls = new Set(outcome.configs.map((c) => num(c.kedaCallsPerMinute)));
  const showCalls = calls.size > 1;
  const head = [
    ['', ...axes.map((a) => a[0]), 'p95 wait', 'worker-', 'tasks', 'scale', ...(showCalls ? ['KEDA'] : [])],
    ['#', ...axes.map((a) => a[1]), 's', 'hours', 'killed', 'events', ...(showCalls ? ['calls/min'] : [])],
  ];
  const rows = outcome.configs.map((c) => [
    `${c.run}${c.unfinishedReplications > 0 ? '!' : ''}`,
    ...outcome.axes.map((a) => pointValue(c.config, a.name)),
    withCi(c.estimates.p95WaitSeconds),
    withCi(c.estimates.workerHours),
    num(c.estimates.tasksKilled.mean),
    num(c.estimates.scaleEvents.mean),
    ...(showCalls ? [num(c.kedaCallsPerMinute)] : []),
  ]);
  const lines = table(head, rows, (col) => col > 0);
  const current = outcome.configs.find((c) => c.current);
  const notes = [
    ...(current === undefined ? [] : [`Current: #${current.run}.`]),
    `Pareto frontier (no other both cheaper and faster): #${outcome.frontier.join(', #') || 'none'}.`,
    ...(outcome.configs.some((c) => c.unfinishedReplications > 0) ? ['! left work unfinished: it cannot keep up.'] : []),
  ];
  const reads = [...new Set(outcome.configs.map((c) => num(c.metastoreQueriesPerMinute)))].join(' or ');
  const load = showCalls
    ? `The scaler reads the metastore ${reads} times a minute in every configuration.`
    : `KEDA calls the scaler ${[...calls].join('')} times a minute and the scaler reads the metastore ${reads} times, in every configuration.`;
  return [...lines, '', ...wrap(notes.join(' '), ''), ...wrap(load, '')];
}

function recommendationText(outcome: SimulationOutcome, r: RecommendationOutcome): string[] {
  const d = r.decision;
  const rule = `p95 queue wait <= ${given(r.sloP95Seconds)} s at the upper end of its 95 % interval${r.allowKilled ? '' : ', and no task killed'}`;
  if (d.run !== null) {
    const c = outcome.configs[d.run - 1] as ConfigEstimate;
    const tied = d.tied.length > 1 ? `Tied on cost with #${d.tied.filter((n) => n !== d.run).join(', #')}; #${d.run} is the gentlest (polls least often, fewest scale events).` : '';
    return [
      ...wrap(`Recommended: #${d.run}, the cheapest that meets the SLO: ${rule}.`, ''),
      `  p95 ${withCi(c.estimates.p95WaitSeconds)} s, ${withCi(c.estimates.workerHours)} worker-hours, ${num(c.kedaCallsPerMinute)} KEDA calls a minute.`,
      ...(tied === '' ? [] : wrap(tied, '')),
      '',
      'ScaledObject:',
      ...scaledObjectYaml(configurationOf(outcome, d.run)).trimEnd().split('\n').map((line) => `  ${line}`),
    ];
  }
  const lines = wrap(`No configuration meets the SLO: ${rule}.`, '');
  const n = d.nearest === null ? undefined : outcome.configs[d.nearest - 1];
  if (d.excludedForKills.length > 0 && n !== undefined) {
    lines.push(...wrap(`#${d.excludedForKills.join(', #')} meet the wait but kill tasks at scale-in (--allow-killed accepts that).`, ''));
    lines.push(...wrap(`Nearest: #${n.run}, the cheapest of them: p95 ${withCi(n.estimates.p95WaitSeconds)} s, ${withCi(n.estimates.workerHours)} worker-hours, ${withCi(n.estimates.tasksKilled)} tasks killed.`, ''));
    for (const l of r.limits) {
      const meets = l.p95WaitSeconds.high <= r.sloP95Seconds && l.tasksKilled.high === 0 ? ', which would meet the SLO' : '';
      lines.push(...wrap(`With ${l.change}: p95 ${withCi(l.p95WaitSeconds)} s, ${withCi(l.workerHours)} worker-hours, ${withCi(l.tasksKilled)} killed${meets}.`, ''));
    }
    return lines;
  }
  if (n !== undefined) {
    const kills = !r.allowKilled && n.estimates.tasksKilled.mean > 0 ? ` It also kills ${withCi(n.estimates.tasksKilled)} tasks at scale-in (scaleIn drain kills none).` : '';
    lines.push(...wrap(`Nearest: #${n.run}, p95 ${withCi(n.estimates.p95WaitSeconds)} s at ${withCi(n.estimates.workerHours)} worker-hours.${kills}`, ''));
  }
  if (r.limits.length > 0) {
    lines.push('What limits its p95 wait: its p95 with one limit taken away (same replications):');
    const rows = r.limits.map((l) => [l.change, `${withCi(l.p95WaitSeconds)} s`, l.p95WaitSeconds.high <= r.sloP95Seconds ? 'would meet it' : '']);
    lines.push(...table([], rows, (col) => col === 1).map((line) => `  ${line}`));
  }
  return lines;
}

/** The readable output: one block for a single configuration, a table for a sweep. */
export function formatText(outcome: SimulationOutcome): string {
  const lines = header(outcome);
  const only = outcome.configs.length === 1 ? outcome.configs[0] : undefined;
  if (only !== undefined) {
    lines.push('', ...describeConfig(only.config).flatMap((l) => wrap(l)), '', ...block(only).flatMap((l) => wrap(l, '                 ')));
  } else {
    const current = outcome.configs.find((c) => c.current);
    if (current !== undefined) lines.push('', `Current configuration (#${current.run}):`, ...describeConfig(current.config).flatMap((l) => wrap(`  ${l}`, '    ')));
    lines.push('', ...sweepTable(outcome));
  }
  if (outcome.recommendation !== null) lines.push('', ...recommendationText(outcome, outcome.recommendation));
  return `${lines.join('\n')}\n`;
}

/**
 * `--compare-scale-in`: one column per policy, one row per figure, so the policies read side by
 * side. Worker-hours count every pod from creation to exit, draining and terminating included.
 */
export function formatComparison(outcome: SimulationOutcome): string {
  const lines = header(outcome);
  const first = outcome.configs[0];
  if (first === undefined) return `${lines.join('\n')}\n`;
  lines.push('', ...describeConfig(first.config, 'compared').flatMap((l) => wrap(l)), '');
  const figures: [string, (c: ConfigEstimate) => string][] = [
    ['tasks killed', (c) => withCi(c.estimates.tasksKilled)],
    ['  then failed', (c) => num(c.metrics.tasksFailed)],
    ['worker-hours', (c) => withCi(c.estimates.workerHours)],
    ['p95 wait (s)', (c) => withCi(c.estimates.p95WaitSeconds)],
    ['peak workers', (c) => num(c.metrics.peakWorkers)],
    ['drains', (c) => num(c.metrics.drains)],
    ['restores', (c) => num(c.metrics.restores)],
  ];
  if (outcome.configs.some((c) => c.unfinishedReplications > 0)) figures.push(['UNFINISHED tasks', (c) => num(c.metrics.tasks.unfinished)]);
  const head = [['scale-in', ...outcome.configs.map((c) => c.config.scaleInPolicy)]];
  const rows = figures.map(([label, value]) => [label, ...outcome.configs.map(value)]);
  lines.push(...table(head, rows, (col) => col > 0), '');
  lines.push('drains: busy surplus workers told to stop consuming (cancel_consumer);');
  lines.push('restores: draining workers put back to work (add_consumer).');
  return `${lines.join('\n')}\n`;
}
