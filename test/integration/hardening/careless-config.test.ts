import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { TestPki } from '../../support/certs.js';
import { createTestPki } from '../../support/certs.js';
import { LOCAL_PORTS, runCli } from '../../support/cli-process.js';
import { imageNodeOptions } from '../../support/image-runtime.js';
import { freePort } from '../../support/pgbouncer-process.js';

/*
 * Careless configuration, as an operator would write it: the process must either refuse to start
 * with exit 2 naming the key, or run; and in every case its whole output (stdout, stderr) and its
 * /metrics must never contain the password.
 */

const servers = inject('servers');
const SECRET = 'Zq7-SECRET-x9';

async function runToExit(env: Record<string, string>, args: string[] = ['serve']): Promise<{ code: number | string; output: string }> {
  const cli = runCli(args, { NODE_OPTIONS: imageNodeOptions(), ...LOCAL_PORTS, ...env });
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 15_000);
  const code = await cli.exited;
  clearTimeout(timer);
  return { code, output: cli.stdout() + cli.stderr() };
}

/** Starts the service, reads /metrics, stops it; returns everything it wrote and served. */
async function runThenStop(env: Record<string, string>): Promise<{ code: number | string; output: string; metrics: string }> {
  const cli = runCli(['serve'], { NODE_OPTIONS: imageNodeOptions(), ...LOCAL_PORTS, SCALER_POLL_INTERVAL_MS: '200', ...env });
  try {
    const { httpPort } = await cli.listening();
    let metrics = '';
    for (let i = 0; i < 50 && !metrics.includes('airflow_keda_scaler_snapshot_fresh{metastore="default"} 1'); i += 1) {
      metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toContain('airflow_keda_scaler_snapshot_fresh{metastore="default"} 1');
    cli.child.kill('SIGTERM');
    const code = await cli.exited;
    return { code, output: cli.stdout() + cli.stderr(), metrics };
  } finally {
    cli.child.kill('SIGKILL');
  }
}

describe('careless metastore URLs never print the password', () => {
  let db: AirflowTestDb;
  let bouncer: URL;
  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    bouncer = new URL(db.bouncerUrl());
  });
  afterAll(async () => db.drop());

  const at = (): string => `${bouncer.hostname}:${bouncer.port}/${db.name}`;

  it.each([
    ['an unencoded "?" in the password', () => `postgresql://postgres:pa?ss${SECRET}@${at()}`],
    ['an unencoded "#" in the password', () => `postgresql://postgres:pa#ss${SECRET}@${at()}`],
    ['"@", "/" and "?" in the password', () => `postgresql://postgres:p@ss/wo:rd?x${SECRET}@${at()}`],
    ['"/" in the password', () => `postgresql://postgres:pa/ss${SECRET}@${at()}`],
    ['a keyword string with a bad port', () => `host=127.0.0.1 port=x dbname=airflow user=postgres password=${SECRET}`],
    ['a keyword string with an unterminated quote', () => `host=127.0.0.1 user=postgres password='${SECRET}`],
    ['a JDBC URL', () => `jdbc:postgresql://postgres:${SECRET}@${at()}`],
  ])('refuses %s with exit 2, naming the key and the expected shape, never the value', async (_label, url) => {
    const { code, output } = await runToExit({ SCALER_DATABASE_URL: url() });
    expect(code).toBe(2);
    expect(output).toContain('metastores.default.url (from SCALER_DATABASE_URL)=(not shown)');
    expect(output).toContain('expected postgresql://USER[:PASSWORD]@HOST');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain('ENOTFOUND');
  });

  it.each([
    ['a URL with credentials and parameters PgBouncer would reject', () => `postgresql://postgres:${SECRET}@${at()}?options=-c%20search_path%3Dx&sslmode=disable`],
    ['a libpq keyword/value string', () => `host=${bouncer.hostname} port=${bouncer.port} dbname=${db.name} user=postgres password='${SECRET} x'`],
    ['a SQLAlchemy URL', () => `postgresql+psycopg2://postgres:${encodeURIComponent(`p@ss/${SECRET}`)}@${at()}`],
  ])('runs with %s and never shows the password in logs or /metrics', async (_label, url) => {
    const { code, output, metrics } = await runThenStop({ SCALER_DATABASE_URL: url(), SCALER_LOG_LEVEL: 'debug' });
    expect(code).toBe(0);
    expect(output).toContain(`"target":"postgresql://postgres@${at()}"`);
    expect(output + metrics).not.toContain(SECRET);
  });

  it('names the dropped URL parameters, not their values', async () => {
    const { output } = await runThenStop({ SCALER_DATABASE_URL: `postgresql://postgres@${at()}?options=-c%20secret%3D${SECRET}` });
    expect(output).toContain('"ignoredParams":["options"]');
    expect(output).not.toContain(SECRET);
  });

  it('takes a password with every reserved character from SCALER_DATABASE_PASSWORD_FILE, unencoded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aks-pw-'));
    writeFileSync(join(dir, 'password'), `p@ss/w:rd?#%${SECRET}\n`);
    const { code, output, metrics } = await runThenStop({
      SCALER_DATABASE_URL: `postgresql://postgres@${at()}`,
      SCALER_DATABASE_PASSWORD_FILE: join(dir, 'password'),
      SCALER_LOG_LEVEL: 'debug',
    });
    expect(code).toBe(0);
    expect(output + metrics).not.toContain(SECRET);
  });

  it('refuses a broker URL with an unencoded "/" in the password, without showing it', async () => {
    const { code, output } = await runToExit({ SCALER_DATABASE_URL: db.bouncerUrl(), SCALER_BROKER_URL: `redis://:pa/ss${SECRET}@127.0.0.1:6379/0` });
    expect(code).toBe(2);
    expect(output).toContain('scaleIn.broker.url (from SCALER_BROKER_URL)=(not shown)');
    expect(output).not.toContain(SECRET);
  });
});

describe('startup problems are named and listed at once, before anything is opened', () => {
  let pki: TestPki;
  let db: AirflowTestDb;
  beforeAll(async () => {
    pki = createTestPki();
    db = await createAirflowDb(servers, '3');
  });
  afterAll(async () => db.drop());

  const garbage = (): string => {
    const file = join(pki.dir, 'garbage.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    return file;
  };

  it.each([
    ['a garbage client CA', () => ({ SCALER_TLS_CLIENT_CA_FILE: garbage() }), 'grpc.tls.clientCaFile (from SCALER_TLS_CLIENT_CA_FILE)', 'cannot be parsed'],
    ['a client CA that is a leaf certificate', () => ({ SCALER_TLS_CLIENT_CA_FILE: pki.clientCert }), 'grpc.tls.clientCaFile (from SCALER_TLS_CLIENT_CA_FILE)', 'not a CA'],
    ['a key that is not the certificate’s', () => ({ SCALER_TLS_KEY_FILE: pki.clientKey }), 'grpc.tls.keyFile (from SCALER_TLS_KEY_FILE)', 'does not belong'],
    ['a missing certificate file', () => ({ SCALER_TLS_CERT_FILE: join(pki.dir, 'nope.crt') }), 'grpc.tls.certFile (from SCALER_TLS_CERT_FILE)', 'ENOENT'],
  ])('refuses %s with exit 2 naming the key', async (_label, env, key, reason) => {
    const { code, output } = await runToExit({
      SCALER_DATABASE_URL: db.bouncerUrl(),
      SCALER_TLS_CERT_FILE: pki.serverCert,
      SCALER_TLS_KEY_FILE: pki.serverKey,
      SCALER_TLS_CLIENT_CA_FILE: pki.caCert,
      ...env(),
    });
    expect(code).toBe(2);
    expect(output).toContain(key);
    expect(output).toContain(reason);
    expect(output).not.toContain('scaler listening');
  });

  it('names an unresolvable SCALER_GRPC_HOST with exit 2', async () => {
    const { code, output } = await runToExit({ SCALER_DATABASE_URL: db.bouncerUrl(), SCALER_GRPC_HOST: 'no-such-host.invalid' });
    expect(code).toBe(2);
    expect(output).toContain('grpc.host (from SCALER_GRPC_HOST)="no-such-host.invalid" cannot be resolved');
  });

  it('lists a bad metastore name together with every other problem in one run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aks-config-'));
    const file = join(dir, 'scaler.yaml');
    writeFileSync(file, `metastores:\n  Bad_Name:\n    url: ${db.bouncerUrl()}\ngrpc:\n  prot: 1\n`);
    const { code, output } = await runToExit({ SCALER_POLL_INTERVAL_MS: 'fast', SCALER_TLS_CERT_FILE: garbage(), SCALER_TLS_KEY_FILE: pki.serverKey }, ['serve', '--config', file]);
    expect(code).toBe(2);
    for (const fragment of ['metastores.Bad_Name is not a valid metastore name', 'grpc.prot is not a known key (did you mean "port"?)', 'poll.intervalMs (from SCALER_POLL_INTERVAL_MS)="fast"', 'grpc.tls.certFile']) {
      expect(output).toContain(fragment);
    }
  });

  it('names the HTTP port when it is taken, exits 1, and leaves no gRPC port bound behind', async () => {
    const taken: Server = createServer();
    const httpPort = await freePort();
    await new Promise<void>((resolve) => taken.listen(httpPort, '127.0.0.1', resolve));
    const grpcPort = await freePort();
    try {
      const { code, output } = await runToExit({ SCALER_DATABASE_URL: db.bouncerUrl(), SCALER_HTTP_PORT: String(httpPort), SCALER_GRPC_PORT: String(grpcPort) });
      expect(code).toBe(1);
      expect(output).toContain(`cannot listen for HTTP on 127.0.0.1:${httpPort} (http.host, http.port): the address is already in use`);
      expect(output).not.toContain('scaler listening');
    } finally {
      taken.close();
    }
  });
});
