/*
 * Small SVG charts for the report: axes fitted to the data with round ticks, step lines, points
 * with confidence bars, and labels placed where they overlap nothing. Every chart marks its plot
 * area (`rect.plot-area`), so a test can check that all data lies inside it.
 */

export const FONT_PX = 11;
/** A generous estimate of a character's width at FONT_PX in the report's font (DejaVu Sans / system sans). */
const CHAR_PX = 7;

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** The box a one-line label takes, anchored at its start and baseline. */
function textBox(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end' = 'start'): Box {
  const w = text.length * CHAR_PX + 2;
  const left = anchor === 'start' ? x : anchor === 'middle' ? x - w / 2 : x - w;
  return { x: left, y: y - FONT_PX, w, h: FONT_PX + 3 };
}

/** Round tick values (1, 2, 2.5 or 5 × 10^k apart) covering [lo, hi], about `count` of them. */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks for a time axis in seconds: steps of round clock lengths (10 s … 1 d), about `count` of them. */
export function timeTicks(lo: number, hi: number, count = 6): number[] {
  const steps = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];
  const step = steps.find((s) => (hi - lo) / s <= count) ?? 604_800;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out;
}

/** An axis range fitted to the values, padded by 8 % of their span (or ±1 when they are all equal). */
export function fitRange(values: readonly number[], include: readonly number[] = []): [number, number] {
  const all = [...values, ...include].filter((v) => Number.isFinite(v));
  if (all.length === 0) return [0, 1];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) return [lo - Math.max(1, Math.abs(lo) * 0.1), hi + Math.max(1, Math.abs(hi) * 0.1)];
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  // Counts and durations start at zero when zero is near: no axis from -3 for a queue length.
  if (Math.min(...all) >= 0 && lo < 0) lo = 0;
  return [lo, hi];
}

export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export class Chart {
  readonly parts: string[] = [];
  /** Boxes taken by text so far, so later labels avoid them. */
  readonly taken: Box[] = [];
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;

  constructor(
    readonly frame: Frame,
    readonly xRange: [number, number],
    readonly yRange: [number, number],
  ) {
    this.x0 = frame.left;
    this.x1 = frame.width - frame.right;
    this.y0 = frame.top;
    this.y1 = frame.height - frame.bottom;
  }

  x(v: number): number {
    const [lo, hi] = this.xRange;
    return this.x0 + ((v - lo) / (hi - lo || 1)) * (this.x1 - this.x0);
  }

  y(v: number): number {
    const [lo, hi] = this.yRange;
    return this.y1 - ((v - lo) / (hi - lo || 1)) * (this.y1 - this.y0);
  }

  /**
   * Places a text if its box overlaps no text placed before and fits in the chart; returns
   * whether it did.
   */
  text(x: number, y: number, content: string, cls: string, anchor: 'start' | 'middle' | 'end' = 'start', extra = ''): boolean {
    const box = textBox(x, y, content, anchor);
    if (box.x < 0 || box.x + box.w > this.frame.width || box.y < 0 || box.y + box.h > this.frame.height) return false;
    if (this.taken.some((b) => overlaps(b, box))) return false;
    this.taken.push(box);
    this.parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" class="${cls}"${extra}>${esc(content)}</text>`);
    return true;
  }

  /** Grid, tick labels and axis titles; tick labels that would collide are left out. */
  axes(xTitle: string, yTitle: string, formatX: (v: number) => string, formatY: (v: number) => string, xTicks?: readonly number[]): void {
    const { x0, x1, y0, y1 } = this;
    this.parts.push(`<rect class="plot-area" x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}"/>`);
    for (const t of niceTicks(this.yRange[0], this.yRange[1])) {
      const y = this.y(t);
      this.parts.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`);
      this.text(x0 - 6, y + 4, formatY(t), 'tick', 'end');
    }
    for (const t of xTicks ?? niceTicks(this.xRange[0], this.xRange[1])) {
      const x = this.x(t);
      this.parts.push(`<line class="grid" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y0}" y2="${y1}"/>`);
      this.text(x, y1 + 15, formatX(t), 'tick', 'middle');
    }
    this.text(x1, this.frame.height - 3, xTitle, 'axis-title', 'end');
    this.text(4, y0 - 6, yTitle, 'axis-title', 'start');
  }

  /** A step line through (xs[i], ys[i]), each value holding until the next x. */
  step(xs: readonly number[], ys: readonly number[], color: string, dash = ''): void {
    let d = '';
    for (let i = 0; i < xs.length; i++) {
      const x = this.x(xs[i] as number).toFixed(1);
      const y = this.y(ys[i] as number).toFixed(1);
      d += i === 0 ? `M${x},${y}` : `H${x}V${y}`;
    }
    if (d === '') return;
    this.parts.push(`<path class="series" d="${d}" stroke="${color}" fill="none" stroke-width="1.6"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`);
  }

  /** A line through the points (for values measured per interval). */
  line(xs: readonly number[], ys: readonly number[], color: string): void {
    const d = xs.map((x, i) => `${i === 0 ? 'M' : 'L'}${this.x(x).toFixed(1)},${this.y(ys[i] as number).toFixed(1)}`).join('');
    if (d !== '') this.parts.push(`<path class="series" d="${d}" stroke="${color}" fill="none" stroke-width="1.6"/>`);
  }

  /**
   * Labels a point (x, y in pixels) at the first free place around it: right, left, above,
   * below, then the diagonals. A label with no free place is left out (the table has it).
   */
  pointLabel(px: number, py: number, content: string, avoid: readonly Box[]): boolean {
    const w = textBox(0, 0, content).w;
    const candidates: [number, number][] = [
      [px + 7, py + 4], [px - 7 - w, py + 4], [px - w / 2, py - 8], [px - w / 2, py + FONT_PX + 7],
      [px + 6, py - 7], [px - 6 - w, py - 7], [px + 6, py + FONT_PX + 5], [px - 6 - w, py + FONT_PX + 5],
    ];
    for (const [x, y] of candidates) {
      const box = textBox(x, y, content);
      const inside = box.x >= this.x0 && box.x + box.w <= this.x1 && box.y >= this.y0 && box.y + box.h <= this.y1;
      if (!inside || avoid.some((b) => overlaps(b, box))) continue;
      if (this.text(x, y, content, 'point-label')) return true;
    }
    return false;
  }

  svg(label: string, name: string): string {
    const { width, height } = this.frame;
    return `<svg class="chart" data-chart="${esc(name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(label)}">${this.parts.join('')}</svg>`;
  }
}

export function legend(entries: readonly (readonly [string, string, string?])[]): string {
  return `<div class="legend">${entries
    .map(([name, color, dash]) => `<span><i style="border-top:2px ${dash === undefined ? 'solid' : 'dashed'} ${color}"></i>${esc(name)}</span>`)
    .join('')}</div>`;
}
