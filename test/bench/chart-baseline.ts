import pg from 'pg';

/**
 * The Airflow chart 1.19's default `workers.keda.query` as KEDA's postgresql trigger runs it for
 * one worker set (CeleryExecutor, `config.celery.worker_concurrency: 16`).
 */
export function chartQuery(queue: string): string {
  return `SELECT ceil(COUNT(*)::decimal / 16) FROM task_instance WHERE (state='running' OR state='queued') AND queue IN ('${queue}')`;
}

/**
 * Emulates the built-in trigger's access pattern for one ScaledObject: its own connection pool
 * (database/sql in KEDA keeps up to 2 idle connections) and the query on every KEDA poll and every
 * HPA sync. Plain text queries, as pgx's simple protocol would send them.
 */
export class BuiltInTriggerEmulation {
  private readonly pool: pg.Pool;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  errors = 0;

  constructor(url: string, private readonly queue: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    this.pool.on('error', () => {
      this.errors += 1;
    });
  }

  private fire(): void {
    const query = this.pool.query(chartQuery(this.queue)).catch(() => {
      this.errors += 1;
    });
    this.inFlight.add(query);
    void query.finally(() => this.inFlight.delete(query));
  }

  start(pollMs: number, hpaSyncMs: number): void {
    // KEDA polls at once on start, then every pollingInterval; the HPA syncs every 15 s.
    this.fire();
    this.timers.push(setInterval(() => this.fire(), pollMs));
    this.timers.push(setInterval(() => this.fire(), hpaSyncMs));
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.inFlight);
    await this.pool.end();
  }
}
