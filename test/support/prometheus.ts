import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dump } from 'js-yaml';

/** Debian's `prometheus` package (.ci/run installs it); TEST_PROMETHEUS overrides. */
export const PROMETHEUS_BIN = process.env['TEST_PROMETHEUS'] ?? '/usr/bin/prometheus';

export interface ScrapeJob {
  readonly job_name: string;
  readonly targets: readonly string[];
  /** Target labels, as a ServiceMonitor adds `namespace` and `pod`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Keep the scraped labels (kube-prometheus-stack scrapes kube-state-metrics so). */
  readonly honor_labels?: boolean;
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface RunningPrometheus {
  readonly url: string;
  /** An instant query (/api/v1/query); `timeSeconds` defaults to now. Throws on an API error. */
  query(expr: string, timeSeconds?: number): Promise<PromSample[]>;
  /** GET an API path, e.g. `/api/v1/rules`; returns `data`. */
  api<T>(path: string): Promise<T>;
  logs(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A real Prometheus on loopback with a throw-away TSDB, scraping every second and evaluating
 * `ruleGroups` (the PrometheusRule's spec.groups) every second.
 */
export async function startPrometheus(jobs: readonly ScrapeJob[], ruleGroups: unknown[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'aks-prometheus-'));
  writeFileSync(join(dir, 'rules.yaml'), dump({ groups: ruleGroups }));
  writeFileSync(
    join(dir, 'prometheus.yaml'),
    dump({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [join(dir, 'rules.yaml')],
      scrape_configs: jobs.map((job) => ({
        job_name: job.job_name,
        honor_labels: job.honor_labels ?? false,
        static_configs: [{ targets: job.targets, labels: job.labels ?? {} }],
      })),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, 'prometheus.yaml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    api,
    query: async (expr, timeSeconds) => {
      const params = new URLSearchParams({ query: expr });
      if (timeSeconds !== undefined) params.set('time', String(timeSeconds));
      const data = await api<{ resultType: string; result: PromSample[] }>(`/api/v1/query?${params.toString()}`);
      return data.result;
    },
    logs: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Serves a fixed Prometheus text exposition on loopback: a stand-in exporter. */
export async function serveExposition(text: () => string): Promise<{ readonly target: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { target: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
