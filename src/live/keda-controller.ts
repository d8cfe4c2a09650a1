import type { Client, ClientReadableStream } from '@grpc/grpc-js';

import type { GetMetricSpecResponse, GetMetricsResponse, IsActiveResponse, ScaledObjectRef } from '../grpc/messages.js';
import { unaryCall } from '../grpc/unary-call.js';
import type { HpaBehavior } from '../sim/config.js';
import { HorizontalPodAutoscaler } from '../sim/hpa.js';
import type { VirtualClock } from './virtual-clock.js';

export interface ScaledObjectSettings {
  readonly metadata: Record<string, string>;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
  readonly push: boolean;
  readonly hpaSyncPeriodSeconds: number;
  readonly hpaTolerance: number;
  readonly hpaBehavior: HpaBehavior | null;
}

export interface KedaState {
  readonly replicas: number;
  readonly lastMetric: number | null;
  readonly active: boolean;
  readonly errors: number;
}

/**
 * Plays KEDA and the HPA against the real gRPC service, over one connection as KEDA does: every
 * pollingInterval GetMetricSpec → GetMetrics → IsActive (activation 0 → max(min, 1), scale to 0
 * after cooldownPeriod), StreamIsActive for external-push, and an HPA sync every 15 s that reads
 * GetMetrics afresh (notes/keda.md §2–3). Errors change nothing, as with KEDA.
 */
export class KedaController {
  private replicas = 0;
  private lastMetric: number | null = null;
  private lastActiveAt: number | null = null;
  private active = false;
  private errors = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private stream: ClientReadableStream<IsActiveResponse> | undefined;
  private readonly hpa: HorizontalPodAutoscaler;
  private readonly ref: ScaledObjectRef;

  constructor(
    private readonly client: Client,
    private readonly settings: ScaledObjectSettings,
    private readonly clock: VirtualClock,
    private readonly readyReplicas: () => number,
    private readonly apply: (replicas: number) => void,
  ) {
    this.hpa = new HorizontalPodAutoscaler({
      minReplicas: Math.max(1, settings.minReplicaCount),
      maxReplicas: settings.maxReplicaCount,
      tolerance: settings.hpaTolerance,
      behavior: settings.hpaBehavior,
    });
    this.ref = { name: 'airflow-worker', namespace: 'airflow', scalerMetadata: { scalerAddress: 'demo', ...settings.metadata } };
  }

  state(): KedaState {
    return { replicas: this.replicas, lastMetric: this.lastMetric, active: this.active, errors: this.errors };
  }

  start(): void {
    this.setReplicas(this.settings.minReplicaCount);
    void this.poll();
    this.timers.push(setInterval(() => void this.poll(), this.clock.realMs(this.settings.pollingInterval)));
    this.timers.push(setInterval(() => void this.hpaSync(), this.clock.realMs(this.settings.hpaSyncPeriodSeconds)));
    if (this.settings.push) this.openStream();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.stream?.cancel();
  }

  private call<Res>(method: string, request: unknown): Promise<Res> {
    // KEDA's metrics adapter allows 3 s for a request (notes/keda.md §2.6).
    return unaryCall<Res>(this.client, method, request, 3_000);
  }

  private async readMetric(): Promise<number> {
    const spec = await this.call<GetMetricSpecResponse>('GetMetricSpec', this.ref);
    const metrics = await this.call<GetMetricsResponse>('GetMetrics', {
      scaledObjectRef: this.ref,
      metricName: spec.metricSpecs[0]?.metricName ?? '',
    });
    const value = metrics.metricValues[0]?.metricValueFloat ?? 0;
    this.lastMetric = value;
    return value;
  }

  private setReplicas(replicas: number): void {
    if (replicas === this.replicas) return;
    this.replicas = replicas;
    this.apply(replicas);
  }

  private activate(): void {
    this.lastActiveAt = this.clock.now();
    if (this.replicas === 0) this.setReplicas(Math.max(this.settings.minReplicaCount, 1));
  }

  private async poll(): Promise<void> {
    try {
      await this.readMetric();
      const { result } = await this.call<IsActiveResponse>('IsActive', this.ref);
      this.active = result;
      if (result) this.activate();
      else if (
        this.replicas > 0 &&
        this.settings.minReplicaCount === 0 &&
        (this.lastActiveAt === null || this.clock.now() - this.lastActiveAt >= this.settings.cooldownPeriod)
      ) {
        this.setReplicas(0);
      }
    } catch {
      this.errors += 1;
    }
  }

  private async hpaSync(): Promise<void> {
    // At 0 replicas the HPA reads nothing; KEDA alone activates.
    if (this.replicas === 0) return;
    try {
      const value = await this.readMetric();
      const desired = this.hpa.sync(this.clock.now(), this.replicas, this.readyReplicas(), 1, () => value);
      if (desired !== null) this.setReplicas(desired);
    } catch {
      this.errors += 1;
    }
  }

  private openStream(): void {
    const method = (this.client as unknown as Record<string, (ref: ScaledObjectRef) => ClientReadableStream<IsActiveResponse>>)['StreamIsActive'];
    if (method === undefined) return;
    const stream = method.call(this.client, this.ref);
    this.stream = stream;
    stream.on('data', (message: IsActiveResponse) => {
      if (!message.result) return;
      this.active = true;
      this.activate();
    });
    stream.on('error', () => {
      this.errors += 1;
    });
  }
}
