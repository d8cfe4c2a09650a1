/**
 * Estimates over independent replications: the sample mean and a 95 % confidence interval from
 * Student's t distribution with R − 1 degrees of freedom (the replication/deletion method of
 * Law, "Simulation Modeling and Analysis", ch. 9). Each replication's figure (its p95 wait, its
 * worker-hours) is one observation.
 */
export interface Estimate {
  readonly mean: number;
  /** 95 % confidence interval; equal to the mean with one replication. */
  readonly low: number;
  readonly high: number;
}

/**
 * Two-sided 97.5 % quantiles of Student's t for 1–30 degrees of freedom, then 40, 60, 120 and
 * infinity (the normal's 1.959964); between table rows the quantile is interpolated linearly in
 * 1/df, which is exact to about 1e-3 there.
 */
const T975: readonly number[] = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
  2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
  2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
];
const T975_TAIL: readonly (readonly [number, number])[] = [
  [30, 2.042272],
  [40, 2.021075],
  [60, 2.000298],
  [120, 1.979930],
  [Number.POSITIVE_INFINITY, 1.959964],
];

/** The 97.5 % quantile of Student's t with `df` degrees of freedom (df ≥ 1). */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be >= 1, got ${df}`);
  const whole = Math.floor(df);
  if (whole <= 30) return T975[whole - 1] as number;
  for (let i = 1; i < T975_TAIL.length; i++) {
    const [d1, q1] = T975_TAIL[i] as readonly [number, number];
    if (whole <= d1) {
      const [d0, q0] = T975_TAIL[i - 1] as readonly [number, number];
      const x = 1 / whole;
      const x0 = 1 / d0;
      const x1 = d1 === Number.POSITIVE_INFINITY ? 0 : 1 / d1;
      return q0 + ((q1 - q0) * (x - x0)) / (x1 - x0);
    }
  }
  return 1.959964;
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Mean and 95 % confidence interval of one figure over the replications. */
export function estimate(values: readonly number[]): Estimate {
  if (values.length === 0) throw new RangeError('an estimate needs at least one replication');
  const mean = meanOf(values);
  if (values.length === 1) return { mean, low: mean, high: mean };
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  const half = studentT975(values.length - 1) * Math.sqrt(squares / (values.length - 1) / values.length);
  return { mean, low: mean - half, high: mean + half };
}

/**
 * The 95 % confidence interval of the mean difference a − b of two configurations run on the same
 * replications (same workloads, same random streams): common random numbers make the paired
 * difference far tighter than the two intervals apart.
 */
export function pairedDifference(a: readonly number[], b: readonly number[]): Estimate {
  if (a.length !== b.length) throw new RangeError(`paired figures need as many replications on each side (${a.length} and ${b.length})`);
  return estimate(a.map((v, i) => v - (b[i] as number)));
}
