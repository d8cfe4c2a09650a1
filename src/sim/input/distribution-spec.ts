import type { NumberRange, Path, Validator } from '../../core/validation.js';
import type { Distribution } from '../model/distribution.js';

const PLAIN_NUMBER = /^-?[0-9]+(?:\.[0-9]+)?$/;

/**
 * Seconds as the command line gives them: a plain number, or a duration with a unit (250ms, 90s,
 * 5m, 1.5h, 2d). Problems go to `v` under `path`, with the range.
 */
export function parseSeconds(v: Validator, path: Path, value: unknown, range: NumberRange): number | undefined {
  if (typeof value === 'string' && PLAIN_NUMBER.test(value.trim())) return v.duration(path, Number(value), range);
  return v.duration(path, value, range);
}

/** Largest duration a distribution parameter takes on the command line: one day. */
const MAX_SECONDS = 86_400;

export const DISTRIBUTION_SPEC_HELP = 'SECONDS, fixed:SECONDS, exponential:mean=SECONDS or lognormal:median=SECONDS:sigma=N';

/**
 * A duration distribution as the command line writes it, with `:` between parts so it also fits
 * in a comma-separated `--sweep` list: `40`, `40s`, `fixed:40s`, `exponential:mean=30s`,
 * `lognormal:median=40s:sigma=0.3`. Durations take the scenario's units (250ms, 90s, 5m, 1.5h).
 * Problems go to `v` under `path`.
 */
export function parseDistributionSpec(v: Validator, path: Path, text: string): Distribution | undefined {
  const parts = text.trim().split(':');
  const kind = parts[0] ?? '';
  const seconds = (value: unknown, exclusiveMin: boolean): number | undefined =>
    parseSeconds(v, path, value, { min: 0, max: MAX_SECONDS, ...(exclusiveMin ? { exclusiveMin } : {}) });
  if (parts.length === 1) {
    const value = seconds(kind, false);
    return value === undefined ? undefined : { distribution: 'fixed', seconds: value };
  }
  const params = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (kind === 'fixed' && parts.length === 2) params.set('seconds', part);
      else {
        v.problem(path, text, `has ${JSON.stringify(part)} where a name=value is expected (${DISTRIBUTION_SPEC_HELP})`);
        return undefined;
      }
    } else params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const expected: Record<string, readonly string[]> = { fixed: ['seconds'], exponential: ['mean'], lognormal: ['median', 'sigma'] };
  const names = expected[kind];
  if (names === undefined) {
    v.problem(path, text, `must be ${DISTRIBUTION_SPEC_HELP}`);
    return undefined;
  }
  const unknown = [...params.keys()].filter((name) => !names.includes(name));
  const missing = names.filter((name) => !params.has(name));
  if (unknown.length > 0 || missing.length > 0) {
    v.problem(path, text, `must give ${names.join(' and ')} for a ${kind} distribution (${DISTRIBUTION_SPEC_HELP})`);
    return undefined;
  }
  if (kind === 'fixed') {
    const value = seconds(params.get('seconds'), false);
    return value === undefined ? undefined : { distribution: 'fixed', seconds: value };
  }
  if (kind === 'exponential') {
    const mean = seconds(params.get('mean'), true);
    return mean === undefined ? undefined : { distribution: 'exponential', mean };
  }
  const median = seconds(params.get('median'), true);
  const sigmaText = params.get('sigma') ?? '';
  const sigma = v.number(path, sigmaText.trim() === '' ? Number.NaN : Number(sigmaText), { min: 0, max: 10 });
  return median === undefined || sigma === undefined ? undefined : { distribution: 'lognormal', median, sigma };
}

/** The distribution as `parseDistributionSpec` reads it back. */
export function formatDistributionSpec(dist: Distribution): string {
  switch (dist.distribution) {
    case 'fixed':
      return `${dist.seconds}s`;
    case 'exponential':
      return `exponential:mean=${dist.mean}s`;
    case 'lognormal':
      return `lognormal:median=${dist.median}s:sigma=${dist.sigma}`;
  }
}
