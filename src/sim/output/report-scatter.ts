import type { ConfigEstimate } from '../estimates.js';
import { pointValue } from '../sweep-dimensions.js';
import type { SimulationOutcome } from './document.js';
import { given, num, withCi } from './format.js';
import type { Box } from './svg.js';
import { Chart, FONT_PX, esc, fitRange, legend } from './svg.js';

const COLORS = { frontier: '#1f77b4', other: '#9a9a9a', slo: '#d62728', recommended: '#d62728', current: '#333' };

function settingsOf(outcome: SimulationOutcome, c: ConfigEstimate): string {
  const keys = outcome.compare === null ? outcome.axes.map((a) => a.name) : ['scaleIn'];
  return keys.map((k) => `${k} ${pointValue(c.config, k)}`).join(', ');
}

/**
 * Cost (worker-hours) against p95 queue wait, one point per configuration with its 95 % interval
 * on both axes, the SLO as a line, the frontier joined. The axes span the data (and the SLO when
 * it is near), so the points spread over the chart; labels go where they overlap nothing.
 */
export function scatterChart(outcome: SimulationOutcome): string {
  const configs = outcome.configs;
  const slo = outcome.recommendation?.sloP95Seconds;
  const xs = configs.flatMap((c) => [c.estimates.workerHours.low, c.estimates.workerHours.high]);
  const ys = configs.flatMap((c) => [c.estimates.p95WaitSeconds.low, c.estimates.p95WaitSeconds.high]);
  const span = Math.max(...ys) - Math.min(...ys);
  // The SLO is drawn when it lies within a span of the data; else the note says where it is.
  const sloShown = slo !== undefined && slo >= Math.min(...ys) - Math.max(span, 1) && slo <= Math.max(...ys) + Math.max(span, 1);
  const chart = new Chart({ width: 880, height: 340, left: 56, right: 16, top: 24, bottom: 36 }, fitRange(xs), fitRange(ys, sloShown ? [slo] : []));
  chart.axes('worker-hours (cost)', 'p95 queue wait (s)', (v) => num(v), (v) => num(v));
  if (sloShown) {
    const y = chart.y(slo);
    chart.parts.push(`<line class="slo" x1="${chart.x0}" x2="${chart.x1}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${COLORS.slo}" stroke-dasharray="6 4"/>`);
    chart.text(chart.x1 - 4, y - 5, `SLO ${given(slo)} s`, 'slo-label', 'end');
  }
  const frontier = configs.filter((c) => outcome.frontier.includes(c.run)).sort((a, b) => a.estimates.workerHours.mean - b.estimates.workerHours.mean);
  if (frontier.length > 1) {
    const d = frontier.map((c, k) => `${k === 0 ? 'M' : 'L'}${chart.x(c.estimates.workerHours.mean).toFixed(1)},${chart.y(c.estimates.p95WaitSeconds.mean).toFixed(1)}`).join('');
    chart.parts.push(`<path class="series" d="${d}" stroke="${COLORS.frontier}" stroke-opacity="0.5" fill="none" stroke-width="1.2"/>`);
  }
  const rec = outcome.recommendation?.decision.run ?? null;
  const markers: Box[] = [];
  for (const c of configs) {
    const e = c.estimates;
    const px = chart.x(e.workerHours.mean);
    const py = chart.y(e.p95WaitSeconds.mean);
    const color = outcome.frontier.includes(c.run) ? COLORS.frontier : COLORS.other;
    if (e.p95WaitSeconds.high > e.p95WaitSeconds.low) {
      chart.parts.push(`<line class="ci" x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${chart.y(e.p95WaitSeconds.low).toFixed(1)}" y2="${chart.y(e.p95WaitSeconds.high).toFixed(1)}" stroke="${color}" stroke-opacity="0.6"/>`);
    }
    if (e.workerHours.high > e.workerHours.low) {
      chart.parts.push(`<line class="ci" x1="${chart.x(e.workerHours.low).toFixed(1)}" x2="${chart.x(e.workerHours.high).toFixed(1)}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="${color}" stroke-opacity="0.6"/>`);
    }
    const title = `#${c.run} ${settingsOf(outcome, c)}: p95 ${withCi(e.p95WaitSeconds)} s, ${withCi(e.workerHours)} worker-hours`;
    chart.parts.push(`<circle class="point" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${color}"><title>${esc(title)}</title></circle>`);
    if (c.current) chart.parts.push(`<rect class="marker" x="${(px - 7).toFixed(1)}" y="${(py - 7).toFixed(1)}" width="14" height="14" fill="none" stroke="${COLORS.current}" stroke-width="1.5"/>`);
    if (rec === c.run) chart.parts.push(`<circle class="marker" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="9" fill="none" stroke="${COLORS.recommended}" stroke-width="2"/>`);
    markers.push({ x: px - 9, y: py - 9, w: 18, h: 18 });
  }
  // Points that fall on the same spot share one label; groups in order of importance, so a
  // crowded chart keeps the labels that matter.
  const groups = new Map<string, ConfigEstimate[]>();
  for (const c of configs) {
    const key = `${Math.round(chart.x(c.estimates.workerHours.mean) / 4)},${Math.round(chart.y(c.estimates.p95WaitSeconds.mean) / 4)}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const rank = (c: ConfigEstimate): number => (rec === c.run ? 8 : 0) + (c.current ? 4 : 0) + (outcome.frontier.includes(c.run) ? 2 : 0);
  const ordered = [...groups.values()].sort((a, b) => Math.max(...b.map(rank)) - Math.max(...a.map(rank)) || (a[0]?.run ?? 0) - (b[0]?.run ?? 0));
  let unlabelled = 0;
  for (const group of ordered) {
    const first = group[0] as ConfigEstimate;
    const px = chart.x(first.estimates.workerHours.mean);
    const py = chart.y(first.estimates.p95WaitSeconds.mean);
    const others = markers.filter((m) => Math.abs(m.x + 9 - px) > 4 || Math.abs(m.y + 9 - py) > 4);
    const label = group.map((c) => `#${c.run}`).join(' ');
    if (!chart.pointLabel(px, py, label, others)) unlabelled += group.length;
  }
  const notes = [
    'Each point is one configuration: its mean over the replications, with bars for the 95 % intervals.',
    'Blue points are the Pareto frontier: no other configuration is both cheaper and faster.',
    ...(unlabelled > 0 ? [`${unlabelled} point${unlabelled === 1 ? '' : 's'} left unlabelled where labels would overlap; hover for details, or see the table.`] : []),
    ...(slo !== undefined && !sloShown ? [`The SLO (${given(slo)} s) lies far outside the data and is not drawn.`] : []),
  ];
  return [
    '<h2>Cost against queue wait</h2>',
    legend([['Pareto frontier', COLORS.frontier], ['other configurations', COLORS.other], ...(sloShown ? [[`SLO ${given(slo)} s`, COLORS.slo, 'dashed'] as const] : [])]),
    chart.svg('cost against p95 queue wait', 'frontier'),
    `<p class="note">${esc(notes.join(' '))} A square marks the current configuration, a red ring the recommendation.</p>`,
  ].join('\n');
}

/** The report's stylesheet; chart text is FONT_PX in DejaVu Sans, which svg.ts's label boxes assume. */
export function reportStyle(): string {
  return `body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:24px auto;max-width:920px;color:#222;padding:0 12px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
svg.chart{display:block;max-width:100%;height:auto;background:#fff}
svg text{font:${FONT_PX}px "DejaVu Sans",sans-serif;fill:#444}
svg .plot-area{fill:none;stroke:#ccc}svg .grid{stroke:#eee}svg .axis-title{fill:#555}svg .point-label{fill:#222}svg .slo-label{fill:#d62728}
.pair{display:flex;gap:0;flex-wrap:wrap}figure{margin:0}figcaption{font-size:13px;font-weight:600;margin:6px 0 2px 46px}
table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums;margin-top:8px}
td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f6f6f6;font-weight:600}td:last-child{text-align:left}
tr.rec td{background:#fde8e8;font-weight:600}tr.cur td{background:#f2f2f2}
.legend span{margin-right:16px;font-size:12px;white-space:nowrap}.legend i{display:inline-block;width:18px;height:0;margin-right:5px;vertical-align:middle}
.config,.note{color:#555;font-size:12px}.verdict{font-size:15px;border-left:4px solid #2ca02c;padding:4px 12px;background:#f4fbf4}
.verdict.miss{border-color:#d62728;background:#fdf3f3}pre{background:#f6f6f6;padding:8px 12px;font-size:12px;overflow-x:auto}`;
}
