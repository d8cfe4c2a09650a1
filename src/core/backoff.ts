/**
 * Delay before retry number `attempt` (1-based) after failed reads: exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" so several scaler replicas do not retry in lockstep
 * against a recovering PgBouncer. `random` is a value in [0, 1) supplied by the caller.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** Time to wait after a successful tick so ticks start `intervalMs` apart and never overlap. */
export function nextTickDelayMs(intervalMs: number, tookMs: number): number {
  return Math.max(0, intervalMs - tookMs);
}
