/** Virtual seconds since the demo started, running `speed` times faster than the wall clock. */
export class VirtualClock {
  private readonly startedAtMs: number;

  constructor(
    readonly speed: number,
    private readonly wallClockMs: () => number = Date.now,
  ) {
    this.startedAtMs = wallClockMs();
  }

  now(): number {
    return ((this.wallClockMs() - this.startedAtMs) / 1000) * this.speed;
  }

  /** The wall-clock instant (ms since the epoch) of virtual time `virtualSeconds`, past or future. */
  wallMsAt(virtualSeconds: number): number {
    return this.startedAtMs + this.realMs(virtualSeconds);
  }

  /** Real milliseconds for a span of virtual seconds. */
  realMs(virtualSeconds: number): number {
    return (virtualSeconds * 1000) / this.speed;
  }
}
