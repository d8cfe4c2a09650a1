import { ErrorCode, ScalerError } from './errors.js';
import type { ScaleInPolicy, ScaleInSpec } from './scale-in-spec.js';
import {
  DEFAULT_SCALE_IN_POLICY,
  DEFAULT_WORKER_POD_SELECTOR,
  SCALE_IN_POLICIES,
  normaliseLabelSelector,
} from './scale-in-spec.js';
import type { PrewarmSpec } from './prewarm.js';
import {
  DEFAULT_PREWARM_HISTORY_RUNS,
  DEFAULT_PREWARM_LEAD_SECONDS,
  MAX_PREWARM_HISTORY_RUNS,
  MAX_PREWARM_LEAD_SECONDS,
  PREWARM_MODES,
} from './prewarm.js';
import { Validator, describeValue } from './validation.js';

/** Trigger `metadata` keys this scaler reads. KEDA sends every trigger key; others are ignored. */
export const MetadataKey = {
  queues: 'queues',
  workerConcurrency: 'workerConcurrency',
  minReplicaCount: 'minReplicaCount',
  maxReplicaCount: 'maxReplicaCount',
  activationThreshold: 'activationThreshold',
  metastore: 'metastore',
  celeryExecutors: 'celeryExecutors',
  celeryIsDefaultExecutor: 'celeryIsDefaultExecutor',
  scaleIn: 'scaleIn',
  workerPodSelector: 'workerPodSelector',
  prewarm: 'prewarm',
  prewarmLeadSeconds: 'prewarmLeadSeconds',
  prewarmHistoryRuns: 'prewarmHistoryRuns',
} as const;

/** Keys KEDA itself puts into `scalerMetadata` for an external trigger; never worth a warning. */
export const KEDA_OWN_METADATA_KEYS: ReadonlySet<string> = new Set(['scalerAddress', 'enableTLS', 'unsafeSsl']);

export const DEFAULT_METASTORE = 'default';
export const DEFAULT_QUEUE = 'default';
export const DEFAULT_WORKER_CONCURRENCY = 16;
/** A metastore's name: it appears in metric labels and in `metastore` metadata. */
export const METASTORE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Bounds on what a client may send, checked before any parsing or caching: a request beyond them
 * costs an INVALID_ARGUMENT and nothing else. Far above any real trigger (the chart's own has 5
 * keys of a few characters), far below what could hurt (see the README's "Limits").
 */
export const RequestLimits = {
  metadataKeys: 64,
  metadataKeyLength: 128,
  metadataValueLength: 4_096,
  /** Keys and values together. */
  metadataBytes: 16_384,
  /** KEDA's names are ours (about 60 characters); HPA metric names are label values. */
  metricNameLength: 256,
  queues: 64,
  /** Kubernetes object names: a DNS subdomain (ScaledObject), a DNS label (namespace). */
  nameLength: 253,
  namespaceLength: 63,
} as const;

/**
 * Which `task_instance.executor` values belong to Celery. Airflow stores NULL for "the default
 * executor" (the first in `[core] executor`), so whether NULL counts is a separate switch: the
 * chart's `IS DISTINCT FROM 'KubernetesExecutor'` guesses it and is wrong when Celery is not first.
 */
export interface ExecutorFilter {
  readonly names: readonly string[];
  readonly includeDefault: boolean;
}

/** One Celery worker set as a ScaledObject trigger describes it. */
export interface WorkerSetSpec {
  readonly metastore: string;
  /** Sorted and de-duplicated, so the same set always yields the same metric name. */
  readonly queues: readonly string[];
  readonly executorFilter: ExecutorFilter | null;
  readonly workerConcurrency: number;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number | null;
  readonly activationThreshold: number;
  readonly scaleIn: ScaleInSpec;
  /** Schedule-aware pre-warming (core/prewarm.ts); absent means off. */
  readonly prewarm?: PrewarmSpec;
}

export interface ParsedMetadata {
  readonly spec: WorkerSetSpec;
  /** Keys we did not recognise, minus KEDA's own; a typo such as `workerconcurrency` shows here. */
  readonly unknownKeys: readonly string[];
}

// Airflow's `queue` column is VARCHAR(256) and `executor` VARCHAR(1000).
const MAX_QUEUE_NAME = 256;
const MAX_EXECUTOR_NAME = 1000;
// Far beyond any real worker count, but keeps arithmetic exact and the HPA target sane.
const MAX_COUNT = 1_000_000;

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.values(MetadataKey));

function invalid(problems: readonly string[]): ScalerError {
  return new ScalerError(ErrorCode.InvalidMetadata, `invalid scalerMetadata: ${problems.join('; ')}`, { problems });
}

function tooLarge(problem: string): ScalerError {
  return invalid([problem]);
}

/** 32-bit FNV-1a of a string's UTF-16 code units, continuing from `hash`. */
function fnv(text: string, hash: number): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Checks the size of a metadata map before anything else is done with it, and returns a
 * fingerprint of its content that does not depend on the order of its entries (Go's protobuf
 * encoder does not order map entries). Throws INVALID_ARGUMENT naming the first key out of
 * bounds, its value cut short. Allocates nothing: it runs on every RPC.
 */
export function metadataFingerprint(metadata: Readonly<Record<string, string>>): number {
  let keys = 0;
  let characters = 0;
  let fingerprint = 0;
  for (const name in metadata) {
    keys += 1;
    if (keys > RequestLimits.metadataKeys) {
      throw tooLarge(`scalerMetadata has ${Object.keys(metadata).length} keys (at most ${RequestLimits.metadataKeys})`);
    }
    const value = metadata[name] ?? '';
    if (name.length > RequestLimits.metadataKeyLength) {
      throw tooLarge(`key ${describeValue(name)} is longer than ${RequestLimits.metadataKeyLength} characters`);
    }
    if (value.length > RequestLimits.metadataValueLength) {
      throw tooLarge(`${name}=${describeValue(value)} is longer than ${RequestLimits.metadataValueLength} characters (it has ${value.length})`);
    }
    characters += name.length + value.length;
    // Sum of per-entry hashes: the same for any order of the same entries.
    fingerprint = (fingerprint + fnv(value, fnv(name, 0x811c9dc5) ^ 0x3d)) >>> 0;
  }
  if (characters > RequestLimits.metadataBytes) {
    throw tooLarge(`scalerMetadata holds ${characters} characters (at most ${RequestLimits.metadataBytes})`);
  }
  return fingerprint;
}

/** Whether two metadata maps hold the same entries, in any order. */
export function sameMetadata(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let count = 0;
  for (const name in a) {
    if (b[name] !== a[name]) return false;
    count += 1;
  }
  for (const name in b) if (b[name] !== undefined) count -= 1;
  return count === 0;
}

function readExecutorFilter(v: Validator, metadata: Readonly<Record<string, string>>): ExecutorFilter | null {
  const names = v.list([MetadataKey.celeryExecutors], metadata[MetadataKey.celeryExecutors], { maxItems: RequestLimits.queues, maxItemLength: MAX_EXECUTOR_NAME });
  const includeDefault = v.boolean([MetadataKey.celeryIsDefaultExecutor], metadata[MetadataKey.celeryIsDefaultExecutor]);
  if (metadata[MetadataKey.celeryExecutors] === undefined && metadata[MetadataKey.celeryIsDefaultExecutor] === undefined) return null;
  const filter = { names: names ?? [], includeDefault: includeDefault ?? true };
  if (!filter.includeDefault && metadata[MetadataKey.celeryExecutors] === undefined) {
    v.problem([MetadataKey.celeryIsDefaultExecutor], 'false', `counts no task unless ${MetadataKey.celeryExecutors} names the Celery executor`);
  }
  return filter;
}

function readPrewarm(v: Validator, metadata: Readonly<Record<string, string>>): PrewarmSpec {
  const mode = v.oneOf([MetadataKey.prewarm], metadata[MetadataKey.prewarm], PREWARM_MODES) ?? 'off';
  const leadSeconds =
    v.integer([MetadataKey.prewarmLeadSeconds], metadata[MetadataKey.prewarmLeadSeconds], { min: 1, max: MAX_PREWARM_LEAD_SECONDS }) ?? DEFAULT_PREWARM_LEAD_SECONDS;
  const historyRuns =
    v.integer([MetadataKey.prewarmHistoryRuns], metadata[MetadataKey.prewarmHistoryRuns], { min: 1, max: MAX_PREWARM_HISTORY_RUNS }) ?? DEFAULT_PREWARM_HISTORY_RUNS;
  return { mode, leadMs: leadSeconds * 1000, historyRuns };
}

function readScaleIn(v: Validator, metadata: Readonly<Record<string, string>>): ScaleInSpec {
  const policy: ScaleInPolicy = v.oneOf([MetadataKey.scaleIn], metadata[MetadataKey.scaleIn], SCALE_IN_POLICIES) ?? DEFAULT_SCALE_IN_POLICY;
  const rawSelector = metadata[MetadataKey.workerPodSelector] ?? DEFAULT_WORKER_POD_SELECTOR;
  const podSelector = normaliseLabelSelector(rawSelector);
  if (podSelector === null) {
    v.problem([MetadataKey.workerPodSelector], rawSelector, 'must be an equality-based label selector such as "component=worker,release=airflow"');
  }
  return { policy, podSelector: podSelector ?? DEFAULT_WORKER_POD_SELECTOR };
}

/**
 * Turns KEDA's `scalerMetadata` string map into a validated spec. Every problem is reported at
 * once, each naming its key and value; nothing missing is guessed beyond the documented defaults.
 * Call metadataFingerprint() first: it bounds the sizes this function then relies on.
 */
export function parseScalerMetadata(metadata: Readonly<Record<string, string>>, knownMetastores: ReadonlySet<string>): ParsedMetadata {
  const v = new Validator();
  const count = (key: string, minimum: number) => v.integer([key], metadata[key], { min: minimum, max: MAX_COUNT });

  const metastore = metadata[MetadataKey.metastore] ?? DEFAULT_METASTORE;
  if (!METASTORE_NAME.test(metastore)) {
    v.problem([MetadataKey.metastore], metastore, 'must be a lowercase name of [a-z0-9-]');
  } else if (!knownMetastores.has(metastore)) {
    v.problem([MetadataKey.metastore], metastore, `is not a configured metastore (configured: ${[...knownMetastores].sort().join(', ')})`);
  }
  const queues = v.list([MetadataKey.queues], metadata[MetadataKey.queues], { maxItems: RequestLimits.queues, maxItemLength: MAX_QUEUE_NAME });
  const workerConcurrency = count(MetadataKey.workerConcurrency, 1) ?? DEFAULT_WORKER_CONCURRENCY;
  const minReplicaCount = count(MetadataKey.minReplicaCount, 0) ?? 0;
  const maxReplicaCount = count(MetadataKey.maxReplicaCount, 0) ?? null;
  const activationThreshold = count(MetadataKey.activationThreshold, 0) ?? 0;
  const executorFilter = readExecutorFilter(v, metadata);
  const scaleIn = readScaleIn(v, metadata);
  const prewarm = readPrewarm(v, metadata);
  if (maxReplicaCount !== null && maxReplicaCount < minReplicaCount) {
    v.problem([MetadataKey.maxReplicaCount], String(maxReplicaCount), `must be >= ${MetadataKey.minReplicaCount} (${minReplicaCount})`);
  }
  if (!v.ok) throw invalid(v.problems);

  const unknownKeys = Object.keys(metadata).filter((key) => !KNOWN_KEYS.has(key) && !KEDA_OWN_METADATA_KEYS.has(key));
  return {
    spec: {
      metastore,
      queues: queues ?? [DEFAULT_QUEUE],
      executorFilter,
      workerConcurrency,
      minReplicaCount,
      maxReplicaCount,
      activationThreshold,
      scaleIn,
      prewarm,
    },
    unknownKeys,
  };
}
