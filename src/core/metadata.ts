import { ErrorCode, ScalerError } from './errors.js';
import type { ScaleInPolicy, ScaleInSpec } from './scale-in-spec.js';
import {
  DEFAULT_SCALE_IN_POLICY,
  DEFAULT_WORKER_POD_SELECTOR,
  SCALE_IN_POLICIES,
  normaliseLabelSelector,
} from './scale-in-spec.js';

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
} as const;

/** Keys KEDA itself puts into `scalerMetadata` for an external trigger; never worth a warning. */
export const KEDA_OWN_METADATA_KEYS: ReadonlySet<string> = new Set(['scalerAddress', 'enableTLS', 'unsafeSsl']);

export const DEFAULT_METASTORE = 'default';
export const DEFAULT_QUEUE = 'default';
export const DEFAULT_WORKER_CONCURRENCY = 16;

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
const METASTORE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DECIMAL_INTEGER = /^(0|[1-9][0-9]*)$/;

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.values(MetadataKey));

export function describeValue(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}

class ProblemList {
  readonly items: string[] = [];
  add(key: string, value: string, requirement: string): void {
    this.items.push(`${key}=${describeValue(value)} ${requirement}`);
  }
}

function readInteger(
  metadata: Readonly<Record<string, string>>,
  key: string,
  fallback: number | null,
  minimum: number,
  problems: ProblemList,
): number | null {
  const raw = metadata[key];
  if (raw === undefined) return fallback;
  if (!DECIMAL_INTEGER.test(raw)) {
    problems.add(key, raw, `must be a whole number >= ${minimum}`);
    return fallback;
  }
  const value = Number(raw);
  if (value < minimum || value > MAX_COUNT) {
    problems.add(key, raw, `must be between ${minimum} and ${MAX_COUNT}`);
    return fallback;
  }
  return value;
}

function readList(
  metadata: Readonly<Record<string, string>>,
  key: string,
  maxItemLength: number,
  problems: ProblemList,
): string[] | null {
  const raw = metadata[key];
  if (raw === undefined) return null;
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item.length === 0)) {
    problems.add(key, raw, 'must be a comma-separated list of non-empty names');
    return [];
  }
  if (items.some((item) => item.length > maxItemLength)) {
    problems.add(key, raw, `has a name longer than ${maxItemLength} characters`);
    return [];
  }
  return [...new Set(items)].sort();
}

function readBoolean(
  metadata: Readonly<Record<string, string>>,
  key: string,
  problems: ProblemList,
): boolean | null {
  const raw = metadata[key];
  if (raw === undefined) return null;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  problems.add(key, raw, 'must be "true" or "false"');
  return null;
}

function readExecutorFilter(metadata: Readonly<Record<string, string>>, problems: ProblemList): ExecutorFilter | null {
  const names = readList(metadata, MetadataKey.celeryExecutors, MAX_EXECUTOR_NAME, problems);
  const includeDefault = readBoolean(metadata, MetadataKey.celeryIsDefaultExecutor, problems);
  if (names === null && includeDefault === null) return null;
  const filter = { names: names ?? [], includeDefault: includeDefault ?? true };
  if (!filter.includeDefault && names === null) {
    problems.add(
      MetadataKey.celeryIsDefaultExecutor,
      'false',
      `counts no task unless ${MetadataKey.celeryExecutors} names the Celery executor`,
    );
  }
  return filter;
}

function readScaleIn(metadata: Readonly<Record<string, string>>, problems: ProblemList): ScaleInSpec {
  const rawPolicy = metadata[MetadataKey.scaleIn];
  let policy = DEFAULT_SCALE_IN_POLICY;
  if (rawPolicy !== undefined) {
    if ((SCALE_IN_POLICIES as readonly string[]).includes(rawPolicy)) policy = rawPolicy as ScaleInPolicy;
    else problems.add(MetadataKey.scaleIn, rawPolicy, `must be one of ${SCALE_IN_POLICIES.join(', ')}`);
  }
  const rawSelector = metadata[MetadataKey.workerPodSelector] ?? DEFAULT_WORKER_POD_SELECTOR;
  const podSelector = normaliseLabelSelector(rawSelector);
  if (podSelector === null) {
    problems.add(
      MetadataKey.workerPodSelector,
      rawSelector,
      'must be an equality-based label selector such as "component=worker,release=airflow"',
    );
  }
  return { policy, podSelector: podSelector ?? DEFAULT_WORKER_POD_SELECTOR };
}

/**
 * Turns KEDA's `scalerMetadata` string map into a validated spec. Every problem is reported at
 * once, each naming its key and value; nothing missing is guessed beyond the documented defaults.
 */
export function parseScalerMetadata(
  metadata: Readonly<Record<string, string>>,
  knownMetastores: ReadonlySet<string>,
): ParsedMetadata {
  const problems = new ProblemList();

  const metastore = metadata[MetadataKey.metastore] ?? DEFAULT_METASTORE;
  if (!METASTORE_NAME.test(metastore)) {
    problems.add(MetadataKey.metastore, metastore, 'must be a lowercase name of [a-z0-9-]');
  } else if (!knownMetastores.has(metastore)) {
    const known = [...knownMetastores].sort().join(', ');
    problems.add(MetadataKey.metastore, metastore, `is not a configured metastore (configured: ${known})`);
  }

  const queues = readList(metadata, MetadataKey.queues, MAX_QUEUE_NAME, problems) ?? [DEFAULT_QUEUE];
  const workerConcurrency =
    readInteger(metadata, MetadataKey.workerConcurrency, DEFAULT_WORKER_CONCURRENCY, 1, problems) ??
    DEFAULT_WORKER_CONCURRENCY;
  const minReplicaCount = readInteger(metadata, MetadataKey.minReplicaCount, 0, 0, problems) ?? 0;
  const maxReplicaCount = readInteger(metadata, MetadataKey.maxReplicaCount, null, 0, problems);
  const activationThreshold = readInteger(metadata, MetadataKey.activationThreshold, 0, 0, problems) ?? 0;
  const executorFilter = readExecutorFilter(metadata, problems);
  const scaleIn = readScaleIn(metadata, problems);

  if (maxReplicaCount !== null && maxReplicaCount < minReplicaCount) {
    problems.add(
      MetadataKey.maxReplicaCount,
      String(maxReplicaCount),
      `must be >= ${MetadataKey.minReplicaCount} (${minReplicaCount})`,
    );
  }

  if (problems.items.length > 0) {
    throw new ScalerError(ErrorCode.InvalidMetadata, `invalid scalerMetadata: ${problems.items.join('; ')}`, {
      problems: problems.items,
    });
  }

  const unknownKeys = Object.keys(metadata).filter((key) => !KNOWN_KEYS.has(key) && !KEDA_OWN_METADATA_KEYS.has(key));
  return {
    spec: {
      metastore,
      queues,
      executorFilter,
      workerConcurrency,
      minReplicaCount,
      maxReplicaCount,
      activationThreshold,
      scaleIn,
    },
    unknownKeys,
  };
}
