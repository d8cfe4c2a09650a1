import type { ConfigEstimate } from '../estimates.js';
import type { SimulationResult } from '../model/run-types.js';
import { pointValue } from '../sweep-dimensions.js';
import type { SimulationOutcome } from './document.js';
import { configurationOf, workloadSummary } from './document.js';
import { given, int, num, withCi } from './format.js';
import { reportStyle, scatterChart } from './report-scatter.js';
import { bucketSeconds, burstWindow, maxPerBucket, sliceTimeline, waitBuckets } from './report-data.js';
import { Chart, esc, fitRange, legend, timeTicks } from './svg.js';
import { scaledObjectYaml } from './scaled-object.js';
import { describeConfig } from './text.js';

/*
 * A self-contained HTML report: inline CSS and SVG, no scripts, no external resources, so it can
 * be attached to a ticket or opened offline. It answers, in order: what to set, what it costs
 * against what it saves, what one burst looks like now and with the recommendation, and how the
 * wait goes over the whole run.
 */

const COLORS = { queued: '#d62728', running: '#1f77b4', slots: '#2ca02c', desired: '#ff7f0e', current: '#7f7f7f', featured: '#1f77b4' };

/** A configuration the report draws in detail: its first replication run again with the exact timeline. */
export interface Featured {
  readonly estimate: ConfigEstimate;
  readonly title: string;
  readonly detail: SimulationResult;
}

/**
 * The configurations the report draws in detail: the current one, and beside it the
 * recommendation, else the nearest to the SLO, else the one with the lowest p95 wait.
 */
export function featuredConfigs(outcome: SimulationOutcome): { estimate: ConfigEstimate; title: string }[] {
  const current = outcome.configs.find((c) => c.current) ?? outcome.configs[0];
  if (current === undefined) return [];
  let pick = featuredRun(outcome);
  if (pick !== null && pick.run === current.run) pick = fastest(outcome, current.run);
  const other = pick === null ? [] : [{ estimate: outcome.configs[pick.run - 1] as ConfigEstimate, title: pick.title }];
  return [{ estimate: current, title: `current (#${current.run})` }, ...other];
}

function featuredRun(outcome: SimulationOutcome): { run: number; title: string } | null {
  const d = outcome.recommendation?.decision;
  if (d !== undefined && d.run !== null) return { run: d.run, title: `recommended (#${d.run})` };
  if (d !== undefined && d.nearest !== null) return { run: d.nearest, title: `nearest to the SLO (#${d.nearest})` };
  if (outcome.compare !== null) {
    const drain = outcome.configs.find((c) => c.config.scaleInPolicy === 'drain' && !c.current);
    return drain === undefined ? null : { run: drain.run, title: `scaleIn drain (#${drain.run})` };
  }
  return fastest(outcome, -1);
}

/** The configuration with the lowest p95 wait other than run `except`, if any. */
function fastest(outcome: SimulationOutcome, except: number): { run: number; title: string } | null {
  const best = outcome.configs
    .filter((c) => c.run !== except)
    .sort((a, b) => a.estimates.p95WaitSeconds.mean - b.estimates.p95WaitSeconds.mean || a.run - b.run)[0];
  return best === undefined ? null : { run: best.run, title: `lowest p95 wait (#${best.run})` };
}

const fmtClock = (startEpochMs: number, seconds: boolean) => (t: number): string => new Date(startEpochMs + t * 1000).toISOString().slice(11, seconds ? 19 : 16);
const fmtHours = (t: number): string => `${num(t / 3600)} h`;

function burstCharts(outcome: SimulationOutcome, runs: readonly Featured[]): string {
  const [current, other] = runs;
  const waits = current?.detail.taskWaits ?? null;
  const timeline = current?.detail.timeline ?? null;
  if (current === undefined || waits === null || timeline === null) return '';
  const window = burstWindow({ timeline, waits }, other?.detail.timeline ?? null);
  if (window === null) return '';
  const [from, to] = window;
  const slices = runs.map((r) => {
    const s = sliceTimeline(r.detail.timeline ?? timeline, from, to);
    const k = r.estimate.config.workerConcurrency;
    return { ...s, slots: s.workers.map((w) => w * k), asked: s.desired.map((d) => d * k) };
  });
  const yMax = Math.max(1, ...slices.flatMap((s) => [...s.queued, ...s.running, ...s.slots, ...s.asked]));
  const ticks = timeTicks(from, to, 4);
  const clock = fmtClock(outcome.workload.startEpochMs, ticks.some((t) => t % 60 !== 0));
  const charts = runs.map((r, i) => {
    const s = slices[i];
    if (s === undefined) return '';
    const chart = new Chart({ width: 440, height: 250, left: 46, right: 12, top: 22, bottom: 34 }, [from, to], fitRange([0, yMax]));
    chart.axes('time (UTC)', 'tasks', clock, (v) => num(v), ticks);
    chart.step(s.time, s.slots, COLORS.slots);
    chart.step(s.time, s.asked, COLORS.desired, '5 3');
    chart.step(s.time, s.running, COLORS.running);
    chart.step(s.time, s.queued, COLORS.queued);
    return `<figure><figcaption>${esc(r.title)}</figcaption>${chart.svg(`one burst: ${r.title}`, `burst-${i}`)}</figure>`;
  });
  return [
    '<h2>One burst, up close</h2>',
    `<p>The burst around a task that waited as long as the current configuration's 95th percentile, ${esc(fmtClock(outcome.workload.startEpochMs, true)(from))}–${esc(fmtClock(outcome.workload.startEpochMs, true)(to))} UTC, first replication. A ready worker gives worker_concurrency task slots; the dashed line is the slots of the worker count the scaler asks for.</p>`,
    legend([['queued tasks', COLORS.queued], ['running tasks', COLORS.running], ['slots of ready workers', COLORS.slots], ['slots the scaler asks for', COLORS.desired, 'dashed']]),
    `<div class="pair">${charts.join('')}</div>`,
  ].join('\n');
}

function waitOverTime(runs: readonly Featured[], slo: number | undefined): string {
  const until = Math.max(...runs.map((r) => r.detail.metrics.simulatedSeconds));
  const bucket = bucketSeconds(until);
  const series = runs.map((r) => (r.detail.taskWaits === null ? null : waitBuckets(r.detail.taskWaits, bucket, until)));
  const values = series.flatMap((s) => (s === null ? [] : s.p95.filter((v) => Number.isFinite(v))));
  if (values.length === 0) return '';
  const sloShown = slo !== undefined && slo <= Math.max(...values) * 2;
  const chart = new Chart({ width: 880, height: 260, left: 52, right: 14, top: 22, bottom: 34 }, [0, until], fitRange(values, sloShown ? [0, slo] : [0]));
  chart.axes('time since start', 'p95 wait (s)', fmtHours, (v) => num(v), timeTicks(0, until));
  if (sloShown) {
    const y = chart.y(slo);
    chart.parts.push(`<line class="slo" x1="${chart.x0}" x2="${chart.x1}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#d62728" stroke-dasharray="6 4"/>`);
  }
  series.forEach((s, i) => {
    if (s === null) return;
    // A step per interval; intervals with no task start show no wait (0).
    const xs = [...s.start, until];
    const ys = [...s.p95.map((v) => (Number.isFinite(v) ? v : 0)), s.p95.length > 0 ? (Number.isFinite(s.p95[s.p95.length - 1]) ? (s.p95[s.p95.length - 1] as number) : 0) : 0];
    chart.step(xs, ys, i === 0 ? COLORS.current : COLORS.featured);
  });
  return [
    '<h2>Queue wait over the run</h2>',
    `<p>95th percentile of the queue wait of the tasks queued in each ${esc(bucket >= 3600 ? `${bucket / 3600} h` : `${bucket / 60} min`)} (0 where none was queued), first replication.</p>`,
    legend([...runs.map((r, i) => [r.title, i === 0 ? COLORS.current : COLORS.featured] as const), ...(sloShown ? [[`SLO ${given(slo)} s (for the whole run's p95)`, '#d62728', 'dashed'] as const] : [])]),
    chart.svg('queue wait over time', 'wait-over-time'),
  ].join('\n');
}

function workersOverTime(runs: readonly Featured[]): string {
  const until = Math.max(...runs.map((r) => r.detail.metrics.simulatedSeconds));
  const buckets = 400;
  const series = runs.map((r) => (r.detail.timeline === null ? null : maxPerBucket(r.detail.timeline, 'workers', buckets, until)));
  const values = series.flatMap((s) => s?.value ?? []);
  if (values.length === 0) return '';
  const chart = new Chart({ width: 880, height: 220, left: 52, right: 14, top: 22, bottom: 34 }, [0, until], fitRange(values, [0]));
  chart.axes('time since start', 'ready workers', fmtHours, (v) => num(v), timeTicks(0, until));
  series.forEach((s, i) => {
    if (s !== null) chart.step(s.time, s.value, i === 0 ? COLORS.current : COLORS.featured);
  });
  return ['<h2>Workers over the run</h2>', '<p>Most ready workers at any moment of each interval, first replication.</p>', chart.svg('ready workers over time', 'workers-over-time')].join('\n');
}

function verdict(outcome: SimulationOutcome): string {
  const r = outcome.recommendation;
  if (r === null) return '';
  const d = r.decision;
  const rule = `p95 queue wait at most ${given(r.sloP95Seconds)} s with 95 % confidence${r.allowKilled ? '' : ' and no task killed at scale-in'}`;
  if (d.run !== null) {
    const c = outcome.configs[d.run - 1] as ConfigEstimate;
    return [
      `<div class="verdict"><p><b>Set #${d.run}.</b> It is the cheapest configuration with ${esc(rule)}: p95 wait ${esc(withCi(c.estimates.p95WaitSeconds))} s for ${esc(withCi(c.estimates.workerHours))} worker-hours.</p>`,
      `<p>In the ScaledObject:</p><pre>${esc(scaledObjectYaml(configurationOf(outcome, d.run)))}</pre></div>`,
    ].join('');
  }
  const near = d.nearest === null ? undefined : outcome.configs[d.nearest - 1];
  const limits = r.limits.map(
    (l) =>
      `<li>${esc(`${l.change}: p95 ${withCi(l.p95WaitSeconds)} s, ${withCi(l.workerHours)} worker-hours, ${withCi(l.tasksKilled)} tasks killed`)}${l.p95WaitSeconds.high <= r.sloP95Seconds && l.tasksKilled.high === 0 ? ' (would meet it)' : ''}</li>`,
  );
  return [
    `<div class="verdict miss"><p><b>No configuration meets the SLO</b> (${esc(rule)}).`,
    near === undefined ? '' : ` The nearest is #${near.run}: p95 ${esc(withCi(near.estimates.p95WaitSeconds))} s.`,
    d.excludedForKills.length > 0 ? ` #${d.excludedForKills.join(', #')} meet the wait but kill tasks at scale-in.` : '',
    '</p>',
    limits.length > 0 ? `<p>${d.excludedForKills.length > 0 ? 'The nearest without killing:' : 'What holds its wait up, each taken away alone:'}</p><ul>${limits.join('')}</ul>` : '',
    '</div>',
  ].join('');
}

function runTable(outcome: SimulationOutcome): string {
  const frontier = new Set(outcome.frontier);
  const rec = outcome.recommendation?.decision.run ?? null;
  const settings = outcome.compare === null ? outcome.axes.map((a) => a.name) : ['scaleIn'];
  const head = ['#', ...settings, 'p95 wait (s)', 'mean wait (s)', 'worker-hours', 'tasks killed', 'scale events', 'KEDA calls a minute', ''];
  const rows = outcome.configs.map((c) => {
    const cls = rec === c.run ? ' class="rec"' : c.current ? ' class="cur"' : '';
    const notes = [rec === c.run ? 'recommended' : '', c.current ? 'current' : '', frontier.has(c.run) ? 'on the frontier' : '', c.unfinishedReplications > 0 ? 'work left unfinished' : '']
      .filter((n) => n !== '')
      .join(', ');
    const e = c.estimates;
    const cells = [String(c.run), ...settings.map((s) => pointValue(c.config, s)), withCi(e.p95WaitSeconds), withCi(e.meanWaitSeconds), withCi(e.workerHours), withCi(e.tasksKilled), withCi(e.scaleEvents), num(c.kedaCallsPerMinute), notes];
    return `<tr${cls}>${cells.map((cell) => `<td>${esc(cell)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The report; `runs` are `featuredConfigs(outcome)` with their detail runs, the current one first. */
export function renderReport(outcome: SimulationOutcome, runs: readonly Featured[]): string {
  const wl = workloadSummary(outcome.workload);
  const current = runs[0]?.estimate;
  const sections: string[] = [verdict(outcome)];
  if (current !== undefined) {
    if (outcome.configs.length > 1) sections.push(scatterChart(outcome));
    sections.push(burstCharts(outcome, runs), waitOverTime(runs, outcome.recommendation?.sloP95Seconds), workersOverTime(runs));
    sections.push('<h2>Configurations</h2>', `<p class="config">Current: ${esc(describeConfig(current.config).join('; '))}</p>`);
  }
  sections.push(runTable(outcome));
  const reps = outcome.replications === 1 ? 'one replication (no intervals)' : `${outcome.replications} replications each; ± is a 95 % confidence interval`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`airflow-keda-scaler simulation: ${wl.name}`)}</title>
<style>${reportStyle()}</style></head><body>
<h1>${esc(`Simulation: ${wl.name}`)}</h1>
<p>${esc(`${wl.source === 'trace' ? 'Trace' : 'Scenario'} of ${int(wl.tasks)} tasks on ${wl.queues.join(', ')}, from ${wl.start.slice(0, 16).replace('T', ' ')} UTC. ${outcome.configs.length} configuration${outcome.configs.length === 1 ? '' : 's'}, ${reps}.`)}</p>
${sections.filter((s) => s !== '').join('\n')}
</body></html>
`;
}
