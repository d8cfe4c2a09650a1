import type { Path } from './config-reader.js';
import { parseBrokerUrl } from './broker-url.js';
import { ConfigReader } from './config-reader.js';
import { ErrorCode, ScalerError, coerceError } from './errors.js';
import { DEFAULT_METASTORE, describeValue } from './metadata.js';
import { normalizeMetastoreUrl, redactUrl } from './metastore-url.js';

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  readonly clientCaFile: string | null;
}

export interface MetastoreConfig {
  readonly name: string;
  /** Normalised to `postgresql://`; contains credentials, never log it (use redactUrl). */
  readonly url: string;
  readonly poolSize: number;
}

/** Where the Kubernetes API is reached for worker pods, or null when scale-in ranking is off. */
export type KubernetesSource = { readonly kind: 'in-cluster' } | { readonly kind: 'kubeconfig'; readonly path: string };

export interface ScaleInConfig {
  readonly kubernetes: KubernetesSource | null;
  /** Upper bound on pod-deletion-cost patches, so a large scale-in never floods the API server. */
  readonly patchesPerSecond: number;
  /** The Celery broker (Redis) for cancel_consumer / add_consumer; contains credentials, never log it. */
  readonly broker: { readonly url: string; readonly replyTimeoutMs: number } | null;
}

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
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  readonly shutdownTimeoutMs: number;
}

/** Environment variables and the config path each one sets. Unknown `SCALER_*` variables are errors. */
export const ENV_VARS = {
  SCALER_DATABASE_URL: ['metastores', DEFAULT_METASTORE, 'url'],
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
  SCALER_LOG_LEVEL: ['logLevel'],
  SCALER_SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs'],
} as const satisfies Record<string, readonly string[]>;

/** Read by the CLI, not part of the config tree. */
export const CONFIG_FILE_ENV = 'SCALER_CONFIG_FILE';

const METASTORE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
/** `auto`: in-cluster when the pod has a service account's API address, otherwise off. */
const KUBERNETES_MODES = ['auto', 'in-cluster', 'off'] as const;
const BROKER_SCHEME = /^rediss?:\/\//;

interface RawMetastore {
  readonly url: string | undefined;
  readonly urlFromEnv: string | undefined;
  readonly poolSize: number;
}

interface Structure {
  readonly grpc: ScalerConfig['grpc'];
  readonly http: ScalerConfig['http'];
  readonly poll: { intervalMs: number; staleAfterMs: number | undefined; queryTimeoutMs: number | undefined; maxBackoffMs: number };
  readonly metastores: Record<string, RawMetastore>;
  readonly scaleIn: {
    readonly kubernetes: (typeof KUBERNETES_MODES)[number];
    readonly kubeconfig: string | undefined;
    readonly patchesPerSecond: number;
    readonly broker: { readonly url: string | undefined; readonly urlFromEnv: string | undefined; readonly replyTimeoutMs: number };
  };
  readonly logLevel: ScalerConfig['logLevel'];
  readonly shutdownTimeoutMs: number;
}

/** Shape and ranges of every key, with defaults; undefined when any problem was found. */
function readStructure(raw: Record<string, unknown>, label: (path: Path) => string, problems: string[]): Structure | undefined {
  const r = new ConfigReader(label, shownValue);
  r.mapping([], raw, ['grpc', 'http', 'poll', 'metastores', 'scaleIn', 'logLevel', 'shutdownTimeoutMs']);
  const grpc = r.mapping(['grpc'], raw['grpc'], ['host', 'port', 'tls', 'keepaliveTimeMs', 'keepaliveTimeoutMs']) ?? {};
  const tls = r.mapping(['grpc', 'tls'], grpc['tls'], ['certFile', 'keyFile', 'clientCaFile']);
  const http = r.mapping(['http'], raw['http'], ['host', 'port']) ?? {};
  const poll = r.mapping(['poll'], raw['poll'], ['intervalMs', 'staleAfterMs', 'queryTimeoutMs', 'maxBackoffMs']) ?? {};
  const metastoreMap = r.mapping(['metastores'], raw['metastores'], null) ?? {};
  const scaleIn = r.mapping(['scaleIn'], raw['scaleIn'], ['kubernetes', 'kubeconfig', 'patchesPerSecond', 'broker']) ?? {};
  const broker = r.mapping(['scaleIn', 'broker'], scaleIn['broker'], ['url', 'urlFromEnv', 'replyTimeoutMs']) ?? {};

  const metastores: Record<string, RawMetastore> = {};
  for (const [name, value] of Object.entries(metastoreMap)) {
    const path = ['metastores', name];
    const entry = r.mapping(path, value, ['url', 'urlFromEnv', 'poolSize']);
    if (entry === undefined) continue;
    metastores[name] = {
      url: r.text([...path, 'url'], entry['url']),
      urlFromEnv: r.text([...path, 'urlFromEnv'], entry['urlFromEnv']),
      poolSize: r.integer([...path, 'poolSize'], entry['poolSize'], 1, 2) ?? 2,
    };
  }

  let tlsConfig: TlsConfig | null = null;
  if (tls !== undefined) {
    for (const key of ['certFile', 'keyFile']) {
      if (tls[key] === undefined) problems.push(`${label(['grpc', 'tls', key])} is required when grpc.tls is set`);
    }
    const certFile = r.text(['grpc', 'tls', 'certFile'], tls['certFile']);
    const keyFile = r.text(['grpc', 'tls', 'keyFile'], tls['keyFile']);
    const clientCaFile = r.text(['grpc', 'tls', 'clientCaFile'], tls['clientCaFile']) ?? null;
    if (certFile !== undefined && keyFile !== undefined) tlsConfig = { certFile, keyFile, clientCaFile };
  }

  const structure: Structure = {
    grpc: {
      host: r.text(['grpc', 'host'], grpc['host']) ?? '0.0.0.0',
      port: r.integer(['grpc', 'port'], grpc['port'], 0, 65_535) ?? 9090,
      tls: tlsConfig,
      keepaliveTimeMs: r.integer(['grpc', 'keepaliveTimeMs'], grpc['keepaliveTimeMs'], 1_000, 3_600_000) ?? 30_000,
      keepaliveTimeoutMs: r.integer(['grpc', 'keepaliveTimeoutMs'], grpc['keepaliveTimeoutMs'], 1_000, 600_000) ?? 10_000,
    },
    http: {
      host: r.text(['http', 'host'], http['host']) ?? '0.0.0.0',
      port: r.integer(['http', 'port'], http['port'], 0, 65_535) ?? 8080,
    },
    poll: {
      intervalMs: r.integer(['poll', 'intervalMs'], poll['intervalMs'], 100, 600_000) ?? 1_000,
      staleAfterMs: r.integer(['poll', 'staleAfterMs'], poll['staleAfterMs'], 100, 3_600_000),
      queryTimeoutMs: r.integer(['poll', 'queryTimeoutMs'], poll['queryTimeoutMs'], 50, 600_000),
      maxBackoffMs: r.integer(['poll', 'maxBackoffMs'], poll['maxBackoffMs'], 100, 600_000) ?? 10_000,
    },
    metastores,
    scaleIn: {
      kubernetes: r.oneOf(['scaleIn', 'kubernetes'], scaleIn['kubernetes'], KUBERNETES_MODES) ?? 'auto',
      kubeconfig: r.text(['scaleIn', 'kubeconfig'], scaleIn['kubeconfig']),
      patchesPerSecond: r.integer(['scaleIn', 'patchesPerSecond'], scaleIn['patchesPerSecond'], 1, 1_000) ?? 10,
      broker: {
        url: r.text(['scaleIn', 'broker', 'url'], broker['url']),
        urlFromEnv: r.text(['scaleIn', 'broker', 'urlFromEnv'], broker['urlFromEnv']),
        replyTimeoutMs: r.integer(['scaleIn', 'broker', 'replyTimeoutMs'], broker['replyTimeoutMs'], 50, 60_000) ?? 1_000,
      },
    },
    logLevel: r.oneOf(['logLevel'], raw['logLevel'], LOG_LEVELS) ?? 'info',
    shutdownTimeoutMs: r.integer(['shutdownTimeoutMs'], raw['shutdownTimeoutMs'], 100, 60_000) ?? 8_000,
  };
  problems.push(...r.problems);
  return problems.length > 0 ? undefined : structure;
}

export interface RawConfigInput {
  /** The parsed YAML file, or `{}` without one. */
  readonly file: unknown;
  readonly env: Readonly<Record<string, string | undefined>>;
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

/** A metastore URL, or a metastore entry or the whole map written as a plain value (which may hold a URL). */
function isSecretPath(path: readonly PropertyKey[]): boolean {
  if (path[0] === 'scaleIn') return path[1] === 'broker' && (path.length < 3 || path[2] === 'url');
  return path[0] === 'metastores' && (path.length < 3 || path[2] === 'url');
}

function shownValue(path: readonly PropertyKey[], value: unknown): string {
  if (typeof value === 'string') return describeValue(isSecretPath(path) ? redactUrl(value) : value);
  if (value === undefined) return '(missing)';
  if (isSecretPath(path)) return '(not shown)';
  return describeValue(JSON.stringify(value));
}


function resolveScaleIn(
  raw: Structure['scaleIn'],
  env: RawConfigInput['env'],
  label: (path: Path) => string,
  problems: string[],
): ScaleInConfig {
  let kubernetes: KubernetesSource | null = null;
  if (raw.kubernetes !== 'off') {
    if (raw.kubeconfig !== undefined) kubernetes = { kind: 'kubeconfig', path: raw.kubeconfig };
    else if (raw.kubernetes === 'in-cluster' || (env['KUBERNETES_SERVICE_HOST'] ?? '') !== '') kubernetes = { kind: 'in-cluster' };
  }

  const path = ['scaleIn', 'broker'];
  if (raw.broker.url !== undefined && raw.broker.urlFromEnv !== undefined) {
    problems.push(`${label(path)} needs at most one of url or urlFromEnv`);
  }
  let url = raw.broker.url;
  if (raw.broker.urlFromEnv !== undefined) {
    url = env[raw.broker.urlFromEnv];
    if (url === undefined || url === '') {
      problems.push(`${label([...path, 'urlFromEnv'])}=${describeValue(raw.broker.urlFromEnv)} names an unset variable`);
      url = undefined;
    }
  }
  if (url !== undefined && !BROKER_SCHEME.test(url)) {
    problems.push(
      `${label([...path, 'url'])}=${describeValue(redactUrl(url))} must start with redis:// or rediss:// ` +
        '(the Celery broker of the Airflow chart; other brokers are not supported for draining)',
    );
    url = undefined;
  } else if (url !== undefined) {
    // The adapter parses it the same way; a bad URL is a startup error, not a silent "draining off".
    try {
      parseBrokerUrl(url);
    } catch (err) {
      problems.push(`${label([...path, 'url'])}=${describeValue(redactUrl(url))} is not usable: ${coerceError(err).message}`);
      url = undefined;
    }
  }
  return {
    kubernetes,
    patchesPerSecond: raw.patchesPerSecond,
    broker: url === undefined ? null : { url, replyTimeoutMs: raw.broker.replyTimeoutMs },
  };
}

/**
 * Builds the configuration from a parsed file plus the environment (environment wins).
 * Collects every problem, each naming its key (and env var) and value, and throws them together.
 */
export function parseConfig(input: RawConfigInput): ScalerConfig {
  const problems: string[] = [];
  const sources = new Map<string, string>();
  const file = input.file ?? {};
  if (typeof file !== 'object' || Array.isArray(file)) {
    throw new ScalerError(ErrorCode.InvalidConfig, 'invalid configuration: the config file must be a YAML mapping');
  }
  const raw = structuredClone(file) as Record<string, unknown>;

  for (const [name, value] of Object.entries(input.env)) {
    if (!name.startsWith('SCALER_') || name === CONFIG_FILE_ENV || value === undefined) continue;
    const path = (ENV_VARS as Record<string, readonly string[]>)[name];
    if (path === undefined) {
      problems.push(`${name} is not a known environment variable (known: ${Object.keys(ENV_VARS).join(', ')})`);
      continue;
    }
    setPath(raw, path, value);
    sources.set(path.join('.'), name);
  }

  const label = (path: readonly PropertyKey[]): string => {
    const key = path.map(String).join('.');
    const env = sources.get(key);
    return env === undefined ? key : `${key} (from ${env})`;
  };

  const parsed = readStructure(raw, label, problems);
  if (parsed === undefined) {
    throw new ScalerError(ErrorCode.InvalidConfig, `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      problems,
    });
  }

  const metastores: MetastoreConfig[] = [];
  for (const [name, entry] of Object.entries(parsed.metastores)) {
    const path = ['metastores', name];
    if (!METASTORE_NAME.test(name)) {
      problems.push(`${label(path)} is not a valid metastore name (lowercase [a-z0-9-], at most 63 characters)`);
    }
    if ((entry.url === undefined) === (entry.urlFromEnv === undefined)) {
      problems.push(`${label(path)} needs exactly one of url or urlFromEnv`);
      continue;
    }
    let url = entry.url;
    if (entry.urlFromEnv !== undefined) {
      url = input.env[entry.urlFromEnv];
      if (url === undefined || url === '') {
        problems.push(`${label([...path, 'urlFromEnv'])}=${describeValue(entry.urlFromEnv)} names an unset variable`);
        continue;
      }
    }
    const check = normalizeMetastoreUrl(url ?? '');
    if (!check.ok) {
      problems.push(`${label([...path, 'url'])}=${describeValue(redactUrl(url ?? ''))} ${check.reason}`);
      continue;
    }
    metastores.push({ name, url: check.url, poolSize: entry.poolSize });
  }
  if (metastores.length === 0 && problems.length === 0) {
    problems.push('no metastore configured: set SCALER_DATABASE_URL or metastores.<name>.url in the config file');
  }

  const intervalMs = parsed.poll.intervalMs;
  const staleAfterMs = parsed.poll.staleAfterMs ?? Math.max(5 * intervalMs, 3_000);
  const queryTimeoutMs = parsed.poll.queryTimeoutMs ?? Math.min(Math.max(2 * intervalMs, 1_000), staleAfterMs);
  if (staleAfterMs <= intervalMs) {
    problems.push(`${label(['poll', 'staleAfterMs'])}=${staleAfterMs} must be greater than poll.intervalMs (${intervalMs})`);
  }
  if (queryTimeoutMs > staleAfterMs) {
    problems.push(
      `${label(['poll', 'queryTimeoutMs'])}=${queryTimeoutMs} must not exceed poll.staleAfterMs (${staleAfterMs})`,
    );
  }
  const scaleIn = resolveScaleIn(parsed.scaleIn, input.env, label, problems);
  if (parsed.grpc.port !== 0 && parsed.grpc.port === parsed.http.port) {
    problems.push(`${label(['grpc', 'port'])}=${parsed.grpc.port} must differ from http.port`);
  }

  if (problems.length > 0) {
    throw new ScalerError(ErrorCode.InvalidConfig, `invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      problems,
    });
  }

  return {
    grpc: {
      host: parsed.grpc.host,
      port: parsed.grpc.port,
      tls: parsed.grpc.tls,
      keepaliveTimeMs: parsed.grpc.keepaliveTimeMs,
      keepaliveTimeoutMs: parsed.grpc.keepaliveTimeoutMs,
    },
    http: parsed.http,
    poll: { intervalMs, staleAfterMs, queryTimeoutMs, maxBackoffMs: parsed.poll.maxBackoffMs },
    metastores,
    scaleIn,
    logLevel: parsed.logLevel,
    shutdownTimeoutMs: parsed.shutdownTimeoutMs,
  };
}
