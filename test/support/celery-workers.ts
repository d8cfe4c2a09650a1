import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Redis } from 'ioredis';

import type { TestRedis } from './redis.js';
import { resolveTestRedis } from './redis.js';

const execFileAsync = promisify(execFile);

/** Debian's python3-celery; CI sets TEST_CELERY_PYTHON to it. */
export const CELERY_PYTHON = process.env['TEST_CELERY_PYTHON'] ?? '/usr/bin/python3';

const CELERY_APP = `
import os

from celery import Celery

app = Celery('drainapp', broker=os.environ['DRAIN_BROKER_URL'])


@app.task(name='drain.record_hostname', bind=True)
def record_hostname(self, marker):
    with open(os.path.join(os.environ['DRAIN_OUT_DIR'], marker), 'w') as out:
        out.write(self.request.hostname)
`;

const SEND_TASKS = `
import sys

from drainapp import app

for marker in sys.argv[2:]:
    app.send_task('drain.record_hostname', args=[marker], queue=sys.argv[1])
`;

export interface CeleryWorker {
  /** `celery@<hostname>`. */
  readonly node: string;
  readonly child: ChildProcess;
  log(): string;
}

/** Real Celery workers on a Redis database of their own, as Airflow's chart runs them. */
export interface CeleryHarness {
  /** The broker URL with the harness's database number. */
  readonly brokerUrl: string;
  /** A plain client on that database, for assertions and cleanup. */
  readonly admin: Redis;
  /** Starts `celery worker -n <node> -Q <queues>` and waits until it answers remote control. */
  startWorker(node: string, queues: readonly string[]): Promise<CeleryWorker>;
  /** Which task queues each node consumes, as `celery inspect active_queues` reports it. */
  activeQueues(nodes: readonly string[]): Promise<Record<string, string[]>>;
  /** Sends one task per marker to `queue`; each writes the node that ran it to a file. */
  sendTasks(queue: string, markers: readonly string[]): Promise<void>;
  /** Waits until every marker's task ran and returns the node each ran on. */
  ranOn(markers: readonly string[], timeoutMs?: number): Promise<string[]>;
  logs(): string;
  /** Stops every worker (process group: SIGTERM, then SIGKILL) and deletes `keys`. */
  close(keys?: readonly string[]): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, diagnostics: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diagnostics()}`);
    await sleep(100);
  }
}

async function stopWorker(worker: CeleryWorker): Promise<void> {
  const { child } = worker;
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!stopped) {
    signal('SIGKILL');
    await exited;
  }
}

/** A harness on Redis database `db`, which it flushes: give each suite its own number. */
export async function startCeleryHarness(db: number): Promise<CeleryHarness> {
  const redis: TestRedis = await resolveTestRedis();
  const url = new URL(redis.url);
  url.pathname = `/${db}`;
  const brokerUrl = url.toString();
  const admin = new Redis(brokerUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  await admin.flushdb();

  const dir = await mkdtemp(join(tmpdir(), 'celery-drain-'));
  await writeFile(join(dir, 'drainapp.py'), CELERY_APP);
  await writeFile(join(dir, 'send_tasks.py'), SEND_TASKS);
  const env = { ...process.env, PYTHONPATH: dir, DRAIN_BROKER_URL: brokerUrl, DRAIN_OUT_DIR: dir, PYTHONDONTWRITEBYTECODE: '1' };
  const workers: CeleryWorker[] = [];

  const logs = (): string => workers.map((w) => `--- ${w.node}\n${w.log().slice(-4_000)}`).join('\n');

  const celery = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync(CELERY_PYTHON, ['-m', 'celery', '-A', 'drainapp', ...args], { cwd: dir, env, timeout: 20_000 });
    return stdout;
  };

  const activeQueues = async (nodes: readonly string[]): Promise<Record<string, string[]>> => {
    const stdout = await celery('inspect', 'active_queues', '--json', '-d', nodes.join(','), '--timeout', '5');
    const replies = JSON.parse(stdout) as Record<string, { name: string }[]>;
    return Object.fromEntries(Object.entries(replies).map(([node, queues]) => [node, queues.map((q) => q.name)]));
  };

  const startWorker = async (node: string, queues: readonly string[]): Promise<CeleryWorker> => {
    const args = ['-m', 'celery', '-A', 'drainapp', 'worker', '-n', node, '-Q', queues.join(',')];
    args.push('--pool', 'solo', '-c', '1', '--without-gossip', '--without-mingle', '--without-heartbeat', '-l', 'info');
    // detached: its own process group, so close() can kill everything it started.
    const child = spawn(CELERY_PYTHON, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const append = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const worker: CeleryWorker = { node, child, log: () => log };
    workers.push(worker);
    await waitFor(
      `${node} to start`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${node} exited with ${child.exitCode}\n${log}`);
        return log.includes(`${node} ready.`) ? true : undefined;
      },
      60_000,
      logs,
    );
    // "ready" is logged just before the pidbox subscription; wait until it answers remote control.
    await waitFor(
      `${node} to answer inspect`,
      async () => {
        const consumed = await activeQueues([node]).catch(() => undefined);
        return queues.every((queue) => consumed?.[node]?.includes(queue) === true) ? true : undefined;
      },
      30_000,
      logs,
    );
    return worker;
  };

  return {
    brokerUrl,
    admin,
    startWorker,
    activeQueues,
    sendTasks: async (queue, markers) => {
      await execFileAsync(CELERY_PYTHON, [join(dir, 'send_tasks.py'), queue, ...markers], { cwd: dir, env, timeout: 20_000 });
    },
    ranOn: (markers, timeoutMs = 20_000) =>
      waitFor(
        'the tasks to run',
        async () => {
          const done = new Set(await readdir(dir));
          if (!markers.every((marker) => done.has(marker))) return undefined;
          return Promise.all(markers.map((marker) => readFile(join(dir, marker), 'utf8')));
        },
        timeoutMs,
        logs,
      ),
    logs,
    close: async (keys = []) => {
      await Promise.allSettled(workers.map((w) => stopWorker(w)));
      if (keys.length > 0) await admin.del(...keys).catch(() => undefined);
      admin.disconnect();
      await rm(dir, { recursive: true, force: true });
      await redis.stop();
    },
  };
}
