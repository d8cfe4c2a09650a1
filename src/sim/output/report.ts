import { describeConfig, pointValue } from './document.js';
import type { SimulationDocument } from './document.js';
import type { RunSummary } from '../sweep.js';
import type { Timeline } from '../model/run-types.js';

/*
 * A self-contained HTML report: inline CSS and SVG, no scripts, no external resources, so it can
 * be attached to a ticket or opened offline.
 */

const WIDTH = 880;
const HEIGHT = 220;
const MARGIN = { left: 56, right: 16, top: 14, bottom: 30 };
const COLORS = { queued: '#d62728', running: '#1f77b4', workers: '#2ca02c', replicas: '#9467bd', desired: '#ff7f0e', frontier: '#1f77b4', other: '#999' };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round tick values covering [0, max]. */
function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if ((out[out.length - 1] ?? 0) < max) out.push(Number(((out[out.length - 1] ?? 0) + step).toPrecision(12)));
  return out;
}

interface Scale {
  x: (v: number) => number;
  y: (v: number) => number;
  xTicks: number[];
  yTicks: number[];
}

function scale(xMin: number, xMax: number, yMax: number): Scale {
  const xTicks = ticks(xMax - xMin).map((t) => t + xMin);
  const yTicks = ticks(yMax);
  const x1 = xTicks[xTicks.length - 1] ?? xMax;
  const y1 = yTicks[yTicks.length - 1] ?? yMax;
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const h = HEIGHT - MARGIN.top - MARGIN.bottom;
  return {
    x: (v) => MARGIN.left + ((v - xMin) / (x1 - xMin || 1)) * w,
    y: (v) => MARGIN.top + h - (v / (y1 || 1)) * h,
    xTicks,
    yTicks,
  };
}

function axes(s: Scale, xLabel: string, yLabel: string, fmtX: (v: number) => string): string {
  const parts: string[] = [];
  const bottom = HEIGHT - MARGIN.bottom;
  for (const t of s.yTicks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${s.y(t).toFixed(1)}" y2="${s.y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${(s.y(t) + 4).toFixed(1)}" text-anchor="end">${esc(String(t))}</text>`);
  }
  for (const t of s.xTicks) {
    parts.push(`<text x="${s.x(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${esc(fmtX(t))}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" class="axis"/>`);
  parts.push(`<text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 2}" text-anchor="end" class="label">${esc(xLabel)}</text>`);
  parts.push(`<text x="4" y="${MARGIN.top - 2}" class="label">${esc(yLabel)}</text>`);
  return parts.join('');
}

/** A step line: values hold until the next sample. */
function stepPath(xs: Float64Array, ys: Float64Array, s: Scale): string {
  let d = '';
  for (let i = 0; i < xs.length; i++) {
    const x = s.x((xs[i] as number) / 3600).toFixed(1);
    const y = s.y(ys[i] as number).toFixed(1);
    d += i === 0 ? `M${x},${y}` : `H${x}V${y}`;
  }
  return d;
}

function legend(entries: [string, string][]): string {
  return `<div class="legend">${entries.map(([name, color]) => `<span><i style="background:${color}"></i>${esc(name)}</span>`).join('')}</div>`;
}

function timelineCharts(timeline: Timeline): string {
  const n = timeline.time.length;
  if (n === 0) return '<p>No samples.</p>';
  const hours = (timeline.time[n - 1] as number) / 3600;
  let taskMax = 1;
  let workerMax = 1;
  for (let i = 0; i < n; i++) {
    taskMax = Math.max(taskMax, timeline.queued[i] as number, timeline.running[i] as number);
    workerMax = Math.max(workerMax, timeline.workers[i] as number, timeline.replicas[i] as number, timeline.desired[i] as number);
  }
  const fmtH = (v: number): string => `${Number(v.toFixed(2))} h`;
  const tasks = scale(0, hours, taskMax);
  const workers = scale(0, hours, workerMax);
  const line = (series: Float64Array, color: string, s: Scale, dash = ''): string =>
    `<path d="${stepPath(timeline.time, series, s)}" stroke="${color}" fill="none" stroke-width="1.3"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`;
  return [
    legend([['queued', COLORS.queued], ['running', COLORS.running]]),
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="queued and running tasks">${axes(tasks, 'time since start', 'tasks', fmtH)}${line(timeline.queued, COLORS.queued, tasks)}${line(timeline.running, COLORS.running, tasks)}</svg>`,
    legend([['ready workers', COLORS.workers], ['replicas (spec)', COLORS.replicas], ['desired (scaler)', COLORS.desired]]),
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="workers, replicas and desired">${axes(workers, 'time since start', 'workers', fmtH)}${line(timeline.desired, COLORS.desired, workers, '4 3')}${line(timeline.replicas, COLORS.replicas, workers)}${line(timeline.workers, COLORS.workers, workers)}</svg>`,
  ].join('\n');
}

function frontierChart(doc: SimulationDocument, summaries: readonly RunSummary[]): string {
  const points = summaries.map((s, i) => ({ i, x: s.metrics.workerSeconds / 3600, y: s.metrics.queueWaitSeconds.p95 }));
  const slo = doc.recommendation?.sloP95Seconds;
  const xMax = Math.max(...points.map((p) => p.x));
  const yMax = Math.max(...points.map((p) => p.y), slo ?? 0);
  const s = scale(0, xMax, yMax);
  const frontier = doc.paretoFrontier.map((i) => points[i]).filter((p) => p !== undefined);
  const recommended = doc.recommendation?.run ?? null;
  const parts = [axes(s, 'worker-hours (cost)', 'p95 queue wait (s)', (v) => String(Number(v.toFixed(2))))];
  if (slo !== undefined) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${s.y(slo).toFixed(1)}" y2="${s.y(slo).toFixed(1)}" stroke="#d62728" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right}" y="${(s.y(slo) - 4).toFixed(1)}" text-anchor="end" fill="#d62728">SLO p95 ${slo} s</text>`);
  }
  if (frontier.length > 1) {
    parts.push(`<path d="${frontier.map((p, k) => `${k === 0 ? 'M' : 'L'}${s.x(p.x).toFixed(1)},${s.y(p.y).toFixed(1)}`).join('')}" stroke="${COLORS.frontier}" fill="none" stroke-width="1.5"/>`);
  }
  const onFrontier = new Set(doc.paretoFrontier);
  for (const p of points) {
    const summary = summaries[p.i] as RunSummary;
    const point = [
      ...doc.sweep.map((a) => `${a.name}=${pointValue(summary.config, a.name)}`),
      ...(doc.compare === undefined ? [] : [`scale-in=${summary.config.scaleInPolicy}`]),
    ];
    const label = `#${p.i + 1} ${point.join(' ')}: ${p.x.toFixed(2)} worker-h, p95 ${p.y} s`;
    const color = onFrontier.has(p.i) ? COLORS.frontier : COLORS.other;
    parts.push(`<circle cx="${s.x(p.x).toFixed(1)}" cy="${s.y(p.y).toFixed(1)}" r="4" fill="${color}"><title>${esc(label)}</title></circle>`);
    if (onFrontier.has(p.i)) parts.push(`<text x="${(s.x(p.x) + 6).toFixed(1)}" y="${(s.y(p.y) - 6).toFixed(1)}">#${p.i + 1}</text>`);
  }
  if (recommended !== null) {
    const p = points[recommended];
    if (p !== undefined) parts.push(`<circle cx="${s.x(p.x).toFixed(1)}" cy="${s.y(p.y).toFixed(1)}" r="9" fill="none" stroke="#d62728" stroke-width="2"/>`);
  }
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="cost versus p95 wait">${parts.join('')}</svg>`;
}

function runTable(doc: SimulationDocument, summaries: readonly RunSummary[]): string {
  const frontier = new Set(doc.paretoFrontier);
  const compared = doc.compare === undefined ? [] : ['scale-in'];
  const head = ['#', ...doc.sweep.map((a) => a.name), ...compared, 'p50 s', 'p95 s', 'p99 s', 'worker-h', 'idle', 'killed', 'peak', 'scale events', 'under-prov. s', ...(doc.compare === undefined ? [] : ['drains', 'restores'])];
  const rows = summaries.map((s, i) => {
    const m = s.metrics;
    const cls = doc.recommendation?.run === i ? ' class="rec"' : frontier.has(i) ? ' class="front"' : '';
    const cells = [
      `${i + 1}${frontier.has(i) ? ' *' : ''}`,
      ...doc.sweep.map((a) => String(pointValue(s.config, a.name))),
      ...(doc.compare === undefined ? [] : [s.config.scaleInPolicy]),
      String(m.queueWaitSeconds.p50),
      String(m.queueWaitSeconds.p95),
      String(m.queueWaitSeconds.p99),
      (m.workerSeconds / 3600).toFixed(2),
      `${(m.idleFraction * 100).toFixed(1)} %`,
      String(m.tasksKilled),
      String(m.peakWorkers),
      String(m.scaleEvents),
      String(m.underProvisionedSeconds),
      ...(doc.compare === undefined ? [] : [String(m.drains), String(m.restores)]),
    ];
    return `<tr${cls}>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Which runs get timelines: every compared policy, or the recommended one, then the frontier, at most six. */
function featured(doc: SimulationDocument, count: number): number[] {
  if (count === 1) return [0];
  if (doc.compare !== undefined) return Array.from({ length: Math.min(count, 6) }, (_, i) => i);
  const picks: number[] = [];
  const rec = doc.recommendation?.run ?? null;
  if (rec !== null) picks.push(rec);
  for (const i of doc.paretoFrontier) if (!picks.includes(i)) picks.push(i);
  return picks.slice(0, 6);
}

export function renderReport(doc: SimulationDocument, summaries: readonly RunSummary[]): string {
  const wl = doc.workload;
  const sections: string[] = [];
  if (summaries.length > 1) {
    sections.push('<h2>Cost against queue wait</h2>');
    sections.push('<p>Each point is one configuration; blue points are the Pareto frontier (no other run is both cheaper and faster).</p>');
    sections.push(frontierChart(doc, summaries));
    if (doc.recommendation !== undefined) {
      const r = doc.recommendation;
      sections.push(
        r.run === null
          ? `<p class="verdict">No configuration keeps the p95 queue wait within ${r.sloP95Seconds} s.</p>`
          : `<p class="verdict">Cheapest configuration with p95 queue wait ≤ ${r.sloP95Seconds} s: <b>#${r.run + 1}</b>.</p>`,
      );
    }
  }
  sections.push('<h2>Runs</h2>', runTable(doc, summaries));
  for (const i of featured(doc, summaries.length)) {
    const s = summaries[i];
    if (s === undefined) continue;
    const title = doc.compare === undefined ? `run #${i + 1}` : `run #${i + 1} (scale-in ${s.config.scaleInPolicy})`;
    sections.push(`<h2>Timeline of ${esc(title)}</h2>`, `<p class="config">${esc(describeConfig(s.config))}</p>`);
    sections.push(s.timeline === null ? '<p>No timeline recorded.</p>' : timelineCharts(s.timeline));
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(`airflow-keda-scaler simulation: ${wl.name}`)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:920px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
svg{width:100%;height:auto;font-size:11px;background:#fff}
svg .grid{stroke:#eee}svg .axis{stroke:#888}svg .label{fill:#555}
table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f6f6f6}
tr.front td{background:#eef5fc}tr.rec td{background:#fde8e8;font-weight:600}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.config{color:#555;font-size:12px}.verdict{font-size:15px}
</style></head><body>
<h1>${esc(`Simulation: ${wl.name}`)}</h1>
<p>${esc(`${wl.source === 'trace' ? 'Trace' : 'Scenario'} with ${wl.tasks} tasks on ${wl.queues.join(', ')}, starting ${wl.start}. ${summaries.length} configuration${summaries.length === 1 ? '' : 's'}.`)}</p>
${sections.join('\n')}
</body></html>
`;
}
