import { coerceError, isScalerError } from '../core/errors.js';
import type { LeaderElection } from '../core/leader-election.js';
import type { Clock, Leadership, LeaseStore, Logger } from '../core/ports.js';
import type { PublishedCount } from '../core/published-counts.js';
import { countsForLease, publishedTargetId } from '../core/published-counts.js';

/**
 * Runs the leader election (core/leader-election.ts) against a Lease: one attempt every retry
 * period, read → plan → write. `isLeader()` answers from the election and the clock, so a leader
 * that could not renew stops leading at its deadline, not at its next attempt. The leader writes
 * the published worker counts that still stand with every renewal; the others read them from the
 * Lease, so every replica answers KEDA with the leader's counts, and drops one when the leader
 * does. On stop, a held lease is released so another replica takes over at once instead of after
 * the lease duration.
 */
export class LeaseKeeper implements Leadership {
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private running = false;
  private leading = false;
  private failing = false;
  private ownCounts: ReadonlyMap<string, PublishedCount> = new Map();
  private leaderCounts: ReadonlyMap<string, number> = new Map();

  constructor(
    private readonly store: LeaseStore,
    private readonly election: LeaderElection,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onChange: (leading: boolean) => void = () => undefined,
  ) {}

  get identity(): string {
    return this.election.identity;
  }

  isLeader(): boolean {
    return this.running && this.election.isLeader(this.clock.now());
  }

  publishedByLeader(targetKey: string, targetId = publishedTargetId(targetKey)): number | undefined {
    if (!this.election.othersLeaseValid(this.clock.now())) return undefined;
    // A leader of an earlier version names targets by their key (which always holds a '/', which
    // no id does): read those too while it leads, so a rolling upgrade answers alike.
    return this.leaderCounts.get(targetId) ?? this.leaderCounts.get(targetKey);
  }

  publish(counts: ReadonlyMap<string, PublishedCount>): void {
    this.ownCounts = counts;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.logger.info({ lease: `${this.store.namespace}/${this.store.name}`, identity: this.identity }, 'scale-in leader election started');
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.attempt;
    try {
      const release = this.election.release(await this.store.read(), this.clock.now());
      if (release !== null && (await this.store.write(release, new Map())) !== null) this.logger.info({}, 'released the scale-in lease');
    } catch (err) {
      this.logger.warn({ err: coerceError(err) }, 'could not release the scale-in lease; another replica takes over when it expires');
    }
    this.note();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.attempt = this.tryAcquireOrRenew().finally(() => {
        this.attempt = undefined;
        this.schedule(this.election.retryPeriodMs);
      });
    }, delayMs);
  }

  private async tryAcquireOrRenew(): Promise<void> {
    try {
      const current = await this.store.read();
      this.leaderCounts = current?.published ?? new Map();
      const write = this.election.plan(current, this.clock.now());
      if (write !== null) {
        const stored = await this.store.write(write, countsForLease(this.ownCounts, this.clock.now()));
        if (stored !== null) this.election.written(stored.record, this.clock.now());
      }
      if (this.failing) this.logger.info({}, 'the scale-in lease can be read and written again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        this.logger.warn({ code: isScalerError(err) ? err.code : 'UNKNOWN', err: coerceError(err) }, 'scale-in lease attempt failed; a leader stops acting if it cannot renew');
      }
      this.failing = true;
    }
    this.note();
  }

  /** Says when leadership changed, once. */
  private note(): void {
    const leading = this.isLeader();
    if (leading === this.leading) return;
    this.leading = leading;
    if (!leading) this.ownCounts = new Map();
    this.logger.info({ identity: this.identity, holder: this.election.holder ?? null }, leading ? 'leading scale-in: this replica acts on worker pods' : 'following: another replica acts on worker pods');
    this.onChange(leading);
  }
}
