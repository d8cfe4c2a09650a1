/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchChromium } from '../../support/chromium.js';

const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const SCENARIOS = fileURLToPath(new URL('../../../src/sim/scenarios/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'aks-report-'));

/** Writes a report with the built CLI, as a user would. */
function report(name: string, args: readonly string[]): Promise<string> {
  const file = join(dir, `${name}.html`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'simulate', ...args, '--report', file], { maxBuffer: 64 * 1024 * 1024 }, (err) => {
      // Exit 3 (no configuration meets the SLO) still writes the report.
      if (err !== null && err.code !== 3) reject(new Error(`simulate failed: ${err.message}`, { cause: err }));
      else resolve(file);
    });
  });
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

interface ChartLayout {
  readonly name: string;
  readonly plot: Box;
  readonly viewBox: Box;
  /** Circles' centres and lines' ends, in the chart's units. */
  readonly points: readonly { readonly what: string; readonly x: number; readonly y: number }[];
  /** Bounding boxes of the data lines (steps, frontier). */
  readonly paths: readonly Box[];
  readonly texts: readonly (Box & { readonly text: string })[];
}

/** Every chart's plot area, data and text boxes, measured by the browser after layout. */
async function layout(page: Page): Promise<ChartLayout[]> {
  return page.evaluate(() => {
    const box = (b: DOMRect): Box => ({ x: b.x, y: b.y, w: b.width, h: b.height });
    return [...document.querySelectorAll<SVGSVGElement>('svg.chart')].map((svg) => {
      const area = svg.querySelector<SVGRectElement>('rect.plot-area');
      if (area === null) throw new Error(`chart ${svg.dataset['chart'] ?? '?'} has no plot area`);
      const points: { what: string; x: number; y: number }[] = [];
      for (const c of svg.querySelectorAll<SVGCircleElement>('circle.point')) points.push({ what: 'point', x: c.cx.baseVal.value, y: c.cy.baseVal.value });
      for (const l of svg.querySelectorAll<SVGLineElement>('line.ci')) {
        points.push({ what: 'ci', x: l.x1.baseVal.value, y: l.y1.baseVal.value }, { what: 'ci', x: l.x2.baseVal.value, y: l.y2.baseVal.value });
      }
      const vb = svg.viewBox.baseVal;
      return {
        name: svg.dataset['chart'] ?? '?',
        plot: box(area.getBBox()),
        viewBox: { x: vb.x, y: vb.y, w: vb.width, h: vb.height },
        points,
        paths: [...svg.querySelectorAll<SVGPathElement>('path.series')].map((p) => box(p.getBBox())),
        texts: [...svg.querySelectorAll<SVGTextElement>('text')].map((t) => ({ ...box(t.getBBox()), text: t.textContent })),
      };
    });
  });
}

const EPS = 0.6;
const inside = (p: { x: number; y: number }, b: Box): boolean => p.x >= b.x - EPS && p.x <= b.x + b.w + EPS && p.y >= b.y - EPS && p.y <= b.y + b.h + EPS;
const contains = (outer: Box, b: Box): boolean => inside({ x: b.x, y: b.y }, outer) && inside({ x: b.x + b.w, y: b.y + b.h }, outer);
const overlap = (a: Box, b: Box): boolean => a.x < b.x + b.w - EPS && b.x < a.x + a.w - EPS && a.y < b.y + b.h - EPS && b.y < a.y + a.h - EPS;

function checkCharts(charts: readonly ChartLayout[]): void {
  expect(charts.length).toBeGreaterThan(0);
  for (const chart of charts) {
    for (const p of chart.points) expect(inside(p, chart.plot), `${chart.name}: ${p.what} at (${p.x}, ${p.y}) outside the plot area`).toBe(true);
    for (const b of chart.paths) expect(contains(chart.plot, b), `${chart.name}: a line leaves the plot area ${JSON.stringify(b)}`).toBe(true);
    for (const t of chart.texts) expect(contains(chart.viewBox, t), `${chart.name}: "${t.text}" is cut off`).toBe(true);
    chart.texts.forEach((a, i) => {
      for (const b of chart.texts.slice(i + 1)) expect(overlap(a, b), `${chart.name}: "${a.text}" overlaps "${b.text}"`).toBe(false);
    });
  }
}

describe('the HTML report in headless Chromium', () => {
  let page: Page;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const browser = await launchChromium();
    close = browser.close;
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await close();
  });

  it('keeps every point inside its plot area and no two labels over each other, on a crowded 4×4 sweep', async () => {
    const file = await report('sweep', [
      '--scenario', join(SCENARIOS, 'hourly-etl.yaml'), '--replications', '3',
      '--sweep', 'pollingInterval=1,5,15,30', 'cooldownPeriod=30,120,300,600', '--slo-p95', '60',
    ]);
    await page.goto(pathToFileURL(file).href);
    const charts = await layout(page);
    expect(charts.map((c) => c.name)).toEqual(['frontier', 'burst-0', 'burst-1', 'wait-over-time', 'workers-over-time']);
    checkCharts(charts);
    // Axes fitted to the data: the points and their interval bars span most of the plot (the
    // axes are padded by 8 % on each side), not one corner of an axis from zero.
    const frontier = charts[0] as ChartLayout;
    const xs = frontier.points.map((p) => p.x);
    const ys = frontier.points.map((p) => p.y);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(frontier.plot.w * 0.8);
    expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(frontier.plot.h * 0.8);
    // Each of the 16 configurations (the current one among them) has its point and its interval bars.
    expect(frontier.points.filter((p) => p.what === 'point')).toHaveLength(16);
    expect(frontier.points.filter((p) => p.what === 'ci').length).toBeGreaterThan(16);
  }, 120_000);

  it('lays out a run that meets the SLO, a compare run and a single run too', async () => {
    const files = await Promise.all([
      report('meets', ['--scenario', join(SCENARIOS, 'hourly-etl.yaml'), '--replications', '3', '--sweep', 'minReplicaCount=0,4', 'scaleIn=off,drain', '--slo-p95', '80']),
      report('compare', ['--scenario', join(SCENARIOS, 'long-tasks-burst.yaml'), '--replications', '2', '--compare-scale-in']),
      report('single', ['--scenario', join(SCENARIOS, 'steady-poisson.yaml'), '--replications', '2']),
    ]);
    for (const file of files) {
      await page.goto(pathToFileURL(file).href);
      checkCharts(await layout(page));
    }
    const [meets] = files;
    await page.goto(pathToFileURL(meets).href);
    expect(await page.textContent('.verdict')).toMatch(/Set #\d+\./);
    expect(await page.textContent('.verdict pre')).toContain('pollingInterval:');
  }, 120_000);
});
