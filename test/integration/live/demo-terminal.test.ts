import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, runCli } from '../../support/cli-process.js';
import { connectScaler } from '../../support/grpc-client.js';
import { freePort } from '../../support/pgbouncer-process.js';
import { eventually } from '../../support/service.js';

/*
 * The demo the way a person sees it: in a real terminal (tmux, 80×24), read back with
 * capture-pane. Its own tmux server (-L) so nothing else on the machine is touched.
 */
const TMUX = process.env['TEST_TMUX'] ?? 'tmux';
const SOCKET = `aks-demo-${process.pid}`;
const TITLE = '─ airflow-keda-scaler demo ─';
const HEADER = 'queue            queued  running';
const TYPO_WARNING = 'ignoring unknown scalerMetadata keys (a typo?)';

function tmux(...args: string[]): string {
  return execFileSync(TMUX, ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

/** The visible 80×24 screen as drawn, or with `history` everything since the session began, wrapped lines joined. */
function screen(history = false): string {
  return tmux('capture-pane', '-p', '-t', 'demo', ...(history ? ['-J', '-S', '-', '-E', '-'] : []));
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Listening TCP sockets on `port` from /proc/net/tcp (Linux): their local IPv4 addresses. */
function listeningAddresses(port: number): string[] {
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A' && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port)
    .map((fields) => {
      const hex = fields[1]!.split(':')[0]!;
      return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
    });
}

describe('npm start (demo) in an 80×24 terminal', () => {
  let grpcPort: number;
  let httpPort: number;

  beforeAll(async () => {
    grpcPort = await freePort();
    httpPort = await freePort();
    const command = `SCALER_GRPC_PORT=${grpcPort} SCALER_HTTP_PORT=${httpPort} SCALER_POLL_INTERVAL_MS=250 '${process.execPath}' '${CLI}' demo --speed 60; sleep 600`;
    tmux('new-session', '-d', '-s', 'demo', '-x', '80', '-y', '24', command);
    await eventually(async () => (screen().includes(TITLE) ? true : undefined), 30_000, 200);
  });
  afterAll(() => {
    tmux('kill-server');
  });

  it('keeps one frame at the bottom through many redraws, and a log line written between them survives', async () => {
    const client = connectScaler(grpcPort);
    try {
      // A ScaledObject with a typo: the service warns once, between two redraws.
      await client.getMetrics({ queues: 'default', workerconcurrency: '8' }, '');
    } finally {
      client.close();
    }
    await eventually(async () => (screen(true).includes(TYPO_WARNING) ? true : undefined), 10_000, 200);
    // Several more redraws (one a second), with the service logging scale-in decisions meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    const all = screen(true);
    expect(occurrences(all, TITLE)).toBe(1);
    expect(occurrences(all, HEADER)).toBe(1);
    expect(occurrences(all, TYPO_WARNING)).toBe(1);
    expect(occurrences(all, 'INFO  scaler listening')).toBe(1);
    expect(all.indexOf(TYPO_WARNING)).toBeLessThan(all.indexOf(TITLE));
    expect(all).toContain('kind: ScaledObject');

    const visible = screen().replace(/\n+$/, '').split('\n');
    expect(visible.length).toBeLessThanOrEqual(24);
    for (const line of visible) expect(line.length, line).toBeLessThanOrEqual(80);
    // The frame is the bottom of the screen: its title, then its last line, the /metrics address.
    const title = visible.findIndex((line) => line.startsWith(TITLE));
    expect(title).toBeGreaterThan(0);
    expect(visible.at(-1)).toContain(`127.0.0.1:${httpPort}/metrics`);
    expect(visible.slice(title).join('\n')).toMatch(/KEDA {3}replicas \d+/);
    expect(visible.slice(title).join('\n')).toContain('legend: forecast =');
  }, 60_000);

  it('listens on 127.0.0.1 only, as its banner says', () => {
    expect(listeningAddresses(grpcPort)).toEqual(['127.0.0.1']);
    expect(listeningAddresses(httpPort)).toEqual(['127.0.0.1']);
    expect(screen(true)).toContain(`gRPC (externalscaler.ExternalScaler, grpc.health.v1): 127.0.0.1:${grpcPort}`);
  });
});

/** What one frame on the screen says, or null when the screen shows none. */
function frameFigures(visible: string) {
  const forecast = /^prewarm forecast (\d+) tasks, (\d+) due DAGs? {3}next run: (\S+) in (\d\d:\d\d:\d\d)/m.exec(visible);
  const pods = /^pods +(\d+) ready +(\d+) starting/m.exec(visible);
  const queue = /^default +(\d+) +(\d+)$/m.exec(visible);
  const keda = /^KEDA +replicas (\d+)/m.exec(visible);
  if (forecast === null || pods === null || queue === null || keda === null) return null;
  return {
    forecast: Number(forecast[1]),
    dueDags: Number(forecast[2]),
    nextRun: forecast[3],
    ready: Number(pods[1]),
    replicas: Number(keda[1]),
    queued: Number(queue[1]),
    running: Number(queue[2]),
  };
}

describe('npm start (demo) pre-warming for its hourly DAG', () => {
  const socket = `${SOCKET}-prewarm`;
  const run = (...args: string[]): string => execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' });
  afterAll(() => {
    run('kill-server');
  });

  it('shows the forecast before the run, workers ready with nothing queued yet, then the run on them', async () => {
    // ×20: the service's 6 s lead is 120 s of the demo's time, and a frame is drawn every second.
    const command = `SCALER_GRPC_PORT=0 SCALER_HTTP_PORT=0 SCALER_POLL_INTERVAL_MS=250 '${process.execPath}' '${CLI}' demo --speed 20; sleep 600`;
    run('new-session', '-d', '-s', 'demo', '-x', '80', '-y', '24', command);
    const frames: NonNullable<ReturnType<typeof frameFigures>>[] = [];
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const figures = frameFigures(run('capture-pane', '-p', '-t', 'demo'));
      if (figures !== null && JSON.stringify(figures) !== JSON.stringify(frames.at(-1))) frames.push(figures);
      if (frames.some((f) => f.running > 0 && f.forecast === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const ahead = frames.filter((f) => f.forecast > 0 && f.queued === 0 && f.running === 0);
    // Before the run: the service counts its first wave (the past run's 120 tasks) and KEDA acts on it.
    expect(ahead.length, JSON.stringify(frames)).toBeGreaterThan(0);
    expect(ahead[0]).toMatchObject({ forecast: 120, dueDags: 1, nextRun: 'hourly_etl' });
    expect(ahead.some((f) => f.replicas > 0 && f.ready > 0), JSON.stringify(frames)).toBe(true);
    // Then the run: its tasks run, and the forecast has let go of it.
    const started = frames.findIndex((f) => f.running > 0);
    expect(started).toBeGreaterThan(frames.indexOf(ahead[0]!));
    expect(frames.some((f) => f.running > 0 && f.forecast === 0)).toBe(true);
  }, 60_000);
});

describe('demo with its port taken', () => {
  it('exits 1 and says how to pick other ports', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = runCli(['demo'], { SCALER_GRPC_PORT: String(port), SCALER_HTTP_PORT: '0' });
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain(`cannot listen for gRPC on 127.0.0.1:${port}`);
      expect(cli.stderr()).toContain('Another demo or scaler is probably running');
      expect(cli.stderr()).toContain('SCALER_GRPC_PORT=0 SCALER_HTTP_PORT=0 npm start');
    } finally {
      blocker.close();
    }
  }, 30_000);
});
