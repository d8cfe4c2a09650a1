import { didYouMean } from './suggest.js';

/**
 * The one validation kit for everything a person or a client writes: the configuration file and
 * environment, KEDA's scalerMetadata, and simulator scenarios. It collects every problem (a
 * problem names the key, shows the value cut short or hidden, and says what is required) instead
 * of stopping at the first, so one run lists all there is to fix.
 */
export type Path = readonly (string | number)[];

/** Values are cut to this many characters in messages: a 1 MB value must not become a 1 MB error. */
export const SHOWN_VALUE_LIMIT = 80;

/** A value as a message shows it: JSON, cut to SHOWN_VALUE_LIMIT characters. */
export function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > SHOWN_VALUE_LIMIT ? `${value.slice(0, SHOWN_VALUE_LIMIT)}…` : value);
  }
  let text: string;
  try {
    // JSON.stringify answers undefined for functions and symbols, whatever its type says.
    const json = JSON.stringify(value) as string | undefined;
    text = json ?? Object.prototype.toString.call(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > SHOWN_VALUE_LIMIT ? `${text.slice(0, SHOWN_VALUE_LIMIT)}…` : text;
}

/** A key path as `a.b[2].c`. */
export function joinPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

export interface ValidatorOptions {
  /** How a path is named in a message (e.g. with the environment variable it came from). */
  readonly label?: (path: Path) => string;
  /** Paths whose values are secrets: shown as `(not shown)`, whatever they hold. */
  readonly isSecret?: (path: Path) => boolean;
  /** How label, shown value and requirement become one message. */
  readonly format?: (label: string, shown: string, requirement: string) => string;
}

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly integer?: boolean;
}

export interface ListLimits {
  readonly maxItems: number;
  readonly maxItemLength: number;
}

const DECIMAL_INTEGER = /^(0|[1-9][0-9]*)$/;
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds of a duration written with a unit (250ms, 90s, 5m, 1.5h, 2d); undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  return match === null ? undefined : Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}

function describeRange(range: NumberRange): string {
  const low = range.min === undefined ? '' : range.exclusiveMin === true ? `> ${range.min}` : `>= ${range.min}`;
  const high = range.max === undefined ? '' : `<= ${range.max}`;
  if (low !== '' && high !== '' && range.exclusiveMin !== true) return ` from ${range.min} to ${range.max}`;
  return [low, high].filter((part) => part !== '').map((part) => ` ${part}`).join(' and');
}

export class Validator {
  readonly problems: string[] = [];
  private readonly options: ValidatorOptions;

  constructor(options: ValidatorOptions = {}) {
    this.options = options;
  }

  label(path: Path): string {
    return this.options.label?.(path) ?? joinPath(path);
  }

  show(path: Path, value: unknown): string {
    if (value !== undefined && this.options.isSecret?.(path) === true) return '(not shown)';
    return describeValue(value);
  }

  /** A problem with the value at `path`: `label=value requirement`. */
  problem(path: Path, value: unknown, requirement: string): void {
    const format = this.options.format ?? ((label, shown, req) => `${label}=${shown} ${req}`);
    this.problems.push(format(this.label(path), this.show(path, value), requirement));
  }

  /** A problem about `path` that shows no value (a missing key, a pair of keys that clash). */
  note(path: Path, message: string): void {
    this.problems.push(`${this.label(path)} ${message}`);
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** A mapping; keys not in `allowed` are problems (with a "did you mean"). `null` allows any key. */
  mapping(path: Path, value: unknown, allowed: readonly string[] | null): Record<string, unknown> | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problem(path, value, 'must be a mapping');
      return undefined;
    }
    const record = value as Record<string, unknown>;
    if (allowed !== null) {
      for (const key of Object.keys(record)) {
        if (!allowed.includes(key)) this.note([...path, key], `is not a known key${didYouMean(key, allowed)}`);
      }
    }
    return record;
  }

  /** A whole number in range, given as a number or (from the environment or metadata) a decimal string. */
  integer(path: Path, value: unknown, range: IntegerRange): number | undefined {
    if (value === undefined) return undefined;
    const number = typeof value === 'string' ? (DECIMAL_INTEGER.test(value) ? Number(value) : Number.NaN) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) {
      this.problem(path, value, `must be a whole number${describeRange(range)}`);
      return undefined;
    }
    if (number < range.min || number > range.max) {
      this.problem(path, value, `must be between ${range.min} and ${range.max}`);
      return undefined;
    }
    return number;
  }

  /** A finite number (YAML number, not a string) in range. */
  number(path: Path, value: unknown, range: NumberRange): number | undefined {
    const kind = range.integer === true ? 'whole number' : 'number';
    if (typeof value !== 'number' || !Number.isFinite(value) || (range.integer === true && !Number.isInteger(value))) {
      this.problem(path, value, `must be a ${kind}${describeRange(range)}`);
      return undefined;
    }
    const tooLow = range.min !== undefined && (range.exclusiveMin === true ? value <= range.min : value < range.min);
    if (tooLow || (range.max !== undefined && value > range.max)) {
      this.problem(path, value, `must be a ${kind}${describeRange(range)}`);
      return undefined;
    }
    return value;
  }

  /** Seconds: a number, or a string with a unit (250ms, 90s, 5m, 1.5h, 2d). */
  duration(path: Path, value: unknown, range: NumberRange = { min: 0 }): number | undefined {
    let seconds: number | undefined;
    if (typeof value === 'number') seconds = value;
    else if (typeof value === 'string') seconds = durationSeconds(value);
    if (seconds === undefined || !Number.isFinite(seconds)) {
      this.problem(path, value, `must be a duration in seconds or with a unit (250ms, 90s, 5m, 1.5h, 2d)${describeRange(range)}`);
      return undefined;
    }
    return this.number(path, seconds, range) === undefined ? undefined : seconds;
  }

  /** A non-empty string of at most `maxLength` characters. */
  text(path: Path, value: unknown, maxLength = 4_096): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) {
      this.problem(path, value, 'must be a non-empty string');
      return undefined;
    }
    if (value.length > maxLength) {
      this.problem(path, value, `must be at most ${maxLength} characters (it has ${value.length})`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(path: Path, value: unknown, options: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      this.problem(path, value, `must be one of ${options.join(', ')}${hint}`);
      return undefined;
    }
    return value as T;
  }

  /** `true` / `false`, as booleans or (from metadata and the environment) as strings. */
  boolean(path: Path, value: unknown): boolean | undefined {
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.problem(path, value, 'must be "true" or "false"');
    return undefined;
  }

  /** A comma-separated list of non-empty names, de-duplicated and sorted. */
  list(path: Path, value: unknown, limits: ListLimits): string[] | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problem(path, value, 'must be a comma-separated list');
      return undefined;
    }
    const items = value.split(',').map((item) => item.trim());
    if (items.some((item) => item.length === 0)) {
      this.problem(path, value, 'must be a comma-separated list of non-empty names');
      return undefined;
    }
    if (items.length > limits.maxItems) {
      this.problem(path, value, `has ${items.length} names (at most ${limits.maxItems})`);
      return undefined;
    }
    if (items.some((item) => item.length > limits.maxItemLength)) {
      this.problem(path, value, `has a name longer than ${limits.maxItemLength} characters`);
      return undefined;
    }
    return [...new Set(items)].sort();
  }
}

/** Deep-freezes a parsed value, so nothing downstream can change what was validated. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
