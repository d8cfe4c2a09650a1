import type { ScaleDecision, ScaledObjectFields, TriggerOutcome } from '../core/keda-operator.js';
import { KedaScaledObject, kedaSettings } from '../core/keda-operator.js';
import type { ScalerEndpoint } from './scaler-endpoint.js';
import type { VirtualClock } from './virtual-clock.js';

/** The demo's ScaledObject: the fields core's model reads, and when KEDA and the HPA act. */
export interface ScaledObjectSettings extends ScaledObjectFields {
  /** Seconds, as in the ScaledObject. */
  readonly pollingInterval: number;
  readonly push: boolean;
  readonly hpaSyncPeriodSeconds: number;
}

export interface KedaState {
  readonly replicas: number;
  readonly lastMetric: number | null;
  readonly active: boolean;
  readonly errors: number;
}

/**
 * Plays KEDA and the HPA against the real gRPC service: every pollingInterval IsActive (after
 * GetMetricSpec and GetMetrics, as KEDA's scale loop reads them), StreamIsActive for
 * external-push, and an HPA sync every 15 s that reads GetMetrics afresh. What they do with the
 * answers is core's KEDA model (`KedaScaledObject`), the one the simulator runs; this class only
 * schedules the steps in virtual time and makes the calls.
 */
export class KedaController {
  private replicas = 0;
  private lastMetric: number | null = null;
  private active = false;
  private errors = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopStream: (() => void) | undefined;
  private readonly model: KedaScaledObject;

  constructor(
    private readonly endpoint: ScalerEndpoint,
    private readonly settings: ScaledObjectSettings,
    private readonly clock: VirtualClock,
    /** The Deployment's status.replicas: its pods not terminating (the HPA's statusReplicas). */
    private readonly statusReplicas: () => number,
    private readonly apply: (replicas: number) => void,
  ) {
    this.model = new KedaScaledObject(kedaSettings(settings, this.nowMs()));
  }

  state(): KedaState {
    return { replicas: this.replicas, lastMetric: this.lastMetric, active: this.active, errors: this.errors };
  }

  /** The Deployment starts at minReplicaCount; KEDA polls at once, then every pollingInterval. */
  start(): void {
    this.setReplicas(this.settings.minReplicaCount);
    void this.poll();
    this.timers.push(setInterval(() => void this.poll(), this.clock.realMs(this.settings.pollingInterval)));
    this.timers.push(setInterval(() => void this.hpaSync(), this.clock.realMs(this.settings.hpaSyncPeriodSeconds)));
    if (this.settings.push) {
      this.stopStream = this.endpoint.watchActive(
        () => {
          this.active = true;
          this.carryOut(this.model.push(this.nowMs(), this.replicas));
        },
        () => {
          this.errors += 1;
        },
      );
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.stopStream?.();
  }

  /** One operator poll. */
  async poll(): Promise<void> {
    let outcome: TriggerOutcome;
    try {
      this.lastMetric = await this.endpoint.readMetric();
      this.active = await this.endpoint.isActive();
      outcome = { active: this.active };
    } catch {
      this.errors += 1;
      outcome = 'error';
    }
    this.carryOut(this.model.poll(this.nowMs(), this.replicas, outcome));
  }

  /** One HPA reconcile; at 0 replicas it reads nothing. */
  async hpaSync(): Promise<void> {
    let reading: number | null = null;
    if (this.model.hpaReadsMetric(this.replicas)) {
      try {
        reading = await this.endpoint.readMetric();
        this.lastMetric = reading;
      } catch {
        this.errors += 1;
      }
    }
    this.carryOut(this.model.hpaSync(this.nowMs(), this.replicas, this.statusReplicas(), () => reading));
  }

  private nowMs(): number {
    return Math.round(this.clock.now() * 1000);
  }

  private carryOut(change: ScaleDecision | null): void {
    if (change !== null) this.setReplicas(change.replicas);
  }

  private setReplicas(replicas: number): void {
    if (replicas === this.replicas) return;
    this.replicas = replicas;
    this.apply(replicas);
  }
}
