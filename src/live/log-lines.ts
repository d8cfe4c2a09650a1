import { Writable } from 'node:stream';

/*
 * The demo's terminal shows the service's log lines above its frame in a form a person reads:
 * `14:03:07 WARN  ignoring unknown scalerMetadata keys (a typo?)  keys=["workerconcurrency"]`.
 * The JSON lines a log collector wants are what `serve` and a demo without a terminal print.
 */

const LEVELS: Readonly<Record<string, string>> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR', fatal: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'service', 'msg']);

function value(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'message' in v && typeof v.message === 'string') {
    return JSON.stringify((v as { message: string }).message);
  }
  return typeof v === 'string' && /^[\w./:@-]+$/.test(v) ? v : JSON.stringify(v);
}

/** One pino JSON line as a short human line; anything that is not JSON is passed through. */
export function humanLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry['time'] === 'string' ? entry['time'].slice(11, 19) : '';
  const level = LEVELS[String(entry['level'])] ?? String(entry['level']);
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, v]) => `${key}=${value(v)}`)
    .join(' ');
  const message = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  return `${time} ${level} ${message}${fields === '' ? '' : `  ${fields}`}`;
}

/** A stream for the logger: each complete JSON line, made human, goes to `write`. */
export function humanLogStream(write: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback): void {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') write(humanLogLine(line));
        newline = pending.indexOf('\n');
      }
      callback();
    },
  });
}
