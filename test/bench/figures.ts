/** One measured figure; `baseline` and `ratio` are set where a comparison ran in the same run. */
export interface Figure {
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  /** baseline / value for costs (higher is better for us), value / baseline for throughputs. */
  readonly ratio?: number;
  readonly goal?: string;
  readonly note?: string;
}

export type Figures = Record<string, Figure>;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): { p50: number; p99: number; mean: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, max: sorted[sorted.length - 1] ?? Number.NaN };
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function cell(value: number | undefined): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(round(value));
}

export function markdownTable(figures: Figures): string {
  const lines = ['| figure | value | unit | baseline | ratio | goal | note |', '| --- | ---: | --- | ---: | ---: | --- | --- |'];
  for (const [name, f] of Object.entries(figures)) {
    lines.push(`| ${name} | ${cell(f.value)} | ${f.unit} | ${cell(f.baseline)} | ${f.ratio === undefined ? '' : `${cell(f.ratio)}×`} | ${f.goal ?? ''} | ${f.note ?? ''} |`);
  }
  return lines.join('\n');
}
