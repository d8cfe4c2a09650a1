import type { Path } from '../../core/validation.js';
import { Validator, joinPath } from '../../core/validation.js';
import type { Distribution } from '../model/distribution.js';

export type { Path } from '../../core/validation.js';

/**
 * A scenario file's validator: core's validation kit (every problem collected, with its key path
 * and the value cut short), with the file named in each problem, plus what only scenarios have.
 */
export class ScenarioReader extends Validator {
  constructor(readonly file: string) {
    super({
      label: (path) => (path.length === 0 ? `${file}:` : `${file}: ${joinPath(path)}`),
      format: (label, shown, requirement) => `${label.endsWith(':') ? label : `${label}:`} ${shown} ${requirement}`,
    });
  }

  /** A mapping that must be there: missing is a problem too. */
  required(path: Path, value: unknown, allowed: readonly string[] | null): Record<string, unknown> | undefined {
    if (value === undefined) {
      this.problem(path, value, 'must be a mapping');
      return undefined;
    }
    return this.mapping(path, value, allowed);
  }

  /** fixed (a plain number or duration string), exponential or lognormal. */
  distribution(path: Path, value: unknown): Distribution | undefined {
    if (typeof value === 'number' || typeof value === 'string') {
      const seconds = this.duration(path, value);
      return seconds === undefined ? undefined : { distribution: 'fixed', seconds };
    }
    const record = this.required(path, value, ['distribution', 'seconds', 'mean', 'median', 'sigma']);
    if (record === undefined) return undefined;
    const kind = this.oneOf([...path, 'distribution'], record['distribution'] ?? '', ['fixed', 'exponential', 'lognormal'] as const);
    if (kind === undefined) return undefined;
    const parameters: Record<typeof kind, readonly string[]> = { fixed: ['seconds'], exponential: ['mean'], lognormal: ['median', 'sigma'] };
    for (const key of Object.keys(record)) {
      if (key !== 'distribution' && !parameters[kind].includes(key)) {
        this.note([...path, key], `is not a parameter of a ${kind} distribution (expected: ${parameters[kind].join(', ')})`);
      }
    }
    const positive = { min: 0, exclusiveMin: true };
    if (kind === 'fixed') {
      const seconds = this.duration([...path, 'seconds'], record['seconds']);
      return seconds === undefined ? undefined : { distribution: 'fixed', seconds };
    }
    if (kind === 'exponential') {
      const mean = this.duration([...path, 'mean'], record['mean'], positive);
      return mean === undefined ? undefined : { distribution: 'exponential', mean };
    }
    const median = this.duration([...path, 'median'], record['median'], positive);
    const sigma = this.number([...path, 'sigma'], record['sigma'], { min: 0, max: 10 });
    return median === undefined || sigma === undefined ? undefined : { distribution: 'lognormal', median, sigma };
  }
}
