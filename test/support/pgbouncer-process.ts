import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { StartedTestContainer } from 'testcontainers';

import { startPgBouncerContainer } from './containers.js';
import { USERLIST, pgbouncerIni } from './pgbouncer-config.js';
import type { TestServers } from './servers.js';

/** A PgBouncer of our own that a test may stop and start, to cut the scaler off its metastore. */
export interface DedicatedPgBouncer {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`PgBouncer did not listen on ${port} within ${timeoutMs} ms`);
}

export interface PgBouncerOptions {
  /** Extra `[databases]` alias lines; `{host}` and `{port}` are replaced with PostgreSQL's. */
  readonly databases?: readonly string[];
  readonly defaultPoolSize?: number;
}

function processPgBouncer(bin: string, postgresAdminUrl: string, port: number, options: PgBouncerOptions): DedicatedPgBouncer {
  const dir = mkdtempSync(join(tmpdir(), 'aks-pgbouncer-'));
  chmodSync(dir, 0o777);
  const pg = new URL(postgresAdminUrl);
  const postgresHost = pg.hostname;
  const postgresPort = Number(pg.port || 5432);
  writeFileSync(join(dir, 'userlist.txt'), USERLIST);
  const ini = join(dir, 'pgbouncer.ini');
  const pidFile = join(dir, 'pgbouncer.pid');
  writeFileSync(
    ini,
    pgbouncerIni({
      listenAddr: '127.0.0.1',
      port,
      postgresHost,
      postgresPort,
      databases: options.databases?.map((line) =>
        line.replaceAll('{host}', postgresHost).replaceAll('{port}', String(postgresPort)),
      ),
      defaultPoolSize: options.defaultPoolSize,
      authFile: join(dir, 'userlist.txt'),
      logFile: join(dir, 'pgbouncer.log'),
      pidFile,
    }),
  );
  // PgBouncer refuses to run as root; -u drops to the postgres user.
  const asRoot = process.getuid?.() === 0;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      const args = asRoot ? ['-d', '-u', 'postgres', ini] : ['-d', ini];
      await new Promise<void>((resolve, reject) => {
        const child = spawn(bin, args, { stdio: 'inherit' });
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited with ${code}`))));
      });
      await waitForPort(port, 5_000);
    },
    stop: async () => {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      process.kill(pid, 'SIGINT');
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      process.kill(pid, 'SIGKILL');
      rmSync(pidFile, { force: true });
    },
  };
}

function containerPgBouncer(servers: TestServers, port: number): DedicatedPgBouncer {
  let container: StartedTestContainer | undefined;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      container = await startPgBouncerContainer(servers, port);
    },
    stop: async () => {
      await container?.stop();
      container = undefined;
    },
  };
}

/** Starts a PgBouncer that only this test uses, in front of the shared PostgreSQL. */
export async function startDedicatedPgBouncer(servers: TestServers, options: PgBouncerOptions = {}): Promise<DedicatedPgBouncer> {
  const port = await freePort();
  const bouncer =
    servers.mode === 'containers'
      ? containerPgBouncer(servers, port)
      : processPgBouncer(servers.pgbouncerBin ?? 'pgbouncer', servers.postgresAdminUrl, port, options);
  await bouncer.start();
  return bouncer;
}
