import type { ScalerClient } from '../support/grpc-client.js';

/**
 * What KEDA does to an external scaler for each ScaledObject (kedacore/keda `pkg/scalers/external_scaler.go`,
 * called from the scale loop and the metrics adapter): on every
 * operator poll and on every HPA metrics request it calls GetMetricSpec, then GetMetrics, then
 * IsActive, in sequence, all over one shared connection.
 */
export class KedaEmulator {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  calls = 0;
  errors = 0;

  constructor(
    private readonly client: ScalerClient,
    private readonly scaledObjects: readonly Record<string, string>[],
  ) {}

  private async cycle(metadata: Record<string, string>): Promise<void> {
    try {
      const spec = await this.client.getMetricSpec(metadata);
      await this.client.getMetrics(metadata, spec.metricSpecs[0]?.metricName ?? '');
      await this.client.isActive(metadata);
      this.calls += 3;
    } catch {
      this.errors += 1;
    }
  }

  private fire(metadata: Record<string, string>): void {
    const done = this.cycle(metadata);
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  start(pollMs: number, hpaSyncMs: number): void {
    for (const metadata of this.scaledObjects) {
      this.fire(metadata);
      this.timers.push(setInterval(() => this.fire(metadata), pollMs));
      this.timers.push(setInterval(() => this.fire(metadata), hpaSyncMs));
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.inFlight);
  }
}
