import type { Rng } from './random.js';
import { exponential, standardNormal } from './random.js';

/** A non-negative duration distribution, in seconds. */
export type Distribution =
  | { readonly distribution: 'fixed'; readonly seconds: number }
  | { readonly distribution: 'exponential'; readonly mean: number }
  /** ln(X) ~ Normal(ln(median), sigma²). */
  | { readonly distribution: 'lognormal'; readonly median: number; readonly sigma: number };

export function fixed(seconds: number): Distribution {
  return { distribution: 'fixed', seconds };
}

export function sample(dist: Distribution, rng: Rng): number {
  switch (dist.distribution) {
    case 'fixed':
      return dist.seconds;
    case 'exponential':
      return exponential(rng, dist.mean);
    case 'lognormal':
      return dist.median * Math.exp(dist.sigma * standardNormal(rng));
  }
}

export function meanOf(dist: Distribution): number {
  switch (dist.distribution) {
    case 'fixed':
      return dist.seconds;
    case 'exponential':
      return dist.mean;
    case 'lognormal':
      return dist.median * Math.exp((dist.sigma * dist.sigma) / 2);
  }
}

export function describeDistribution(dist: Distribution): string {
  switch (dist.distribution) {
    case 'fixed':
      return `${dist.seconds}s`;
    case 'exponential':
      return `exp(mean ${dist.mean}s)`;
    case 'lognormal':
      return `lognormal(median ${dist.median}s, sigma ${dist.sigma})`;
  }
}
