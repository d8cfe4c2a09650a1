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

  /** Real milliseconds for a span of virtual seconds. */
  realMs(virtualSeconds: number): number {
    return (virtualSeconds * 1000) / this.speed;
  }
}
