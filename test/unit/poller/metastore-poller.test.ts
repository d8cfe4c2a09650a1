import { describe, expect, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { Scheduler, TaskCountReader } from '../../../src/core/ports.js';
import type { ForecastInput, RunWave } from '../../../src/core/prewarm.js';
import { forecastTasks } from '../../../src/core/prewarm.js';
import type { Snapshot } from '../../../src/core/snapshot.js';
import { MetastorePoller } from '../../../src/poller/metastore-poller.js';
import { quietLogger } from '../../support/quiet-logger.js';

/** Timers on a hand-turned clock: `advance` runs what falls due, in order. */
class ManualScheduler implements Scheduler {
  nowMs = 0;
  private tasks: { at: number; task: () => void; cancelled: boolean }[] = [];
  schedule(delayMs: number, task: () => void): () => void {
    const entry = { at: this.nowMs + delayMs, task, cancelled: false };
    this.tasks.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }
  get pending(): number[] {
    return this.tasks.filter((t) => !t.cancelled).map((t) => t.at - this.nowMs);
  }
  /** Runs the next due task (moving the clock to it) and lets its promise chain settle. */
  async runNext(): Promise<void> {
    this.tasks.sort((a, b) => a.at - b.at);
    const next = this.tasks.find((t) => !t.cancelled);
    if (next === undefined) throw new Error('nothing scheduled');
    this.tasks = this.tasks.filter((t) => t !== next);
    this.nowMs = Math.max(this.nowMs, next.at);
    next.task();
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
  }
}

/** A reader that answers from a script; each read takes `durationMs` of the manual clock. */
function scriptedReader(scheduler: ManualScheduler, script: (read: number) => 'ok' | 'fail', durationMs = 0): TaskCountReader & { reads: number } {
  const reader = {
    metastore: 'default',
    reads: 0,
    read: (startedAtMs: number): Promise<Snapshot> => {
      reader.reads += 1;
      scheduler.nowMs += durationMs;
      if (script(reader.reads) === 'fail') return Promise.reject(new ScalerError(ErrorCode.MetastoreQueryFailed, 'down'));
      return Promise.resolve({ metastore: 'default', takenAtMs: startedAtMs, hasExecutorColumn: true, rows: [] });
    },
    readFirstWaves: () => Promise.resolve(new Map()),
    close: () => Promise.resolve(),
  };
  return reader;
}

function poller(scheduler: ManualScheduler, reader: TaskCountReader, random = 0.5) {
  const failures: string[] = [];
  const successes: number[] = [];
  const p = new MetastorePoller(reader, {
    intervalMs: 1_000,
    maxBackoffMs: 8_000,
    clock: { now: () => scheduler.nowMs },
    scheduler,
    random: () => random,
    logger: quietLogger,
    observer: { readSucceeded: (_m, ms) => successes.push(ms), readFailed: (_m, _ms, code) => failures.push(code) },
  });
  return { p, failures, successes };
}

describe('MetastorePoller', () => {
  it('reads at once, then one interval after each read started, never overlapping a slow read', async () => {
    const scheduler = new ManualScheduler();
    const reader = scriptedReader(scheduler, () => 'ok', 300);
    const { p, successes } = poller(scheduler, reader);
    p.start();
    expect(scheduler.pending).toEqual([0]);
    await scheduler.runNext();
    expect(reader.reads).toBe(1);
    expect(successes).toEqual([300]);
    // The next tick starts 1,000 ms after this one started: 700 ms after it ended.
    expect(scheduler.pending).toEqual([700]);
    expect(p.latest?.takenAtMs).toBe(0);
  });

  it('backs off with jitter after failures, caps the delay, and recovers to the interval', async () => {
    const scheduler = new ManualScheduler();
    const reader = scriptedReader(scheduler, (read) => (read <= 5 ? 'fail' : 'ok'));
    const { p, failures } = poller(scheduler, reader, 0.5);
    p.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      await scheduler.runNext();
      delays.push(scheduler.pending[0] ?? -1);
    }
    // Equal jitter at random 0.5: ¾ of min(8000, 1000 × 2^(n−1)).
    expect(delays).toEqual([750, 1_500, 3_000, 6_000, 6_000, 1_000]);
    expect(failures).toEqual(Array(5).fill(ErrorCode.MetastoreQueryFailed));
    expect(p.status().consecutiveFailures).toBe(0);
  });

  it('keeps the last good snapshot through failures and says when it was read', async () => {
    const scheduler = new ManualScheduler();
    const reader = scriptedReader(scheduler, (read) => (read === 1 ? 'ok' : 'fail'));
    const { p } = poller(scheduler, reader);
    p.start();
    await scheduler.runNext();
    await scheduler.runNext();
    expect(p.latest?.takenAtMs).toBe(0);
    expect(p.status()).toMatchObject({ consecutiveFailures: 1, lastErrorCode: ErrorCode.MetastoreQueryFailed });
  });

  it('stops scheduling on stop, and waits for a read in flight', async () => {
    const scheduler = new ManualScheduler();
    const reader = scriptedReader(scheduler, () => 'ok');
    const { p } = poller(scheduler, reader);
    p.start();
    await scheduler.runNext();
    await p.stop();
    expect(scheduler.pending).toEqual([]);
  });
});

describe('MetastorePoller pre-warming reads', () => {
  const DEMAND = { leadMs: 120_000, historyRuns: 5 };
  const ETL_DUE = { dagId: 'etl', dueAtMs: 60_000 };
  const WAVES: readonly RunWave[] = [{ tasks: [{ queue: 'default', executor: null, count: 40 }] }];

  /** Due list readable on the reads `dueOk` says; history reads answer `waves` or fail. */
  function forecastingReader(dueOk: (read: number) => boolean, history: (call: number, runs: number) => Promise<Map<string, RunWave[]>>) {
    let reads = 0;
    let historyCalls = 0;
    const reader: TaskCountReader = {
      metastore: 'default',
      read: (startedAtMs: number): Promise<Snapshot> => {
        reads += 1;
        const forecast: ForecastInput = dueOk(reads) ? { available: true, dueDags: [ETL_DUE], history: new Map() } : { available: false, reason: 'canceling statement due to statement timeout' };
        return Promise.resolve({ metastore: 'default', takenAtMs: startedAtMs, hasExecutorColumn: true, rows: [], forecast });
      },
      readFirstWaves: (_dagIds, runs) => history(++historyCalls, runs),
      close: () => Promise.resolve(),
    };
    return reader;
  }

  function prewarmingPoller(scheduler: ManualScheduler, reader: TaskCountReader, demand: () => typeof DEMAND) {
    const dueFailures: string[] = [];
    const p = new MetastorePoller(reader, {
      intervalMs: 1_000,
      maxBackoffMs: 8_000,
      clock: { now: () => scheduler.nowMs },
      scheduler,
      random: () => 0.5,
      logger: quietLogger,
      observer: { readSucceeded: () => undefined, readFailed: () => undefined, forecastFailed: (_m, step) => dueFailures.push(step) },
      forecastDemand: demand,
    });
    return { p, dueFailures };
  }

  const forecastNow = (p: MetastorePoller, nowMs: number): number =>
    forecastTasks(p.latest!.forecast!, { mode: 'schedule', ...DEMAND }, { queues: new Set(['default']), executorMatches: null }, nowMs).tasks;

  it('keeps forecasting from the last due list through failed due reads, and counts each failure', async () => {
    const scheduler = new ManualScheduler();
    const reader = forecastingReader((read) => read <= 2, () => Promise.resolve(new Map([['etl', [...WAVES]]])));
    const { p, dueFailures } = prewarmingPoller(scheduler, reader, () => DEMAND);
    p.start();
    await scheduler.runNext(); // due list read, history asked for
    await scheduler.runNext(); // history known
    expect(forecastNow(p, scheduler.nowMs)).toBe(40);
    await scheduler.runNext(); // the due read fails
    await scheduler.runNext(); // and again
    expect(p.latest!.forecast!.available).toBe(false);
    expect(forecastNow(p, scheduler.nowMs)).toBe(40);
    expect(dueFailures).toEqual(['due', 'due']);
  });

  it('keeps a DAG’s known history while more runs are read, and through a failed history read', async () => {
    const scheduler = new ManualScheduler();
    let demand = DEMAND;
    const reader = forecastingReader(() => true, (call) => (call === 1 ? Promise.resolve(new Map([['etl', [...WAVES]]])) : Promise.reject(new ScalerError(ErrorCode.MetastoreQueryFailed, 'down'))));
    const { p, dueFailures } = prewarmingPoller(scheduler, reader, () => demand);
    p.start();
    await scheduler.runNext();
    await scheduler.runNext();
    expect(forecastNow(p, scheduler.nowMs)).toBe(40);
    demand = { ...DEMAND, historyRuns: 10 }; // a set asks for more history: read again, and that read fails
    await scheduler.runNext();
    await scheduler.runNext();
    expect(forecastNow(p, scheduler.nowMs)).toBe(40);
    expect(dueFailures).toContain('history');
  });
});
