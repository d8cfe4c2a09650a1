/**
 * Seeded pseudo-random numbers for the simulator: xoshiro128** seeded through splitmix32. Model
 * code never calls Math.random(); every run gets its generators from a seed, so the same seed
 * gives the same run on any machine (only 32-bit integer arithmetic and IEEE doubles).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    const mix = splitmix32((Math.imul(seed >>> 0, 0x2545f491) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A generator for one independent stream of one seed. Streams keep parts of the model apart:
 * adding an arrival process does not change the pod start times drawn for the same seed.
 */
export function createRng(seed: number, stream: number): Rng {
  return new Xoshiro128(seed, stream);
}

/** Exponential with the given mean; 1 - u is in (0, 1], so the logarithm is finite. */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/** Standard normal (Box–Muller). */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Stream numbers, one per use, so they never collide. */
export const Stream = {
  pods: 1,
  scaleIn: 2,
  phase: 3,
  nodes: 4,
  replications: 5,
  /** Arrival process i of the workload uses ARRIVALS_BASE + i. */
  arrivalsBase: 1000,
} as const;

/**
 * The seed of replication `r` of a run seeded `seed`: replication 0 is the seed itself (so one
 * replication is the plain run), the others independent draws from a stream of their own. Every
 * configuration gets the same replication seeds, so configurations are compared on the same
 * workloads and random streams (common random numbers).
 */
export function replicationSeed(seed: number, r: number): number {
  if (r === 0) return seed >>> 0;
  return createRng((seed ^ Math.imul(r, 0x9e3779b9)) >>> 0, Stream.replications).nextUint32();
}
