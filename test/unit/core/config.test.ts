import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CONFIG_FILE_ENV, ENV_VARS, parseConfig } from '../../../src/core/config.js';
import type { RawConfigInput, ScalerConfig } from '../../../src/core/config.js';
import { ErrorCode, ScalerError } from '../../../src/core/errors.js';

const DB_URL = 'postgresql://airflow:pw@pgbouncer:6432/airflow';
const SECRET = 's3cret';
const DB_CONNECTION = { host: 'pgbouncer', port: 6432, user: 'airflow', password: 'pw', database: 'airflow', params: {}, display: 'postgresql://airflow@pgbouncer:6432/airflow' };

function parse(file: unknown, env: RawConfigInput['env'] = {}): ScalerConfig {
  return parseConfig({ file, env });
}

function parseError(file: unknown, env: RawConfigInput['env'] = {}): ScalerError {
  try {
    parseConfig({ file, env });
  } catch (err) {
    expect(err).toBeInstanceOf(ScalerError);
    const scalerError = err as ScalerError;
    expect(scalerError.code).toBe(ErrorCode.InvalidConfig);
    return scalerError;
  }
  throw new Error('expected parseConfig to throw');
}

/** Everything a ScalerError exposes as text, for "does not leak" checks. */
function allText(err: ScalerError): string {
  return [err.message, ...err.problems, String(err.stack)].join('\n');
}

describe('parseConfig defaults', () => {
  it('applies the documented defaults with only SCALER_DATABASE_URL set', () => {
    const config = parse({}, { SCALER_DATABASE_URL: DB_URL });
    expect(config).toEqual({
      grpc: { host: '0.0.0.0', port: 9090, tls: null, keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 10_000 },
      http: { host: '0.0.0.0', port: 8080 },
      poll: { intervalMs: 1_000, staleAfterMs: 5_000, queryTimeoutMs: 2_000, maxBackoffMs: 10_000 },
      metastores: [{ name: 'default', connection: DB_CONNECTION, poolSize: 2 }],
      scaleIn: { kubernetes: null, patchesPerSecond: 10, broker: null, lease: { name: 'airflow-keda-scaler', namespace: null, durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } },
      limits: { maxWorkerSets: 500, maxOpenStreams: 1_000, maxScaleInTargets: 100 },
      logLevel: 'info',
      shutdownTimeoutMs: 8_000,
    });
  });

  it('treats a null file (empty YAML document) like no file', () => {
    expect(parse(null, { SCALER_DATABASE_URL: DB_URL }).grpc.port).toBe(9090);
  });

  it('derives staleAfterMs as 5 × intervalMs, at least 3000', () => {
    expect(parse({}, { SCALER_DATABASE_URL: DB_URL, SCALER_POLL_INTERVAL_MS: '2000' }).poll.staleAfterMs).toBe(10_000);
    expect(parse({}, { SCALER_DATABASE_URL: DB_URL, SCALER_POLL_INTERVAL_MS: '100' }).poll.staleAfterMs).toBe(3_000);
  });

  it('derives queryTimeoutMs as 2 × intervalMs, at least 1000 and at most staleAfterMs', () => {
    const at = (env: Record<string, string>) => parse({}, { SCALER_DATABASE_URL: DB_URL, ...env }).poll.queryTimeoutMs;
    expect(at({ SCALER_POLL_INTERVAL_MS: '2000' })).toBe(4_000);
    expect(at({ SCALER_POLL_INTERVAL_MS: '100' })).toBe(1_000);
    expect(at({ SCALER_POLL_INTERVAL_MS: '2000', SCALER_STALE_AFTER_MS: '2500' })).toBe(2_500);
  });
});

describe('parseConfig sources', () => {
  it('reads every value from the file', () => {
    const config = parse({
      grpc: {
        host: '127.0.0.1',
        port: 19090,
        tls: { certFile: '/tls/crt', keyFile: '/tls/key', clientCaFile: '/tls/ca' },
        keepaliveTimeMs: 60_000,
        keepaliveTimeoutMs: 20_000,
      },
      http: { host: '127.0.0.2', port: 18080 },
      poll: { intervalMs: 500, staleAfterMs: 4_000, queryTimeoutMs: 1_500, maxBackoffMs: 20_000 },
      metastores: { main: { url: DB_URL, poolSize: 1 } },
      scaleIn: {
        kubernetes: 'in-cluster',
        patchesPerSecond: 3,
        broker: { url: 'redis://:pw@airflow-redis:6379/0', replyTimeoutMs: 700 },
        lease: { name: 'scaler-lease', namespace: 'airflow', durationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 4_000 },
      },
      limits: { maxWorkerSets: 50, maxOpenStreams: 200, maxScaleInTargets: 30 },
      logLevel: 'debug',
      shutdownTimeoutMs: 5_000,
    });
    expect(config).toEqual({
      grpc: {
        host: '127.0.0.1',
        port: 19090,
        tls: { certFile: '/tls/crt', keyFile: '/tls/key', clientCaFile: '/tls/ca' },
        keepaliveTimeMs: 60_000,
        keepaliveTimeoutMs: 20_000,
      },
      http: { host: '127.0.0.2', port: 18080 },
      poll: { intervalMs: 500, staleAfterMs: 4_000, queryTimeoutMs: 1_500, maxBackoffMs: 20_000 },
      metastores: [{ name: 'main', connection: DB_CONNECTION, poolSize: 1 }],
      scaleIn: {
        kubernetes: { kind: 'in-cluster' },
        patchesPerSecond: 3,
        broker: { url: 'redis://:pw@airflow-redis:6379/0', replyTimeoutMs: 700 },
        lease: { name: 'scaler-lease', namespace: 'airflow', durationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 4_000 },
      },
      limits: { maxWorkerSets: 50, maxOpenStreams: 200, maxScaleInTargets: 30 },
      logLevel: 'debug',
      shutdownTimeoutMs: 5_000,
    });
  });

  it('lets every SCALER_* environment variable override the file', () => {
    const config = parse(
      { grpc: { port: 1 }, http: { port: 2 }, poll: { intervalMs: 700 }, logLevel: 'error' },
      {
        SCALER_DATABASE_URL: DB_URL,
        SCALER_GRPC_HOST: '::',
        SCALER_GRPC_PORT: '7000',
        SCALER_TLS_CERT_FILE: '/c',
        SCALER_TLS_KEY_FILE: '/k',
        SCALER_TLS_CLIENT_CA_FILE: '/ca',
        SCALER_HTTP_HOST: '127.0.0.1',
        SCALER_HTTP_PORT: '7001',
        SCALER_POLL_INTERVAL_MS: '2000',
        SCALER_STALE_AFTER_MS: '12000',
        SCALER_QUERY_TIMEOUT_MS: '3000',
        SCALER_MAX_BACKOFF_MS: '30000',
        SCALER_LOG_LEVEL: 'warn',
        SCALER_SHUTDOWN_TIMEOUT_MS: '9000',
        SCALER_KUBERNETES: 'in-cluster',
        SCALER_KUBECONFIG: '/etc/kube/config',
        SCALER_PATCHES_PER_SECOND: '20',
        SCALER_BROKER_URL: 'rediss://:pw@redis:6380/1',
        SCALER_BROKER_REPLY_TIMEOUT_MS: '2500',
        SCALER_LEASE_NAME: 'my-lease',
        SCALER_LEASE_NAMESPACE: 'scalers',
        SCALER_MAX_WORKER_SETS: '20',
        SCALER_MAX_OPEN_STREAMS: '40',
        SCALER_MAX_SCALE_IN_TARGETS: '60',
      },
    );
    expect(config.scaleIn).toEqual({
      kubernetes: { kind: 'kubeconfig', path: '/etc/kube/config' },
      patchesPerSecond: 20,
      broker: { url: 'rediss://:pw@redis:6380/1', replyTimeoutMs: 2_500 },
      lease: { name: 'my-lease', namespace: 'scalers', durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
    expect(config.limits).toEqual({ maxWorkerSets: 20, maxOpenStreams: 40, maxScaleInTargets: 60 });
    expect(config.grpc.host).toBe('::');
    expect(config.grpc.port).toBe(7000);
    expect(config.grpc.tls).toEqual({ certFile: '/c', keyFile: '/k', clientCaFile: '/ca' });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(config.poll).toEqual({ intervalMs: 2_000, staleAfterMs: 12_000, queryTimeoutMs: 3_000, maxBackoffMs: 30_000 });
    expect(config.logLevel).toBe('warn');
    expect(config.shutdownTimeoutMs).toBe(9_000);
    expect(config.metastores).toEqual([{ name: 'default', connection: DB_CONNECTION, poolSize: 2 }]);
  });

  it('covers every documented environment variable in the override test above', () => {
    expect(Object.keys(ENV_VARS)).toHaveLength(25);
  });

  it('merges SCALER_DATABASE_URL into a file-defined default metastore', () => {
    const config = parse({ metastores: { default: { poolSize: 1 } } }, { SCALER_DATABASE_URL: DB_URL });
    expect(config.metastores).toEqual([{ name: 'default', connection: DB_CONNECTION, poolSize: 1 }]);
  });

  it('keeps file-defined metastores next to SCALER_DATABASE_URL', () => {
    const other = 'postgresql://u:p@other/db';
    const config = parse({ metastores: { analytics: { url: other } } }, { SCALER_DATABASE_URL: DB_URL });
    expect(config.metastores.map((m) => m.name).sort()).toEqual(['analytics', 'default']);
  });

  it('ignores SCALER_CONFIG_FILE, non-SCALER variables and undefined values', () => {
    const config = parse(
      {},
      { SCALER_DATABASE_URL: DB_URL, [CONFIG_FILE_ENV]: '/etc/scaler.yaml', PATH: '/bin', HOME: '/root', SCALER_GRPC_PORT: undefined },
    );
    expect(config.grpc.port).toBe(9090);
  });

  it('does not mutate the parsed file object', () => {
    const file = { grpc: { port: 1234 } };
    parse(file, { SCALER_DATABASE_URL: DB_URL, SCALER_GRPC_PORT: '4321' });
    expect(file).toEqual({ grpc: { port: 1234 } });
  });

  it('reads a metastore URL from the variable named by urlFromEnv', () => {
    const config = parse({ metastores: { main: { urlFromEnv: 'MY_DB_URL' } } }, { MY_DB_URL: DB_URL });
    expect(config.metastores).toEqual([{ name: 'main', connection: DB_CONNECTION, poolSize: 2 }]);
  });
});

describe('parseConfig metastore connections', () => {
  it.each(['postgresql+psycopg2://airflow:pw@pgbouncer:6432/airflow', 'postgres://airflow:pw@pgbouncer:6432/airflow', 'host=pgbouncer port=6432 dbname=airflow user=airflow password=pw'])(
    'reads %s as the same connection',
    (raw) => {
      expect(parse({}, { SCALER_DATABASE_URL: raw }).metastores[0]?.connection).toEqual(DB_CONNECTION);
    },
  );

  it('takes the password from passwordFile, less one trailing newline, so it needs no encoding', () => {
    const files: Record<string, string> = { '/run/secrets/pw': 'p@ss/w:rd?#\n' };
    const config = parseConfig({
      file: {},
      env: { SCALER_DATABASE_URL: 'postgresql://airflow@pgbouncer:6432/airflow', SCALER_DATABASE_PASSWORD_FILE: '/run/secrets/pw' },
      readSecretFile: (path) => files[path] ?? '',
    });
    expect(config.metastores[0]?.connection.password).toBe('p@ss/w:rd?#');
  });

  it('names an unreadable, empty or doubled password file without showing a password', () => {
    const readSecretFile = (path: string): string => {
      if (path === '/empty') return '\n';
      throw new Error('ENOENT: no such file or directory');
    };
    const problems = (env: Record<string, string>): readonly string[] => {
      try {
        parseConfig({ file: {}, env, readSecretFile });
      } catch (err) {
        return (err as ScalerError).problems;
      }
      return [];
    };
    expect(problems({ SCALER_DATABASE_URL: 'postgresql://a@db/x', SCALER_DATABASE_PASSWORD_FILE: '/missing' })).toEqual([
      'metastores.default.passwordFile (from SCALER_DATABASE_PASSWORD_FILE)="/missing" cannot be read: ENOENT: no such file or directory',
    ]);
    expect(problems({ SCALER_DATABASE_URL: 'postgresql://a@db/x', SCALER_DATABASE_PASSWORD_FILE: '/empty' })).toEqual([
      'metastores.default.passwordFile (from SCALER_DATABASE_PASSWORD_FILE)="/empty" is empty',
    ]);
    const doubled = problems({ SCALER_DATABASE_URL: `postgresql://a:${SECRET}@db/x`, SCALER_DATABASE_PASSWORD_FILE: '/empty' });
    expect(doubled).toEqual([expect.stringContaining('the URL holds a password too')]);
    expect(doubled.join('')).not.toContain(SECRET);
  });
});

describe('parseConfig scale-in', () => {
  it('uses the in-cluster API automatically inside a pod and not outside one', () => {
    expect(parse({}, { SCALER_DATABASE_URL: DB_URL, KUBERNETES_SERVICE_HOST: '10.0.0.1' }).scaleIn.kubernetes).toEqual({ kind: 'in-cluster' });
    expect(parse({}, { SCALER_DATABASE_URL: DB_URL }).scaleIn.kubernetes).toBeNull();
    expect(parse({ scaleIn: { kubernetes: 'off' } }, { SCALER_DATABASE_URL: DB_URL, KUBERNETES_SERVICE_HOST: '10.0.0.1' }).scaleIn.kubernetes).toBeNull();
  });

  it("reads the broker URL from the variable urlFromEnv names (the chart's AIRFLOW__CELERY__BROKER_URL)", () => {
    const config = parse(
      { scaleIn: { broker: { urlFromEnv: 'AIRFLOW__CELERY__BROKER_URL' } } },
      { SCALER_DATABASE_URL: DB_URL, AIRFLOW__CELERY__BROKER_URL: 'redis://:pw@airflow-redis:6379/0' },
    );
    expect(config.scaleIn.broker).toEqual({ url: 'redis://:pw@airflow-redis:6379/0', replyTimeoutMs: 1_000 });
  });

  it('rejects a non-Redis broker naming the key without showing its password', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_BROKER_URL: `amqp://user:${SECRET}@rabbit:5672//` });
    expect(err.problems).toEqual([
      'scaleIn.broker.url (from SCALER_BROKER_URL)=(not shown) must start with redis:// or rediss:// ' +
        '(the Celery broker of the Airflow chart; other brokers are not supported for draining)',
    ]);
    expect(allText(err)).not.toContain(SECRET);
  });

  it('rejects a Redis broker URL the Celery adapter could not use, naming the key without its password', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_BROKER_URL: `redis://:${SECRET}@redis:6379/zero` });
    expect(err.problems).toEqual([
      'scaleIn.broker.url (from SCALER_BROKER_URL)=(not shown) is not usable: ' +
        'invalid Celery broker URL: the path must be a database number',
    ]);
    expect(allText(err)).not.toContain(SECRET);
  });

  it('rejects unknown scaleIn keys, a bad kubernetes mode and an unset urlFromEnv all at once', () => {
    const err = parseError(
      { scaleIn: { kubernets: 'auto', kubernetes: 'yes', broker: { urlFromEnv: 'NOPE' } } },
      { SCALER_DATABASE_URL: DB_URL },
    );
    expect(err.problems).toEqual([
      'scaleIn.kubernets is not a known key (did you mean "kubernetes"?)',
      'scaleIn.kubernetes="yes" must be one of auto, in-cluster, off',
      'scaleIn.broker.urlFromEnv names an unset variable, NOPE',
    ]);
  });

  it('names an unset urlFromEnv variable', () => {
    const err = parseError({ scaleIn: { broker: { urlFromEnv: 'NOPE' } } }, { SCALER_DATABASE_URL: DB_URL });
    expect(err.problems).toEqual(['scaleIn.broker.urlFromEnv names an unset variable, NOPE']);
  });
});

describe('parseConfig errors', () => {
  it('reports a missing metastore', () => {
    const err = parseError({}, {});
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('no metastore configured');
    expect(err.problems[0]).toContain('SCALER_DATABASE_URL');
  });

  it('rejects a file that is not a mapping', () => {
    expect(parseError(['a']).message).toContain('mapping');
    expect(parseError('grpc: 1').message).toContain('mapping');
    expect(parseError(42).message).toContain('mapping');
  });

  it('rejects unknown keys at the top level, in sections and in metastore entries', () => {
    const err = parseError({
      bogus: 1,
      grpc: { prot: 9090 },
      poll: { interval: 1000 },
      metastores: { default: { url: DB_URL, pool: 3 } },
    });
    expect(err.problems).toEqual(
      expect.arrayContaining([
        'bogus is not a known key',
        'grpc.prot is not a known key (did you mean "port"?)',
        'poll.interval is not a known key (did you mean "intervalMs"?)',
        'metastores.default.pool is not a known key (did you mean "poolSize"?)',
      ]),
    );
    expect(err.problems).toHaveLength(4);
  });

  it('rejects an unknown SCALER_* environment variable, listing the known ones', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_GRPC_PROT: '1' });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('SCALER_GRPC_PROT is not a known environment variable');
    expect(err.problems[0]).toContain('SCALER_GRPC_PORT');
  });

  it('names the environment variable and its value when an env value is invalid', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_POLL_INTERVAL_MS: 'abc' });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('poll.intervalMs (from SCALER_POLL_INTERVAL_MS)="abc"');
  });

  it.each([
    ['SCALER_GRPC_PORT', '1.5'],
    ['SCALER_GRPC_PORT', '-1'],
    ['SCALER_HTTP_PORT', '70000'],
    ['SCALER_POLL_INTERVAL_MS', '50'],
    ['SCALER_MAX_BACKOFF_MS', ''],
    ['SCALER_LOG_LEVEL', 'verbose'],
    ['SCALER_SHUTDOWN_TIMEOUT_MS', '1e3'],
    ['SCALER_GRPC_HOST', ''],
  ])('rejects %s=%j naming the variable and the value', (name, value) => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, [name]: value });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(`(from ${name})=${JSON.stringify(value)}`);
  });

  it('names the file key and value when a file value is invalid', () => {
    const err = parseError({ grpc: { port: 1.5 } }, { SCALER_DATABASE_URL: DB_URL });
    expect(err.problems).toEqual(['grpc.port=1.5 must be a whole number from 0 to 65535']);
  });

  it('rejects poolSize outside 1..2', () => {
    const err = parseError({ metastores: { default: { url: DB_URL, poolSize: 3 } } });
    expect(err.problems[0]).toBe('metastores.default.poolSize=3 must be between 1 and 2');
  });

  it('rejects limits.maxScaleInTargets above what the Lease carries (2,000)', () => {
    const err = parseError({ limits: { maxScaleInTargets: 2_001 } }, { SCALER_DATABASE_URL: DB_URL });
    expect(err.problems).toEqual(['limits.maxScaleInTargets=2001 must be between 1 and 2000']);
    expect(parse({ limits: { maxScaleInTargets: 2_000 } }, { SCALER_DATABASE_URL: DB_URL }).limits.maxScaleInTargets).toBe(2_000);
  });

  it('lists all problems at once', () => {
    const err = parseError(
      { grpc: { port: 'x' }, extra: true },
      { SCALER_NOPE: '1', SCALER_HTTP_PORT: 'abc', SCALER_LOG_LEVEL: 'loud', SCALER_DATABASE_URL: DB_URL },
    );
    expect(err.problems).toHaveLength(5);
    for (const fragment of ['SCALER_NOPE', 'extra', 'grpc.port="x"', 'SCALER_HTTP_PORT', 'SCALER_LOG_LEVEL']) {
      expect(err.problems.some((p) => p.includes(fragment))).toBe(true);
      expect(err.message).toContain(fragment);
    }
  });

  it('lists all semantic problems at once', () => {
    const err = parseError(
      { metastores: { Bad_Name: { url: DB_URL }, other: { url: 'mysql://h/db' }, third: {} } },
      { SCALER_POLL_INTERVAL_MS: '5000', SCALER_STALE_AFTER_MS: '5000', SCALER_GRPC_PORT: '8080' },
    );
    expect(err.problems).toHaveLength(5);
    expect(err.problems.some((p) => p.includes('metastores.Bad_Name is not a valid metastore name'))).toBe(true);
    expect(err.problems.some((p) => p.includes('metastores.other.url=(not shown) must start with postgresql://'))).toBe(true);
    expect(err.problems.some((p) => p.includes('metastores.third needs exactly one of url or urlFromEnv'))).toBe(true);
    expect(err.problems.some((p) => p.includes('poll.staleAfterMs (from SCALER_STALE_AFTER_MS)=5000'))).toBe(true);
    expect(err.problems.some((p) => p.includes('grpc.port (from SCALER_GRPC_PORT)=8080 must differ'))).toBe(true);
  });

  it('rejects staleAfterMs equal to intervalMs', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_POLL_INTERVAL_MS: '1000', SCALER_STALE_AFTER_MS: '1000' });
    expect(err.problems).toEqual([
      expect.stringContaining('poll.staleAfterMs (from SCALER_STALE_AFTER_MS)=1000 must be greater than poll.intervalMs (1000)'),
    ]);
  });

  it('rejects staleAfterMs below intervalMs', () => {
    const err = parseError({ poll: { intervalMs: 2_000, staleAfterMs: 1_500, queryTimeoutMs: 1_000 } }, { SCALER_DATABASE_URL: DB_URL });
    expect(err.problems).toEqual([expect.stringContaining('poll.staleAfterMs=1500 must be greater than')]);
  });

  it('accepts staleAfterMs one millisecond above intervalMs', () => {
    const config = parse({ poll: { intervalMs: 1_000, staleAfterMs: 1_001 } }, { SCALER_DATABASE_URL: DB_URL });
    expect(config.poll.staleAfterMs).toBe(1_001);
    expect(config.poll.queryTimeoutMs).toBe(1_001);
  });

  it('rejects queryTimeoutMs above staleAfterMs', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_STALE_AFTER_MS: '3000', SCALER_QUERY_TIMEOUT_MS: '4000' });
    expect(err.problems).toEqual([expect.stringContaining('poll.queryTimeoutMs (from SCALER_QUERY_TIMEOUT_MS)=4000')]);
  });

  it('rejects equal gRPC and HTTP ports but allows both to be 0', () => {
    expect(parseError({ grpc: { port: 8080 } }, { SCALER_DATABASE_URL: DB_URL }).problems[0]).toContain('grpc.port=8080');
    const config = parse({ grpc: { port: 0 }, http: { port: 0 } }, { SCALER_DATABASE_URL: DB_URL });
    expect([config.grpc.port, config.http.port]).toEqual([0, 0]);
  });

  it('requires both certFile and keyFile for TLS', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: DB_URL, SCALER_TLS_CERT_FILE: '/c' });
    expect(err.problems).toEqual([expect.stringContaining('grpc.tls.keyFile')]);
  });

  it('rejects a metastore with both url and urlFromEnv', () => {
    const err = parseError({ metastores: { default: { urlFromEnv: 'DB' } } }, { SCALER_DATABASE_URL: DB_URL, DB: DB_URL });
    expect(err.problems).toEqual(['metastores.default needs at most one of url or urlFromEnv']);
  });

  it.each([
    ['metastores.main.urlFromEnv', { metastores: { main: { urlFromEnv: 'postgresql://airflow:S3cretPw@pgbouncer:6543/airflow' } } }],
    ['scaleIn.broker.urlFromEnv', { scaleIn: { broker: { urlFromEnv: 'redis://:R3disPw@redis:6379/0' } } }],
    ['metastores.main.urlFromEnv', { metastores: { main: { urlFromEnv: `postgresql://airflow:S3cretPw@${'h'.repeat(300)}/airflow` } } }],
  ])('never shows a URL pasted into %s, whatever its length', (key, file) => {
    const err = parseError(file, { SCALER_DATABASE_URL: DB_URL });
    expect(err.problems.join('\n')).toContain(key);
    expect(err.problems.join('\n')).not.toMatch(/S3cretPw|R3disPw|pgbouncer|redis:/);
    expect(err.message).not.toMatch(/S3cretPw|R3disPw/);
  });

  it.each([[{}], [{ MY_DB_URL: '' }]])('rejects urlFromEnv naming an unset or empty variable (env %j)', (env) => {
    const err = parseError({ metastores: { main: { urlFromEnv: 'MY_DB_URL' } } }, env);
    expect(err.problems).toEqual(['metastores.main.urlFromEnv names an unset variable, MY_DB_URL']);
  });

  it.each([
    ['mysql://u:p@h/db', 'must start with postgresql://'],
    ['postgresql://', 'has no host'],
    ['postgresql:///db', 'has no host'],
    ['postgresql://u:p@h:notaport/db', 'host[:port]'],
    ['postgresql://u:%zz@h/db', 'percent-encoding'],
  ])('rejects the metastore URL %s (%s), describing the expected shape', (url, reason) => {
    const err = parseError({}, { SCALER_DATABASE_URL: url });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('metastores.default.url (from SCALER_DATABASE_URL)=(not shown) ');
    expect(err.problems[0]).toContain(reason);
    expect(err.problems[0]).toContain('expected postgresql://USER[:PASSWORD]@HOST');
  });
});

describe('parseConfig never leaks passwords', () => {
  const leakyUrls = [
    `mysql://airflow:${SECRET}@db/airflow`,
    `postgresql://airflow:${SECRET}@db:notaport/airflow`,
    `postgresql+psycopg2://airflow:${SECRET}@db:99999/airflow`,
    `postgresql://airflow:${SECRET}@/airflow`,
    `postgresql://:${SECRET}@/airflow`,
    `postgresql://airflow:${SECRET}%zz@db/airflow`,
    `postgresql:///airflow?user=airflow&password=${SECRET}`,
    `postgresql://airflow:${SECRET}/x@db/airflow`,
    `postgresql://airflow:${SECRET}?x@db/airflow`,
    `postgresql://airflow:${SECRET}#x@db/airflow`,
    `postgresql://airflow:p@${SECRET}/wo:rd?x@db/airflow`,
    `jdbc:postgresql://airflow:${SECRET}@db/airflow`,
    `host=db user=airflow password=${SECRET} port=x`,
    `host=db user=airflow password='${SECRET}`,
  ];

  it.each(leakyUrls)('keeps the password out of errors for SCALER_DATABASE_URL=%s', (url) => {
    const err = parseError({}, { SCALER_DATABASE_URL: url });
    expect(allText(err)).not.toContain(SECRET);
    expect(err.problems[0]).toContain('SCALER_DATABASE_URL');
  });

  it.each(leakyUrls)('keeps the password out of errors for a file url %s', (url) => {
    const err = parseError({ metastores: { main: { url } } });
    expect(allText(err)).not.toContain(SECRET);
    expect(err.problems[0]).toContain('metastores.main.url=');
  });

  it.each(leakyUrls)('keeps the password out of errors for urlFromEnv pointing at %s', (url) => {
    const err = parseError({ metastores: { main: { urlFromEnv: 'MAIN_DB' } } }, { MAIN_DB: url });
    expect(allText(err)).not.toContain(SECRET);
  });

  it('shows nothing of a rejected URL, only its key and the expected shape', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: `mysql://airflow:${SECRET}@db/airflow` });
    expect(err.problems[0]).toContain('(from SCALER_DATABASE_URL)=(not shown) must start with postgresql://');
    expect(allText(err)).not.toContain('db/airflow');
  });

  it('keeps the password out of errors when the URL is valid but something else is not', () => {
    const err = parseError({}, { SCALER_DATABASE_URL: `postgresql://airflow:${SECRET}@db/airflow`, SCALER_GRPC_PORT: 'x' });
    expect(allText(err)).not.toContain(SECRET);
  });

  it.each([
    ['a string metastore entry', { metastores: { default: `postgresql://airflow:${SECRET}@db/airflow` } }],
    ['a list of metastores', { metastores: [{ name: 'default', url: `postgresql://airflow:${SECRET}@db/airflow` }] }],
    ['a string metastores map', { metastores: `postgresql://airflow:${SECRET}@db/airflow` }],
    ['a list url', { metastores: { default: { url: [`postgresql://airflow:${SECRET}@db/airflow`] } } }],
    ['a numeric url', { metastores: { default: { url: 5, poolSize: 2 } } }],
  ])('keeps the password out of errors for %s', (_label, file) => {
    const err = parseError(file);
    expect(allText(err)).not.toContain(SECRET);
    expect(err.problems.length).toBeGreaterThan(0);
  });

  it('never includes a generated password in any error', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9]{12,20}$/);
    const breakage = fc.constantFrom(
      (pw: string) => ({ env: { SCALER_DATABASE_URL: `mysql://u:${pw}@h/db` } }),
      (pw: string) => ({ env: { SCALER_DATABASE_URL: `postgresql://u:${pw}@h:port/db` } }),
      (pw: string) => ({ env: { SCALER_DATABASE_URL: `postgresql://u:${pw}@h/db`, SCALER_HTTP_PORT: 'x' } }),
      (pw: string) => ({ env: { SCALER_DATABASE_URL: `postgresql:///db?password=${pw}` } }),
    );
    fc.assert(
      fc.property(password, breakage, (pw, make) => {
        const err = parseError({}, make(pw).env);
        expect(allText(err)).not.toContain(pw);
      }),
    );
  });
});

describe('parseConfig lease timings', () => {
  it('derives renewDeadline and retryPeriod from a shorter lease, as client-go’s proportions', () => {
    const config = parse({ scaleIn: { lease: { durationMs: 3_000 } } }, { SCALER_DATABASE_URL: DB_URL });
    expect(config.scaleIn.lease).toMatchObject({ durationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 400 });
  });

  it('refuses a renew deadline that does not end before the lease, and too few retries within it', () => {
    const err = parseError({ scaleIn: { lease: { durationMs: 5_000, renewDeadlineMs: 5_000, retryPeriodMs: 3_000 } } }, { SCALER_DATABASE_URL: DB_URL });
    expect(err.problems).toEqual([
      'scaleIn.lease.renewDeadlineMs=5000 must be shorter than scaleIn.lease.durationMs (5000)',
      'scaleIn.lease.retryPeriodMs=3000 must be at most half of scaleIn.lease.renewDeadlineMs (5000)',
    ]);
  });
});
