import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { CliProcess } from '../../support/cli-process.js';
import { LOCAL_PORTS, runCli } from '../../support/cli-process.js';
import { connectScaler } from '../../support/grpc-client.js';
import { imageNodeOptions } from '../../support/image-runtime.js';
import type { DedicatedPgBouncer } from '../../support/pgbouncer-process.js';
import { startDedicatedPgBouncer } from '../../support/pgbouncer-process.js';
import { duplicateTopLevelKeys } from '../../support/raw-grpc.js';
import { withDatabase } from '../../support/servers.js';
import { eventually } from '../../support/service.js';

const servers = inject('servers');
const everyLine: string[] = [];

function serve(env: Record<string, string>): CliProcess {
  return runCli(['serve'], { NODE_OPTIONS: imageNodeOptions(), ...LOCAL_PORTS, SCALER_LOG_LEVEL: 'debug', ...env });
}

/**
 * Whether the CLI's first lines ran: it installs its signal handlers, then names the process.
 * (SigCgt in /proc cannot tell: Node registers SIGTERM itself at bootstrap, to reset the
 * terminal and die by the signal anyway.)
 */
function catchesSigterm(pid: number): boolean {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('airflow-keda-scaler');
}

function keep(cli: CliProcess): void {
  everyLine.push(...cli.stdout().split('\n').filter((line) => line.startsWith('{')));
}

describe('the service’s lifecycle', () => {
  let db: AirflowTestDb;
  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    await db.insert([{ state: 'queued' }, { state: 'running', hostname: 'airflow-worker-1' }]);
  });
  afterAll(async () => db.drop());

  // From the first line of the CLI on (before it, during Node's own ~50 ms bootstrap, no program
  // can catch a signal): while modules load, the config is read, pools and ports open, and after.
  it.each([0, 10, 30, 60, 100, 150, 250, 400, 700, 1_200])('exits 0 within 10 s on SIGTERM %i ms after the CLI started', async (delayMs) => {
    const cli = serve({ SCALER_DATABASE_URL: db.bouncerUrl(), SCALER_POLL_INTERVAL_MS: '200' });
    await eventually(async () => (catchesSigterm(cli.child.pid ?? 0) ? true : undefined), 10_000, 2);
    await new Promise((r) => setTimeout(r, delayMs));
    const signalledAt = Date.now();
    cli.child.kill('SIGTERM');
    const code = await cli.exited;
    keep(cli);
    expect({ code, stderr: cli.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
  });

  it('reports the same readiness on /readyz and gRPC health at every moment, through an outage and back', async () => {
    const bouncer: DedicatedPgBouncer = await startDedicatedPgBouncer(servers);
    const cli = serve({ SCALER_DATABASE_URL: withDatabase(bouncer.url, db.name), SCALER_POLL_INTERVAL_MS: '100', SCALER_STALE_AFTER_MS: '700', SCALER_QUERY_TIMEOUT_MS: '300' });
    try {
      const { grpcPort, httpPort } = await cli.listening();
      const client = connectScaler(grpcPort);
      const http = async (): Promise<string> => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200 ? 'SERVING' : 'NOT_SERVING');
      await eventually(async () => ((await http()) === 'SERVING' ? true : undefined));
      const seen = new Set<string>();
      let disagreements = 0;
      let samples = 0;
      const sample = async (): Promise<void> => {
        const before = await http();
        const grpc = await client.healthCheck('readiness');
        const after = await http();
        if (before !== after) return; // readiness changed during this sample
        samples += 1;
        seen.add(before);
        if (grpc !== before) disagreements += 1;
      };
      const sampleFor = async (ms: number): Promise<void> => {
        const until = Date.now() + ms;
        while (Date.now() < until) await sample();
      };
      await sampleFor(500);
      await bouncer.stop();
      await sampleFor(2_000);
      await bouncer.start();
      await sampleFor(2_000);
      client.close();
      expect(seen).toEqual(new Set(['SERVING', 'NOT_SERVING']));
      expect(samples).toBeGreaterThan(50);
      expect(disagreements).toBe(0);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      keep(cli);
      await bouncer.stop();
    }
  });

  it('writes every field of a log line once', () => {
    expect(everyLine.length).toBeGreaterThan(20);
    const duplicated = everyLine.map((line) => ({ line, keys: duplicateTopLevelKeys(line) })).filter((entry) => entry.keys.length > 0);
    expect(duplicated).toEqual([]);
    // The metastore's own lines carry its name, once.
    expect(everyLine.some((line) => line.includes('"metastore":"default"'))).toBe(true);
  });
});
