import { parseBrokerUrl } from './broker-url.js';
import { coerceError } from './errors.js';
import { DEFAULT_ELECTION_TIMING } from './leader-election.js';
import { METASTORE_NAME } from './metadata.js';
import type { MetastoreConnection } from './metastore-url.js';
import { METASTORE_URL_SHAPE, parseMetastoreUrl, withPassword } from './metastore-url.js';
import type { Validator } from './validation.js';

/*
 * The configuration sections that resolve values from elsewhere (variables named by
 * `urlFromEnv`, password files) and hold credentials. A secret value is never shown in a
 * problem: problems name the key and describe the value's shape.
 */

export interface MetastoreConfig {
  readonly name: string;
  /** Contains the password; log only `connection.display`. */
  readonly connection: MetastoreConnection;
  readonly poolSize: number;
}

/** Where the Kubernetes API is reached for worker pods, or null when scale-in ranking is off. */
export type KubernetesSource = { readonly kind: 'in-cluster' } | { readonly kind: 'kubeconfig'; readonly path: string };

/** The Lease (coordination.k8s.io/v1) that lets one scaler replica at a time act on worker pods. */
export interface LeaseConfig {
  readonly name: string;
  /** null: the scaler's own namespace (in-cluster), else the kubeconfig context's. */
  readonly namespace: string | null;
  /** client-go's leader-election timings; defaults 15 s, 10 s, 2 s as kube-controller-manager's. */
  readonly durationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface ScaleInConfig {
  readonly kubernetes: KubernetesSource | null;
  /** Upper bound on pod-deletion-cost patches, so a large scale-in never floods the API server. */
  readonly patchesPerSecond: number;
  /** The Celery broker (Redis) for cancel_consumer / add_consumer; contains credentials, never log it. */
  readonly broker: { readonly url: string; readonly replyTimeoutMs: number } | null;
  readonly lease: LeaseConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Sources {
  readonly env: Env;
  readonly readSecretFile?: (path: string) => string;
}

const ENV_VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value given directly, or through the variable `urlFromEnv` names; at most one of them. */
function direct(v: Validator, path: readonly string[], entry: Record<string, unknown>, env: Env): string | undefined {
  const url = v.text([...path, 'url'], entry['url'], 65_536);
  const fromEnv = v.text([...path, 'urlFromEnv'], entry['urlFromEnv'], 255);
  if (url !== undefined && fromEnv !== undefined) {
    v.note(path, 'needs at most one of url or urlFromEnv');
    return undefined;
  }
  if (fromEnv === undefined) return url;
  // Anything but a variable name may be the URL itself, pasted into the wrong key: never shown.
  if (!ENV_VARIABLE_NAME.test(fromEnv)) {
    v.note([...path, 'urlFromEnv'], 'must name an environment variable ([A-Za-z_][A-Za-z0-9_]*), not hold the URL (value not shown)');
    return undefined;
  }
  const resolved = env[fromEnv];
  if (resolved === undefined || resolved === '') {
    v.note([...path, 'urlFromEnv'], `names an unset variable, ${fromEnv}`);
    return undefined;
  }
  return resolved;
}

/** A password file's content: the whole file, less one trailing newline (as `echo` writes it). */
function readPassword(v: Validator, path: readonly string[], file: string, sources: Sources): string | undefined {
  if (sources.readSecretFile === undefined) {
    v.problem(path, file, 'cannot be read here (no file access)');
    return undefined;
  }
  let text: string;
  try {
    text = sources.readSecretFile(file);
  } catch (err) {
    v.problem(path, file, `cannot be read: ${coerceError(err).message}`);
    return undefined;
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') v.problem(path, file, 'is empty');
  return password === '' ? undefined : password;
}

export function readMetastores(v: Validator, value: unknown, sources: Sources, defaultPoolSize: number): MetastoreConfig[] {
  const map = v.mapping(['metastores'], value, null) ?? {};
  const metastores: MetastoreConfig[] = [];
  for (const [name, raw] of Object.entries(map)) {
    const path = ['metastores', name];
    if (!METASTORE_NAME.test(name)) v.note(path, 'is not a valid metastore name (lowercase [a-z0-9-], at most 63 characters)');
    const entry = v.mapping(path, raw, ['url', 'urlFromEnv', 'passwordFile', 'poolSize']);
    if (entry === undefined) continue;
    const poolSize = v.integer([...path, 'poolSize'], entry['poolSize'], { min: 1, max: 2 }) ?? defaultPoolSize;
    const passwordFile = v.text([...path, 'passwordFile'], entry['passwordFile'], 4_096);
    const url = direct(v, path, entry, sources.env);
    if (url === undefined) {
      if (entry['url'] === undefined && entry['urlFromEnv'] === undefined) v.note(path, 'needs exactly one of url or urlFromEnv');
      continue;
    }
    const parsed = parseMetastoreUrl(url);
    if (!parsed.ok) {
      v.problem([...path, 'url'], url, `${parsed.reason}; ${METASTORE_URL_SHAPE}`);
      continue;
    }
    let connection = parsed.value;
    if (passwordFile !== undefined) {
      if (connection.password !== undefined) {
        v.note([...path, 'passwordFile'], 'is set but the URL holds a password too; give the password in one place');
        continue;
      }
      const password = readPassword(v, [...path, 'passwordFile'], passwordFile, sources);
      if (password === undefined) continue;
      connection = withPassword(connection, password);
    }
    metastores.push({ name, connection, poolSize });
  }
  if (metastores.length === 0 && Object.keys(map).length === 0) {
    v.problems.push('no metastore configured: set SCALER_DATABASE_URL or metastores.<name>.url in the config file');
  }
  return metastores;
}

/** `auto`: in-cluster when the pod has a service account's API address, otherwise off. */
const KUBERNETES_MODES = ['auto', 'in-cluster', 'off'] as const;
/** A Lease name is a DNS subdomain; a namespace a DNS label (Kubernetes object names). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function readScaleIn(v: Validator, value: unknown, env: Env): ScaleInConfig {
  const raw = v.mapping(['scaleIn'], value, ['kubernetes', 'kubeconfig', 'patchesPerSecond', 'broker', 'lease']) ?? {};
  const mode = v.oneOf(['scaleIn', 'kubernetes'], raw['kubernetes'], KUBERNETES_MODES) ?? 'auto';
  const kubeconfig = v.text(['scaleIn', 'kubeconfig'], raw['kubeconfig'], 4_096);
  let kubernetes: KubernetesSource | null = null;
  if (mode !== 'off') {
    if (kubeconfig !== undefined) kubernetes = { kind: 'kubeconfig', path: kubeconfig };
    else if (mode === 'in-cluster' || (env['KUBERNETES_SERVICE_HOST'] ?? '') !== '') kubernetes = { kind: 'in-cluster' };
  }

  const path = ['scaleIn', 'broker'];
  const brokerRaw = v.mapping(path, raw['broker'], ['url', 'urlFromEnv', 'replyTimeoutMs']) ?? {};
  const replyTimeoutMs = v.integer([...path, 'replyTimeoutMs'], brokerRaw['replyTimeoutMs'], { min: 50, max: 60_000 }) ?? 1_000;
  let url = direct(v, path, brokerRaw, env);
  if (url !== undefined && !/^rediss?:\/\//i.test(url)) {
    v.problem([...path, 'url'], url, 'must start with redis:// or rediss:// (the Celery broker of the Airflow chart; other brokers are not supported for draining)');
    url = undefined;
  } else if (url !== undefined) {
    // The adapter parses it the same way; a bad URL is a startup error, not a silent "draining off".
    try {
      parseBrokerUrl(url);
    } catch (err) {
      v.problem([...path, 'url'], url, `is not usable: ${coerceError(err).message}`);
      url = undefined;
    }
  }

  const lease = v.mapping(['scaleIn', 'lease'], raw['lease'], ['name', 'namespace', 'durationMs', 'renewDeadlineMs', 'retryPeriodMs']) ?? {};
  const durationMs = v.integer(['scaleIn', 'lease', 'durationMs'], lease['durationMs'], { min: 1_000, max: 600_000 }) ?? DEFAULT_ELECTION_TIMING.leaseDurationMs;
  const renewDeadlineMs = v.integer(['scaleIn', 'lease', 'renewDeadlineMs'], lease['renewDeadlineMs'], { min: 500, max: 600_000 }) ?? Math.min(DEFAULT_ELECTION_TIMING.renewDeadlineMs, Math.floor((durationMs * 2) / 3));
  const retryPeriodMs = v.integer(['scaleIn', 'lease', 'retryPeriodMs'], lease['retryPeriodMs'], { min: 100, max: 60_000 }) ?? Math.min(DEFAULT_ELECTION_TIMING.retryPeriodMs, Math.floor(renewDeadlineMs / 5));
  // A leader must stop before anyone may take over, and try a few times before it stops.
  if (renewDeadlineMs >= durationMs) v.problem(['scaleIn', 'lease', 'renewDeadlineMs'], renewDeadlineMs, `must be shorter than scaleIn.lease.durationMs (${durationMs})`);
  if (retryPeriodMs * 2 > renewDeadlineMs) v.problem(['scaleIn', 'lease', 'retryPeriodMs'], retryPeriodMs, `must be at most half of scaleIn.lease.renewDeadlineMs (${renewDeadlineMs})`);
  const leaseName = v.text(['scaleIn', 'lease', 'name'], lease['name'], 253);
  if (leaseName !== undefined && !DNS_SUBDOMAIN.test(leaseName)) v.problem(['scaleIn', 'lease', 'name'], leaseName, 'must be a lowercase DNS subdomain name');
  const leaseNamespace = v.text(['scaleIn', 'lease', 'namespace'], lease['namespace'], 63);
  if (leaseNamespace !== undefined && !DNS_LABEL.test(leaseNamespace)) v.problem(['scaleIn', 'lease', 'namespace'], leaseNamespace, 'must be a lowercase DNS label');

  return {
    kubernetes,
    patchesPerSecond: v.integer(['scaleIn', 'patchesPerSecond'], raw['patchesPerSecond'], { min: 1, max: 1_000 }) ?? 10,
    broker: url === undefined ? null : { url, replyTimeoutMs },
    lease: { name: leaseName ?? 'airflow-keda-scaler', namespace: leaseNamespace ?? null, durationMs, renewDeadlineMs, retryPeriodMs },
  };
}
