import { DEFAULT_METASTORE } from './metadata.js';
import type { MetastoreConfig, ScaleInConfig } from './config-sections.js';
import { readMetastores, readScaleIn } from './config-sections.js';
import { ErrorCode, ScalerError } from './errors.js';
import { MAX_PUBLISHED_TARGETS } from './published-counts.js';
import type { Path } from './validation.js';
import { Validator, deepFreeze, joinPath } from './validation.js';

export type { KubernetesSource, LeaseConfig, MetastoreConfig, ScaleInConfig } from './config-sections.js';

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  readonly clientCaFile: string | null;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export interface ScalerConfig {
  readonly grpc: {
    readonly host: string;
    readonly port: number;
    readonly tls: TlsConfig | null;
    readonly keepaliveTimeMs: number;
    readonly keepaliveTimeoutMs: number;
  };
  readonly http: { readonly host: string; readonly port: number };
  readonly poll: {
    readonly intervalMs: number;
    readonly staleAfterMs: number;
    readonly queryTimeoutMs: number;
    readonly maxBackoffMs: number;
  };
  readonly metastores: readonly MetastoreConfig[];
  readonly scaleIn: ScaleInConfig;
  readonly limits: {
    readonly maxWorkerSets: number;
    readonly maxOpenStreams: number;
    readonly maxScaleInTargets: number;
  };
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly shutdownTimeoutMs: number;
}

/**
 * Every default, in one place; the README's configuration table follows it. `staleAfterMs` and
 * `queryTimeoutMs` are derived from `intervalMs` unless set (see parseConfig).
 */
export const DEFAULTS = {
  grpc: {
    /** All interfaces: in Kubernetes, KEDA and the probes reach the pod IP. */
    host: '0.0.0.0',
    port: 9090,
    /** KEDA's client sets no keepalive; the server pings to find dead connections. */
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
  },
  http: { host: '0.0.0.0', port: 8080 },
  poll: {
    /** One metastore read per second serves every ScaledObject (KEDA's own trigger queries per call). */
    intervalMs: 1_000,
    maxBackoffMs: 10_000,
  },
  /** Connections per metastore: one tick query at a time needs one; the second covers a reconnect. */
  poolSize: 2,
  limits: {
    /** Worker sets with series of their own (and scale-in plans); beyond it, answers stay right. */
    maxWorkerSets: 500,
    /** Open StreamIsActive/StreamMetricSpec streams; KEDA opens one per external-push trigger. */
    maxOpenStreams: 1_000,
    /**
     * Scale-in targets (a worker set's pods in one namespace), each a pod list per tick; beyond
     * it, the plain formula. Far above real use; it bounds the pod lists a client can cause.
     */
    maxScaleInTargets: 100,
  },
  logLevel: 'info',
  /** Below the deploy kit's terminationGracePeriodSeconds (15 s). */
  shutdownTimeoutMs: 8_000,
} as const;

/** Environment variables and the config path each one sets. Unknown `SCALER_*` variables are errors. */
export const ENV_VARS = {
  SCALER_DATABASE_URL: ['metastores', DEFAULT_METASTORE, 'url'],
  SCALER_DATABASE_PASSWORD_FILE: ['metastores', DEFAULT_METASTORE, 'passwordFile'],
  SCALER_GRPC_HOST: ['grpc', 'host'],
  SCALER_GRPC_PORT: ['grpc', 'port'],
  SCALER_TLS_CERT_FILE: ['grpc', 'tls', 'certFile'],
  SCALER_TLS_KEY_FILE: ['grpc', 'tls', 'keyFile'],
  SCALER_TLS_CLIENT_CA_FILE: ['grpc', 'tls', 'clientCaFile'],
  SCALER_HTTP_HOST: ['http', 'host'],
  SCALER_HTTP_PORT: ['http', 'port'],
  SCALER_POLL_INTERVAL_MS: ['poll', 'intervalMs'],
  SCALER_STALE_AFTER_MS: ['poll', 'staleAfterMs'],
  SCALER_QUERY_TIMEOUT_MS: ['poll', 'queryTimeoutMs'],
  SCALER_MAX_BACKOFF_MS: ['poll', 'maxBackoffMs'],
  SCALER_KUBERNETES: ['scaleIn', 'kubernetes'],
  SCALER_KUBECONFIG: ['scaleIn', 'kubeconfig'],
  SCALER_PATCHES_PER_SECOND: ['scaleIn', 'patchesPerSecond'],
  SCALER_BROKER_URL: ['scaleIn', 'broker', 'url'],
  SCALER_BROKER_REPLY_TIMEOUT_MS: ['scaleIn', 'broker', 'replyTimeoutMs'],
  SCALER_LEASE_NAME: ['scaleIn', 'lease', 'name'],
  SCALER_LEASE_NAMESPACE: ['scaleIn', 'lease', 'namespace'],
  SCALER_MAX_WORKER_SETS: ['limits', 'maxWorkerSets'],
  SCALER_MAX_OPEN_STREAMS: ['limits', 'maxOpenStreams'],
  SCALER_MAX_SCALE_IN_TARGETS: ['limits', 'maxScaleInTargets'],
  SCALER_LOG_LEVEL: ['logLevel'],
  SCALER_SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs'],
} as const satisfies Record<string, readonly string[]>;

/** Read by the CLI, not part of the config tree. */
export const CONFIG_FILE_ENV = 'SCALER_CONFIG_FILE';

/** Reads a file the configuration names (a password file); throws with a reason that holds no content. */
export type SecretFileReader = (path: string) => string;

export interface RawConfigInput {
  /** The parsed YAML file, or `{}` without one. */
  readonly file: unknown;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Needed only when a `passwordFile` is configured; config/ passes one that reads the file system. */
  readonly readSecretFile?: SecretFileReader;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[segment] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/** Metastore URLs, metastore entries or the whole map written as a plain value, and the broker URL. */
function isSecretPath(path: Path): boolean {
  // urlFromEnv too: an operator may paste the URL into it (a valid variable name is shown on its own).
  const secretKey = (key: unknown): boolean => key === 'url' || key === 'urlFromEnv';
  if (path[0] === 'scaleIn') return path[1] === 'broker' && (path.length < 3 || secretKey(path[2]));
  return path[0] === 'metastores' && (path.length < 3 || secretKey(path[2]));
}

export interface ConfigReading {
  /** Undefined when any problem was found. */
  readonly config: ScalerConfig | undefined;
  /**
   * Everything that could be read, with defaults where a value was wrong (undefined only when the
   * file is not a mapping): checks made elsewhere (TLS files, bind hosts) run on it, so their
   * problems are listed together with these.
   */
  readonly draft: ScalerConfig | undefined;
  readonly problems: readonly string[];
  /** How a key is named in problems (with the variable it came from), for checks made elsewhere. */
  readonly label: (path: Path) => string;
}

/**
 * Reads the configuration from a parsed file plus the environment (environment wins), reporting
 * every problem at once: each names its key (and the variable it came from) and shows the value,
 * except secrets, which are never shown. The result is deep-frozen.
 */
export function readConfig(input: RawConfigInput): ConfigReading {
  const file = input.file ?? {};
  if (typeof file !== 'object' || Array.isArray(file)) {
    return { config: undefined, draft: undefined, problems: ['the config file must be a YAML mapping'], label: joinPath };
  }
  const raw = structuredClone(file) as Record<string, unknown>;
  const sources = new Map<string, string>();
  const envProblems: string[] = [];
  for (const [name, value] of Object.entries(input.env)) {
    if (!name.startsWith('SCALER_') || name === CONFIG_FILE_ENV || value === undefined) continue;
    const path = (ENV_VARS as Record<string, readonly string[]>)[name];
    if (path === undefined) {
      envProblems.push(`${name} is not a known environment variable (known: ${Object.keys(ENV_VARS).join(', ')})`);
      continue;
    }
    setPath(raw, path, value);
    sources.set(joinPath(path), name);
  }
  const label = (path: Path): string => {
    const key = joinPath(path);
    const env = sources.get(key);
    return env === undefined ? key : `${key} (from ${env})`;
  };
  const v = new Validator({ label, isSecret: isSecretPath });
  v.problems.push(...envProblems);

  v.mapping([], raw, ['grpc', 'http', 'poll', 'metastores', 'scaleIn', 'limits', 'logLevel', 'shutdownTimeoutMs']);
  const grpc = v.mapping(['grpc'], raw['grpc'], ['host', 'port', 'tls', 'keepaliveTimeMs', 'keepaliveTimeoutMs']) ?? {};
  const http = v.mapping(['http'], raw['http'], ['host', 'port']) ?? {};
  const poll = v.mapping(['poll'], raw['poll'], ['intervalMs', 'staleAfterMs', 'queryTimeoutMs', 'maxBackoffMs']) ?? {};
  const limits = v.mapping(['limits'], raw['limits'], ['maxWorkerSets', 'maxOpenStreams', 'maxScaleInTargets']) ?? {};
  const port = { min: 0, max: 65_535 };

  const intervalMs = v.integer(['poll', 'intervalMs'], poll['intervalMs'], { min: 100, max: 600_000 }) ?? DEFAULTS.poll.intervalMs;
  const staleAfterMs = v.integer(['poll', 'staleAfterMs'], poll['staleAfterMs'], { min: 100, max: 3_600_000 }) ?? Math.max(5 * intervalMs, 3_000);
  const queryTimeoutMs =
    v.integer(['poll', 'queryTimeoutMs'], poll['queryTimeoutMs'], { min: 50, max: 600_000 }) ??
    Math.min(Math.max(2 * intervalMs, 1_000), staleAfterMs);
  if (staleAfterMs <= intervalMs) v.problem(['poll', 'staleAfterMs'], staleAfterMs, `must be greater than poll.intervalMs (${intervalMs})`);
  if (queryTimeoutMs > staleAfterMs) v.problem(['poll', 'queryTimeoutMs'], queryTimeoutMs, `must not exceed poll.staleAfterMs (${staleAfterMs})`);

  const grpcPort = v.integer(['grpc', 'port'], grpc['port'], port) ?? DEFAULTS.grpc.port;
  const httpPort = v.integer(['http', 'port'], http['port'], port) ?? DEFAULTS.http.port;
  if (grpcPort !== 0 && grpcPort === httpPort) v.problem(['grpc', 'port'], grpcPort, 'must differ from http.port');

  const config: ScalerConfig = {
    grpc: {
      host: v.text(['grpc', 'host'], grpc['host'], 255) ?? DEFAULTS.grpc.host,
      port: grpcPort,
      tls: readTls(v, grpc['tls']),
      keepaliveTimeMs: v.integer(['grpc', 'keepaliveTimeMs'], grpc['keepaliveTimeMs'], { min: 1_000, max: 3_600_000 }) ?? DEFAULTS.grpc.keepaliveTimeMs,
      keepaliveTimeoutMs:
        v.integer(['grpc', 'keepaliveTimeoutMs'], grpc['keepaliveTimeoutMs'], { min: 1_000, max: 600_000 }) ?? DEFAULTS.grpc.keepaliveTimeoutMs,
    },
    http: { host: v.text(['http', 'host'], http['host'], 255) ?? DEFAULTS.http.host, port: httpPort },
    poll: {
      intervalMs,
      staleAfterMs,
      queryTimeoutMs,
      maxBackoffMs: v.integer(['poll', 'maxBackoffMs'], poll['maxBackoffMs'], { min: 100, max: 600_000 }) ?? DEFAULTS.poll.maxBackoffMs,
    },
    metastores: readMetastores(v, raw['metastores'], input, DEFAULTS.poolSize),
    scaleIn: readScaleIn(v, raw['scaleIn'], input.env),
    limits: {
      maxWorkerSets: v.integer(['limits', 'maxWorkerSets'], limits['maxWorkerSets'], { min: 1, max: 100_000 }) ?? DEFAULTS.limits.maxWorkerSets,
      maxOpenStreams: v.integer(['limits', 'maxOpenStreams'], limits['maxOpenStreams'], { min: 1, max: 100_000 }) ?? DEFAULTS.limits.maxOpenStreams,
      // Every target must fit in the Lease, or the other replicas would answer lower than the leader.
      maxScaleInTargets:
        v.integer(['limits', 'maxScaleInTargets'], limits['maxScaleInTargets'], { min: 1, max: MAX_PUBLISHED_TARGETS }) ?? DEFAULTS.limits.maxScaleInTargets,
    },
    logLevel: v.oneOf(['logLevel'], raw['logLevel'], LOG_LEVELS) ?? DEFAULTS.logLevel,
    shutdownTimeoutMs: v.integer(['shutdownTimeoutMs'], raw['shutdownTimeoutMs'], { min: 100, max: 60_000 }) ?? DEFAULTS.shutdownTimeoutMs,
  };
  deepFreeze(config);
  return { config: v.ok ? config : undefined, draft: config, problems: v.problems, label };
}

function readTls(v: Validator, value: unknown): TlsConfig | null {
  const tls = v.mapping(['grpc', 'tls'], value, ['certFile', 'keyFile', 'clientCaFile']);
  if (tls === undefined) return null;
  for (const key of ['certFile', 'keyFile']) {
    if (tls[key] === undefined) v.note(['grpc', 'tls', key], 'is required when grpc.tls is set');
  }
  const certFile = v.text(['grpc', 'tls', 'certFile'], tls['certFile']);
  const keyFile = v.text(['grpc', 'tls', 'keyFile'], tls['keyFile']);
  const clientCaFile = v.text(['grpc', 'tls', 'clientCaFile'], tls['clientCaFile']) ?? null;
  return certFile === undefined || keyFile === undefined ? null : { certFile, keyFile, clientCaFile };
}

export function configError(problems: readonly string[]): ScalerError {
  return new ScalerError(ErrorCode.InvalidConfig, `invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
}

/** readConfig, throwing one ScalerError(InvalidConfig) that lists every problem. */
export function parseConfig(input: RawConfigInput): ScalerConfig {
  const { config, problems } = readConfig(input);
  if (config === undefined) throw configError(problems);
  return config;
}
