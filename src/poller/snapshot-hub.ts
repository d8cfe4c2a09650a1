import type { PollerStatus } from '../core/health.js';
import type { SnapshotSource } from '../core/ports.js';
import type { Snapshot } from '../core/snapshot.js';
import type { MetastorePoller } from './metastore-poller.js';

/** All pollers behind one SnapshotSource, keyed by metastore name. */
export class SnapshotHub implements SnapshotSource {
  private readonly pollers: ReadonlyMap<string, MetastorePoller>;

  constructor(pollers: readonly MetastorePoller[]) {
    this.pollers = new Map(pollers.map((poller) => [poller.metastore, poller]));
  }

  get metastores(): ReadonlySet<string> {
    return new Set(this.pollers.keys());
  }

  latest(metastore: string): Snapshot | undefined {
    return this.pollers.get(metastore)?.latest;
  }

  onSnapshot(listener: (snapshot: Snapshot) => void): () => void {
    const unsubscribers = [...this.pollers.values()].map((poller) => poller.onSnapshot(listener));
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
    };
  }

  statuses(): PollerStatus[] {
    return [...this.pollers.values()].map((poller) => poller.status());
  }

  start(): void {
    for (const poller of this.pollers.values()) poller.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((poller) => poller.stop()));
  }
}
