import { round } from '../model/metrics.js';
import type { Estimate } from '../model/statistics.js';

/*
 * Numbers as people read them: rounded to what the model can tell apart, with units, and a 95 %
 * confidence interval as ± its half-width.
 */

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function int(value: number): string {
  return INT.format(Math.round(value));
}

/** Significant digits that suit the size: 0.42, 4.2, 42, 420. */
export function num(value: number): string {
  const a = Math.abs(value);
  if (a === 0) return '0';
  if (Number.isInteger(value)) return INT.format(value);
  if (a >= 100) return INT.format(Math.round(value));
  if (a >= 10) return value.toFixed(1);
  if (a >= 1) return value.toFixed(1);
  return value.toFixed(2);
}

/** A duration: seconds below two minutes, then minutes, then hours. */
export function duration(seconds: number): string {
  if (seconds < 120) return `${num(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/** Decimals that suit a figure of this size: 2 below 1, 1 below 100, none above. */
function decimalsFor(value: number): number {
  const a = Math.abs(value);
  return a >= 100 ? 0 : a >= 1 || a === 0 ? 1 : 2;
}

/** `mean ±half`, both to the mean's precision; only the mean with one replication. */
export function withCi(e: Estimate): string {
  const half = (e.high - e.low) / 2;
  const decimals = decimalsFor(e.mean);
  const fmt = (v: number, d: number): string => (d === 0 ? int(v) : v.toFixed(d));
  if (!(half > 0)) return e.mean === 0 ? '0' : fmt(e.mean, decimals);
  // The half-width keeps one significant digit even when the mean's precision would round it to 0.
  let halfDecimals = decimals;
  while (halfDecimals < 3 && Number(half.toFixed(halfDecimals)) === 0) halfDecimals += 1;
  return `${fmt(e.mean, decimals)} ±${fmt(half, halfDecimals)}`;
}

/** A number the user gave, as they gave it. */
export function given(value: number): string {
  return String(value);
}

export function roundEstimate(e: Estimate, digits: number): Estimate {
  return { mean: round(e.mean, digits), low: round(e.low, digits), high: round(e.high, digits) };
}

/** Left- or right-aligned columns, two spaces apart, trailing spaces trimmed. */
export function table(header: readonly (readonly string[])[], rows: readonly (readonly string[])[], rightAligned: (column: number) => boolean): string[] {
  const all = [...header, ...rows];
  const columns = Math.max(...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all.map((cells) =>
    cells
      .map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
