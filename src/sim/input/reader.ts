import type { Distribution } from '../model/distribution.js';
import { show } from './errors.js';

const TIME = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Validates a YAML document, collecting every problem with its key path and value. */
export class Reader {
  readonly problems: string[] = [];

  constructor(readonly where: string) {}

  fail(path: string, value: unknown, requirement: string): void {
    this.problems.push(`${this.where}${path}: ${value === undefined ? 'missing; it' : show(value)} ${requirement}`);
  }

  /** A mapping with only the allowed keys; unknown keys (typos) are problems. */
  object(path: string, value: unknown, allowed: readonly string[]): Record<string, unknown> | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, value, 'must be a mapping');
      return null;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) {
        this.problems.push(`${this.where}${join(path, key)}: unknown key (expected one of: ${allowed.join(', ')})`);
      }
    }
    return record;
  }

  number(path: string, value: unknown, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): number | null {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(path, value, `must be a ${opts.integer === true ? 'whole number' : 'number'}${describeRange(opts)}`);
      return null;
    }
    if (opts.integer === true && !Number.isInteger(value)) {
      this.fail(path, value, `must be a whole number${describeRange(opts)}`);
      return null;
    }
    const tooLow = opts.min !== undefined && (opts.exclusiveMin === true ? value <= opts.min : value < opts.min);
    if (tooLow || (opts.max !== undefined && value > opts.max)) {
      this.fail(path, value, `must be a ${opts.integer === true ? 'whole number' : 'number'}${describeRange(opts)}`);
      return null;
    }
    return value;
  }

  /** Seconds: a number, or a string with a unit (250ms, 90s, 5m, 1.5h, 2d). */
  seconds(path: string, value: unknown, opts: { min?: number; exclusiveMin?: boolean } = { min: 0 }): number | null {
    let seconds: number | null = null;
    if (typeof value === 'number' && Number.isFinite(value)) seconds = value;
    else if (typeof value === 'string') {
      const match = TIME.exec(value.trim());
      if (match !== null) seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
    }
    const min = opts.min ?? 0;
    if (seconds === null || (opts.exclusiveMin === true ? seconds <= min : seconds < min)) {
      this.fail(path, value, `must be a duration ${opts.exclusiveMin === true ? '>' : '>='} ${min} s (seconds, or a string such as 90s, 5m, 1.5h, 2d)`);
      return null;
    }
    return seconds;
  }

  boolean(path: string, value: unknown): boolean | null {
    if (typeof value !== 'boolean') {
      this.fail(path, value, 'must be true or false');
      return null;
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, options: readonly T[]): T | null {
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      this.fail(path, value, `must be one of: ${options.join(', ')}`);
      return null;
    }
    return value as T;
  }

  string(path: string, value: unknown): string | null {
    if (typeof value !== 'string' || value.length === 0) {
      this.fail(path, value, 'must be a non-empty string');
      return null;
    }
    return value;
  }

  /** fixed (a plain number or duration string), exponential or lognormal. */
  distribution(path: string, value: unknown): Distribution | null {
    if (typeof value === 'number' || typeof value === 'string') {
      const seconds = this.seconds(path, value);
      return seconds === null ? null : { distribution: 'fixed', seconds };
    }
    const record = this.object(path, value, ['distribution', 'seconds', 'mean', 'median', 'sigma']);
    if (record === null) return null;
    const kind = this.oneOf(join(path, 'distribution'), record['distribution'], ['fixed', 'exponential', 'lognormal'] as const);
    const allowedByKind: Record<string, readonly string[]> = {
      fixed: ['distribution', 'seconds'],
      exponential: ['distribution', 'mean'],
      lognormal: ['distribution', 'median', 'sigma'],
    };
    if (kind === null) return null;
    for (const key of Object.keys(record)) {
      if (!(allowedByKind[kind] ?? []).includes(key)) {
        this.problems.push(`${this.where}${join(path, key)}: not a parameter of a ${kind} distribution (expected: ${(allowedByKind[kind] ?? []).slice(1).join(', ')})`);
      }
    }
    if (kind === 'fixed') {
      const seconds = this.seconds(join(path, 'seconds'), record['seconds']);
      return seconds === null ? null : { distribution: 'fixed', seconds };
    }
    if (kind === 'exponential') {
      const mean = this.seconds(join(path, 'mean'), record['mean'], { min: 0, exclusiveMin: true });
      return mean === null ? null : { distribution: 'exponential', mean };
    }
    const median = this.seconds(join(path, 'median'), record['median'], { min: 0, exclusiveMin: true });
    const sigma = this.number(join(path, 'sigma'), record['sigma'], { min: 0, max: 10 });
    return median === null || sigma === null ? null : { distribution: 'lognormal', median, sigma };
  }
}

function describeRange(opts: { min?: number; max?: number; exclusiveMin?: boolean }): string {
  const parts: string[] = [];
  if (opts.min !== undefined) parts.push(`${opts.exclusiveMin === true ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

/** A key path: `a.b`, `a[0]`. */
export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}
