import { coerceError, isScalerError } from '../core/errors.js';
import type { Logger, TaskCountReader } from '../core/ports.js';
import type { DueDag, RunWave } from '../core/prewarm.js';

/** DAGs per history read: one statement, bounded. */
const BATCH = 200;

/**
 * The first waves of the DAGs that are due, read when a DAG becomes due (its history may have
 * grown since it was last due) and kept while it stays due. Reads run in the background, one at
 * a time, never on the tick: until a DAG's history arrives it forecasts nothing. Bounded by the
 * due list (itself bounded by the due query's LIMIT).
 */
export class FirstWaveCache {
  private readonly waves = new Map<string, readonly RunWave[]>();
  /** DAGs whose history was read with fewer runs than now asked for: kept until read again. */
  private readonly short = new Set<string>();
  private runsLoaded = 0;
  private loading: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly reader: TaskCountReader,
    private readonly logger: Logger,
    private readonly onFailure: (code: string) => void,
  ) {}

  /** After a tick: forget DAGs no longer due, and read the history of newly due ones. */
  update(due: readonly DueDag[], runs: number): void {
    const dueIds = new Set(due.map((dag) => dag.dagId));
    for (const dagId of [...this.waves.keys()]) {
      if (dueIds.has(dagId)) continue;
      this.waves.delete(dagId);
      this.short.delete(dagId);
    }
    if (runs > this.runsLoaded) {
      // A worker set asks for more history than was read: read it again, forecasting meanwhile
      // from what is known (dropping it would lower answers until the new read lands).
      for (const dagId of this.waves.keys()) this.short.add(dagId);
      this.runsLoaded = runs;
    }
    const missing = [...dueIds].filter((dagId) => !this.waves.has(dagId) || this.short.has(dagId));
    if (missing.length === 0 || this.loading !== undefined) return;
    this.loading = this.load(missing.slice(0, BATCH), runs).finally(() => {
      this.loading = undefined;
    });
  }

  /** The histories known for these due DAGs. */
  historyFor(due: readonly DueDag[]): ReadonlyMap<string, readonly RunWave[]> {
    const known = new Map<string, readonly RunWave[]>();
    for (const dag of due) {
      const waves = this.waves.get(dag.dagId);
      if (waves !== undefined) known.set(dag.dagId, waves);
    }
    return known;
  }

  /** Resolves once a read in progress (if any) finished. */
  async settled(): Promise<void> {
    await this.loading;
  }

  private async load(dagIds: readonly string[], runs: number): Promise<void> {
    try {
      const waves = await this.reader.readFirstWaves(dagIds, runs);
      for (const dagId of dagIds) this.short.delete(dagId);
      for (const [dagId, runWaves] of waves) this.waves.set(dagId, runWaves);
      if (this.failing) this.logger.info({}, 'run history reads recovered: pre-warming forecasts again');
      this.failing = false;
    } catch (err) {
      const code = isScalerError(err) ? err.code : 'UNKNOWN';
      this.onFailure(code);
      if (!this.failing) this.logger.warn({ code, err: coerceError(err) }, 'run history read failed: due DAGs without a known history forecast nothing until it works');
      this.failing = true;
    }
  }
}
