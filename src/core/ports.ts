import type { LeaseWrite, StoredLease } from './leader-election.js';
import type { RunWave } from './prewarm.js';
import type { PublishedCount } from './published-counts.js';
import type { Snapshot } from './snapshot.js';

/** Milliseconds since the epoch. Injected everywhere so core stays deterministic. */
export interface Clock {
  now(): number;
}

/** Runs `task` after `delayMs`; returns a cancel function. Timers live behind it so loops can be tested. */
export interface Scheduler {
  schedule(delayMs: number, task: () => void): () => void;
}

/** Reads one metastore. Implemented by `metastore/`; the poller is its only caller. */
export interface TaskCountReader {
  readonly metastore: string;
  /**
   * One query returning every (queue, executor, state) count, and, with a window, the DAGs due in
   * it (pre-warming; a failure there is reported in the snapshot, never thrown); throws
   * ScalerError when the counts cannot be read.
   */
  read(startedAtMs: number, dueWindow?: DueWindow): Promise<Snapshot>;
  /** Each DAG's last `runs` scheduled runs' first waves, newest first; throws ScalerError on failure. */
  readFirstWaves(dagIds: readonly string[], runs: number): Promise<ReadonlyMap<string, readonly RunWave[]>>;
  close(): Promise<void>;
}

/** The DAGs whose next run is due in [fromMs, toMs), at most `limit`. */
export interface DueWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly limit: number;
}

/** Where RPC handlers get data from: the latest snapshot, never the database. */
export interface SnapshotSource {
  latest(metastore: string): Snapshot | undefined;
  /** Called after every successful read; returns an unsubscribe function. */
  onSnapshot(listener: (snapshot: Snapshot) => void): () => void;
}

export type LogFields = Record<string, unknown>;

/** The logging surface adapters use; `telemetry/` provides it with pino. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(bindings: LogFields): Logger;
}

/** The annotation the ReplicaSet controller reads when it picks pods to delete (Kubernetes ≥ 1.22). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** A worker pod as the scale-in planner needs it. */
export interface WorkerPod {
  readonly name: string;
  /** `status.phase`: Pending, Running, Succeeded, Failed or Unknown. */
  readonly phase: string;
  /** `spec.nodeName` is set: the ReplicaSet removes unscheduled pods before all others. */
  readonly scheduled: boolean;
  /** Phase Running with condition Ready=True: only these are ranked by pod-deletion-cost. */
  readonly ready: boolean;
  /** `metadata.deletionTimestamp` is set: already going, no longer counted by the HPA. */
  readonly terminating: boolean;
  /** The current pod-deletion-cost annotation, or null when absent or not an int32. */
  readonly deletionCost: number | null;
  /** Kind of the controlling owner reference (`ReplicaSet`, `StatefulSet`, ...), null if none. */
  readonly ownerKind: string | null;
}

/**
 * Worker pods in the Kubernetes API. Implemented by `kubernetes/`; throws ScalerError with
 * KubernetesForbidden (401/403: RBAC or credentials) or KubernetesApiFailed (anything else).
 */
export interface PodDirectory {
  list(namespace: string, labelSelector: string): Promise<WorkerPod[]>;
  /** Sets pod-deletion-cost with a JSON merge patch; `null` removes the annotation. */
  setDeletionCost(namespace: string, pod: string, cost: number | null): Promise<void>;
  close(): Promise<void>;
}

/** One worker's answer to a remote-control command. */
export interface ControlReply {
  /** The Celery node name without `celery@`, i.e. the pod name. */
  readonly hostname: string;
  readonly ok: boolean;
  /** The worker's own words, e.g. "no longer consuming from 'default'". */
  readonly detail: string;
}

/**
 * Celery remote control over the broker Airflow uses. Implemented by `celery/`. Each call
 * broadcasts one command to `celery@<hostname>` for every hostname and resolves with the replies
 * received before the reply timeout (a missing hostname did not answer); throws
 * ScalerError(BrokerControlFailed) only when the message could not be sent.
 */
export interface WorkerControl {
  cancelConsumer(hostnames: readonly string[], queue: string): Promise<ControlReply[]>;
  addConsumer(hostnames: readonly string[], queue: string): Promise<ControlReply[]>;
  close(): Promise<void>;
}

/**
 * One coordination.k8s.io/v1 Lease. Implemented by `kubernetes/`; throws ScalerError
 * (KubernetesForbidden, KubernetesApiFailed) on failure.
 */
export interface LeaseStore {
  readonly namespace: string;
  readonly name: string;
  /** The Lease as stored, or null when it does not exist. */
  read(): Promise<StoredLease | null>;
  /**
   * Carries out the write, with the holder's published worker counts in an annotation; null
   * when another writer got there first (409 Conflict).
   */
  write(write: LeaseWrite, published: ReadonlyMap<string, number>): Promise<StoredLease | null>;
}

/**
 * Which scaler replica acts on worker pods, and the counts the acting one published, so every
 * replica answers KEDA alike. Implemented over a Lease by `kubernetes/`.
 */
export interface Leadership {
  /** Whether this replica may act on pods and workers now. */
  isLeader(): boolean;
  /**
   * The count the leader last published for a scale-in target, while its lease is valid.
   * `targetId` is publishedTargetId(targetKey) where the caller keeps it (GetMetrics asks often).
   */
  publishedByLeader(targetKey: string, targetId?: string): number | undefined;
  /**
   * What this replica publishes while it leads (scale-in target key → count): each renewal
   * writes the counts still standing then (countsForLease), so a count the leader stopped
   * re-planning leaves the Lease when it expires, even if nothing is published again.
   */
  publish(counts: ReadonlyMap<string, PublishedCount>): void;
}
