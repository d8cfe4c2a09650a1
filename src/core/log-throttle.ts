/** What a throttled warning reports: up to `maxExamples` distinct items and how many it left out. */
export interface ThrottledSummary<T> {
  readonly examples: readonly T[];
  /** Occurrences of items other than the examples since the last summary. */
  readonly more: number;
  /** Every occurrence since the last summary, repeats included. */
  readonly occurrences: number;
}

/**
 * Turns a warning any client can trigger at will (an unknown metadata key, a worker set over the
 * limit) into at most one log line per `intervalMs`, naming a few examples: the log cannot be
 * grown without bound, and the first occurrence is still said at once. Memory is bounded too:
 * only `maxExamples` items are kept between summaries. The clock is passed in.
 */
export class LogThrottle<T> {
  private readonly examples: T[] = [];
  private more = 0;
  private occurrences = 0;
  private lastSummaryMs: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly maxExamples = 10,
    private readonly same: (a: T, b: T) => boolean = (a, b) => a === b,
  ) {}

  /** Records one occurrence; returns a summary when one is due now. */
  add(item: T, nowMs: number): ThrottledSummary<T> | undefined {
    this.occurrences += 1;
    if (!this.examples.some((seen) => this.same(seen, item))) {
      if (this.examples.length < this.maxExamples) this.examples.push(item);
      else this.more += 1;
    }
    return this.flush(nowMs);
  }

  /** The pending summary if the interval since the last one has passed (call it from a timer too). */
  flush(nowMs: number): ThrottledSummary<T> | undefined {
    if (this.occurrences === 0) return undefined;
    if (this.lastSummaryMs !== undefined && nowMs - this.lastSummaryMs < this.intervalMs) return undefined;
    const summary = { examples: [...this.examples], more: this.more, occurrences: this.occurrences };
    this.examples.length = 0;
    this.more = 0;
    this.occurrences = 0;
    this.lastSummaryMs = nowMs;
    return summary;
  }
}
