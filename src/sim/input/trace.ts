import { basename } from 'node:path';

import { describeValue } from '../../core/validation.js';
import { SimInputError } from './errors.js';
import { parseIsoTimestamp } from './iso-time.js';
import { TraceRunReader, runColumnIndexes } from './trace-runs.js';
import type { Workload } from '../model/workload.js';
import { NO_RUN, WorkloadBuilder } from '../model/workload.js';

/**
 * Trace CSV: a header row naming at least `queue`, `queued_at` and `duration_seconds` (any order,
 * case-insensitive), optionally the run columns `dag_id,run_id,run_type,run_after` together
 * (trace-runs.ts); other columns are ignored. `queued_at` and `run_after` are ISO-8601 (no
 * offset = UTC) or epoch seconds; `duration_seconds` is how long the task ran. RFC 4180 quoting
 * is understood within a line.
 */
const TRACE_COLUMNS = ['queue', 'queued_at', 'duration_seconds'] as const;

const MAX_REPORTED_PROBLEMS = 20;
const EPOCH_SECONDS = /^-?[0-9]+(\.[0-9]+)?$/;

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 1;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

let cachedDay = '';
let cachedDayMs = 0;

/**
 * The common case, `YYYY-MM-DDTHH:MM:SS[.fff…]Z` as export-trace writes it, without regular
 * expressions and with the day cached: a million rows parse in a fraction of the general path's
 * time. Same result as parseIsoTimestamp (fractions truncated to milliseconds); NaN when the
 * text has another form, which then takes the general path.
 */
function parseCanonicalUtc(v: string): number {
  const n = v.length;
  if (n < 20 || v.charCodeAt(n - 1) !== 90 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84) return Number.NaN;
  if (v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return Number.NaN;
  const day = v.slice(0, 10);
  if (day !== cachedDay) {
    const ms = parseIsoTimestamp(day);
    if (Number.isNaN(ms)) return Number.NaN;
    cachedDay = day;
    cachedDayMs = ms;
  }
  const hh = twoDigits(v, 11);
  const mm = twoDigits(v, 14);
  const ss = twoDigits(v, 17);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return Number.NaN;
  let ms = 0;
  if (n > 20) {
    if (v.charCodeAt(19) !== 46 || n === 21) return Number.NaN;
    let scale = 100;
    for (let i = 20; i < n - 1; i++) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return Number.NaN;
      ms += d * scale;
      scale /= 10;
    }
    ms = Math.floor(ms);
  }
  return cachedDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
}

/** Epoch milliseconds of a `queued_at` value, or NaN. */
export function parseQueuedAt(text: string): number {
  const value = text.trim();
  const fast = parseCanonicalUtc(value);
  if (!Number.isNaN(fast)) return fast;
  if (EPOCH_SECONDS.test(value)) return Number(value) * 1000;
  return parseIsoTimestamp(value);
}

/** Parses a trace; every problem names the file, the line, the column and the value. */
export function parseTraceCsv(text: string, file: string): Workload {
  const name = basename(file);
  const problems: string[] = [];
  let more = 0;
  const problem = (message: string): void => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(message);
    else more += 1;
  };

  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
    pos = end + 1;
    lineNo += 1;
    return line;
  };

  const header = nextLine();
  if (header === null || header.trim() === '') throw new SimInputError([`${name}:1: empty file; expected a header row with ${TRACE_COLUMNS.join(',')}`]);
  const columns = splitCsvLine(header).map((c) => c.trim().toLowerCase());
  const index: Record<string, number> = {};
  for (const column of TRACE_COLUMNS) {
    const found = columns.indexOf(column);
    if (found < 0) problem(`${name}:1: header lacks column "${column}" (found: ${columns.join(',')})`);
    else if (columns.indexOf(column, found + 1) >= 0) problem(`${name}:1: header has column "${column}" twice`);
    index[column] = found;
  }
  const runColumns = runColumnIndexes(columns, name, problem);
  if (problems.length > 0) throw new SimInputError(problems);
  const qi = index['queue'] as number;
  const ti = index['queued_at'] as number;
  const di = index['duration_seconds'] as number;
  const needed = Math.max(qi, ti, di, ...(runColumns === null ? [] : [runColumns.dagId, runColumns.runId, runColumns.runType, runColumns.runAfter])) + 1;

  const builder = new WorkloadBuilder(Math.max(1024, Math.floor(text.length / 48)));
  const runs = runColumns === null ? null : new TraceRunReader(builder, runColumns, parseQueuedAt, name);
  let minEpochSeconds = Number.POSITIVE_INFINITY;
  for (let line = nextLine(); line !== null; line = nextLine()) {
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (fields.length < needed) {
      problem(`${name}:${lineNo}: has ${fields.length} fields, the header has ${columns.length}`);
      continue;
    }
    const queue = (fields[qi] as string).trim();
    const queuedRaw = fields[ti] as string;
    const durationRaw = (fields[di] as string).trim();
    const queuedMs = parseQueuedAt(queuedRaw);
    const duration = durationRaw === '' ? Number.NaN : Number(durationRaw);
    let ok = true;
    if (queue === '') {
      problem(`${name}:${lineNo}: queue=${describeValue(fields[qi])} must not be empty`);
      ok = false;
    }
    if (Number.isNaN(queuedMs)) {
      problem(`${name}:${lineNo}: queued_at=${describeValue(queuedRaw)} is neither ISO-8601 nor epoch seconds`);
      ok = false;
    }
    if (!Number.isFinite(duration) || duration < 0) {
      problem(`${name}:${lineNo}: duration_seconds=${describeValue(fields[di])} must be a number >= 0`);
      ok = false;
    }
    const run = runs === null ? NO_RUN : runs.read(fields, lineNo, problem);
    if (!ok || run === null) continue;
    const queueId = builder.queueId(queue);
    if (queueId < 0) {
      problem(`${name}:${lineNo}: queue=${describeValue(queue)} is one queue too many (at most 65535 distinct queues)`);
      continue;
    }
    const seconds = queuedMs / 1000;
    if (seconds < minEpochSeconds) minEpochSeconds = seconds;
    builder.add(queueId, seconds, duration, run);
  }
  if (more > 0) problems.push(`… and ${more} more problems`);
  if (problems.length > 0) throw new SimInputError(problems);
  if (builder.length === 0) throw new SimInputError([`${name}: no tasks after the header`]);
  // t = 0 at the whole minute before the first task, so hourly bursts keep their phase.
  const origin = Math.floor(minEpochSeconds / 60) * 60;
  return builder.build({ name, source: 'trace', startEpochMs: origin * 1000 }, origin);
}

/** One row of an exported trace. */
export interface TraceRow {
  readonly queue: string;
  readonly queuedAtMs: number;
  readonly durationSeconds: number;
  readonly extra: readonly (string | number)[];
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function traceHeader(extraColumns: readonly string[]): string {
  return [...TRACE_COLUMNS, ...extraColumns].join(',');
}

export function formatTraceRow(row: TraceRow): string {
  return [
    csvField(row.queue),
    new Date(row.queuedAtMs).toISOString(),
    String(Math.round(row.durationSeconds * 1000) / 1000),
    ...row.extra.map(csvField),
  ].join(',');
}
