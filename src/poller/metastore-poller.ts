import { nextTickDelayMs, retryDelayMs } from '../core/backoff.js';
import { coerceError, isScalerError } from '../core/errors.js';
import type { PollerStatus } from '../core/health.js';
import type { Clock, Logger, Scheduler, TaskCountReader } from '../core/ports.js';
import { carryForecast } from '../core/prewarm.js';
import type { ForecastDemand } from '../core/prewarm-demand.js';
import type { Snapshot } from '../core/snapshot.js';
import { FirstWaveCache } from './first-wave-cache.js';

/** What the poller reports about each read; main wires it to Prometheus. */
export interface PollObserver {
  readSucceeded(metastore: string, durationMs: number, snapshot: Snapshot): void;
  readFailed(metastore: string, durationMs: number, code: string): void;
  /** A pre-warming read failed: `step` is `due` (the tick's due-DAG query) or `history`. */
  forecastFailed?(metastore: string, step: 'due' | 'history', code: string): void;
}

/** At most this many due DAGs per tick (soonest first): a bound on the query and the cache. */
export const MAX_DUE_DAGS = 1_000;

export interface PollerOptions {
  readonly intervalMs: number;
  readonly maxBackoffMs: number;
  readonly clock: Clock;
  /** Timers; the system's setTimeout by default. */
  readonly scheduler?: Scheduler;
  /** Source of jitter in [0, 1). */
  readonly random: () => number;
  /** Bound to the metastore's name by the caller; lines here do not repeat it. */
  readonly logger: Logger;
  readonly observer?: PollObserver;
  /** Whether any worker set of this metastore pre-warms, and with what lead; null: none does. */
  readonly forecastDemand?: () => ForecastDemand | null;
}

export const systemScheduler: Scheduler = {
  schedule: (delayMs, task) => {
    const timer = setTimeout(task, delayMs);
    return () => clearTimeout(timer);
  },
};

/**
 * The only owner of metastore I/O: one read per tick, the next tick scheduled only after the
 * previous read finished (so a slow query never overlaps the next), jittered backoff on failure.
 * RPC handlers read `latest` and never wait on the database.
 */
export class MetastorePoller {
  private latestSnapshot: Snapshot | undefined;
  private readonly listeners = new Set<(snapshot: Snapshot) => void>();
  private cancelTimer: (() => void) | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private startedAtMs = 0;
  private lastAttemptEndedAtMs: number | undefined;
  private consecutiveFailures = 0;
  private lastErrorCode: string | undefined;

  private readonly firstWaves: FirstWaveCache;
  private forecastFailing = false;

  constructor(
    private readonly reader: TaskCountReader,
    private readonly options: PollerOptions,
  ) {
    this.firstWaves = new FirstWaveCache(reader, options.logger, (code) => options.observer?.forecastFailed?.(reader.metastore, 'history', code));
  }

  get metastore(): string {
    return this.reader.metastore;
  }

  get latest(): Snapshot | undefined {
    return this.latestSnapshot;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAtMs = this.options.clock.now();
    this.schedule(0);
  }

  /** Stops ticking and waits for a read in progress, so the pool can be closed safely after. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.inFlight;
    await this.firstWaves.settled();
  }

  onSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): PollerStatus {
    return {
      metastore: this.metastore,
      latest: this.latestSnapshot,
      lastAttemptEndedAtMs: this.lastAttemptEndedAtMs,
      startedAtMs: this.startedAtMs,
      consecutiveFailures: this.consecutiveFailures,
      lastErrorCode: this.lastErrorCode,
    };
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const scheduler = this.options.scheduler ?? systemScheduler;
    this.cancelTimer = scheduler.schedule(delayMs, () => {
      this.inFlight = this.tick();
    });
  }

  private async tick(): Promise<void> {
    const { clock, logger, observer } = this.options;
    const startedAt = clock.now();
    let delay: number;
    try {
      const demand = this.options.forecastDemand?.() ?? null;
      const window = demand === null ? undefined : { fromMs: startedAt - demand.leadMs, toMs: startedAt + demand.leadMs, limit: MAX_DUE_DAGS };
      const snapshot = this.withHistory(await this.reader.read(startedAt, window), demand);
      const took = clock.now() - startedAt;
      if (this.consecutiveFailures > 0) {
        logger.info({ failures: this.consecutiveFailures }, 'metastore reads recovered');
      }
      this.consecutiveFailures = 0;
      this.lastErrorCode = undefined;
      this.latestSnapshot = snapshot;
      observer?.readSucceeded(this.metastore, took, snapshot);
      this.notify(snapshot);
      delay = nextTickDelayMs(this.options.intervalMs, took);
    } catch (err) {
      const took = clock.now() - startedAt;
      const error = coerceError(err);
      const code = isScalerError(err) ? err.code : 'UNKNOWN';
      this.consecutiveFailures += 1;
      this.lastErrorCode = code;
      observer?.readFailed(this.metastore, took, code);
      // Log the first failure and then sparsely, so an outage does not flood the log.
      if (this.consecutiveFailures === 1 || this.consecutiveFailures % 30 === 0) {
        logger.error(
          { code, failures: this.consecutiveFailures, err: error },
          'metastore read failed',
        );
      }
      delay = retryDelayMs(this.consecutiveFailures, this.options.intervalMs, this.options.maxBackoffMs, this.options.random());
    } finally {
      this.lastAttemptEndedAtMs = clock.now();
    }
    this.schedule(delay);
  }

  /** Adds the run histories known for the due DAGs, and asks for those not known yet. */
  private withHistory(snapshot: Snapshot, demand: ForecastDemand | null): Snapshot {
    const forecast = snapshot.forecast;
    if (forecast === undefined || demand === null) return snapshot;
    if (!forecast.available) {
      // Counted at every tick it fails (the alert's rate), logged once per episode.
      this.options.observer?.forecastFailed?.(this.metastore, 'due', 'DUE_DAGS_UNREADABLE');
      if (!this.forecastFailing) {
        this.options.logger.warn({ reason: forecast.reason }, 'due DAGs cannot be read: the last due list read keeps forecasting, DAGs due since go unseen');
      }
      this.forecastFailing = true;
      return { ...snapshot, forecast: carryForecast(this.latestSnapshot?.forecast, forecast) };
    }
    if (this.forecastFailing) this.options.logger.info({}, 'due DAGs readable again');
    this.forecastFailing = false;
    this.firstWaves.update(forecast.dueDags, demand.historyRuns);
    return { ...snapshot, forecast: { ...forecast, history: this.firstWaves.historyFor(forecast.dueDags) } };
  }

  private notify(snapshot: Snapshot): void {
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.options.logger.error({ err: coerceError(err) }, 'snapshot listener failed');
      }
    }
  }
}
