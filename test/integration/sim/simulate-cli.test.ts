import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../src/sim/scenarios/hourly-etl.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'aks-sim-'));

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (dist/ is built by the global setup), as a user would. */
function cli(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env['PATH'] ?? '' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

interface RunJson {
  config: Record<string, unknown>;
  queueWaitSeconds: Record<string, number>;
  [key: string]: unknown;
}

describe('airflow-keda-scaler simulate', () => {
  it('prints one JSON document with the contract fields for each run', async () => {
    const out = await cli(['simulate', '--scenario', EXAMPLE, '--json', '--seed', '3']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; workload: { tasks: number } };
    expect(doc.runs).toHaveLength(1);
    const run = doc.runs[0]!;
    expect(Object.keys(run.queueWaitSeconds)).toEqual(['mean', 'p50', 'p95', 'p99', 'max']);
    for (const key of ['tasksKilled', 'workerSeconds', 'idleFraction', 'peakWorkers', 'scaleEvents', 'underProvisionedSeconds']) {
      expect(typeof run[key], key).toBe('number');
    }
    expect(Object.keys(run['elasticity'] as object)).toEqual([
      'underProvisioningAccuracy',
      'overProvisioningAccuracy',
      'underProvisioningTimeshare',
      'overProvisioningTimeshare',
      'instability',
    ]);
    expect(run.config).toMatchObject({ seed: 3, pollingInterval: 30, cooldownPeriod: 300, maxReplicaCount: 20, workerConcurrency: 16 });
    expect(doc.workload.tasks).toBeGreaterThan(10_000);
  });

  it('prints byte-identical output for the same seed', async () => {
    const args = ['simulate', '--scenario', EXAMPLE, '--json', '--seed', '5', '--sweep', 'polling=5,30'];
    const [a, b] = await Promise.all([cli(args), cli(args)]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const other = await cli(['simulate', '--scenario', EXAMPLE, '--json', '--seed', '6', '--sweep', 'polling=5,30']);
    expect(other.stdout).not.toBe(a.stdout);
  });

  it('lets options override the scenario', async () => {
    const out = await cli([
      'simulate', '--scenario', EXAMPLE, '--json',
      '--worker-concurrency', '8', '--min-replicas', '1', '--max-replicas', '7', '--polling-interval', '5',
      '--cooldown-period', '60', '--pod-startup-seconds', '12', '--termination-grace-seconds', '90', '--push',
    ]);
    expect(out.code).toBe(0);
    const run = (JSON.parse(out.stdout) as { runs: RunJson[] }).runs[0]!;
    expect(run.config).toMatchObject({
      workerConcurrency: 8,
      minReplicaCount: 1,
      maxReplicaCount: 7,
      pollingInterval: 5,
      cooldownPeriod: 60,
      podStartup: { distribution: 'fixed', seconds: 12 },
      terminationGracePeriodSeconds: 90,
      trigger: 'external-push',
    });
    expect(run['peakWorkers']).toBeLessThanOrEqual(7 + 7); // draining pods count too
  });

  it('sweeps a grid, marks the Pareto frontier, recommends for an SLO and writes a self-contained report', async () => {
    const report = join(dir, 'report.html');
    const out = await cli([
      'simulate', '--scenario', EXAMPLE, '--json', '--sweep', 'polling=5,30', 'cooldown=60,600', '--slo-p95', '1000', '--report', report,
    ]);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(''); // no progress bar without a terminal
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; paretoFrontier: number[]; recommendation: { sloP95Seconds: number; run: number } };
    expect(doc.runs.map((r) => [r.config['pollingInterval'], r.config['cooldownPeriod']])).toEqual([[5, 60], [5, 600], [30, 60], [30, 600]]);
    expect(doc.paretoFrontier.length).toBeGreaterThan(0);
    expect(doc.recommendation.sloP95Seconds).toBe(1000);
    const cheapest = Math.min(...doc.runs.map((r) => r['workerSeconds'] as number));
    expect(doc.runs[doc.recommendation.run]!['workerSeconds']).toBe(cheapest);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3); // frontier + two timelines
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
  });

  it('prints a readable table for a sweep', async () => {
    const out = await cli(['simulate', '--scenario', EXAMPLE, '--sweep', 'cooldown=60,600', '--slo-p95', '0.001']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Pareto frontier (worker-hours vs p95 wait');
    expect(out.stdout).toContain('No configuration keeps p95 queue wait within 0.001 s.');
  });

  it('compares the scale-in policies side by side on the same workload', async () => {
    const longTasks = fileURLToPath(new URL('../../../src/sim/scenarios/long-tasks-burst.yaml', import.meta.url));
    const text = await cli(['simulate', '--scenario', longTasks, '--compare-scale-in']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const table = text.stdout.split('\n');
    expect(table).toContainEqual(expect.stringMatching(/^scale-in +off +rank +drain$/));
    for (const label of ['tasks killed', 'worker-seconds', 'queue wait p95', 'peak workers', 'drains', 'restores']) {
      expect(table.some((line) => line.startsWith(label)), label).toBe(true);
    }
    expect(table.find((line) => line.startsWith('tasks killed'))).toMatch(/ 0$/);
    expect(text.stdout).toContain('scale-in compared');

    const json = await cli(['simulate', '--scenario', longTasks, '--compare-scale-in', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { compare: string; runs: RunJson[] };
    expect(doc.compare).toBe('scaleInPolicy');
    expect(doc.runs.map((r) => r.config['scaleInPolicy'])).toEqual(['off', 'rank', 'drain']);
    const [off, , drain] = doc.runs;
    expect(off!['tasksKilled']).toBeGreaterThan(0);
    expect(drain!['tasksKilled']).toBe(0);
    expect(drain!['drains']).toBeGreaterThan(0);
  });

  it('runs the drain scale-in policy from the command line', async () => {
    const out = await cli(['simulate', '--scenario', EXAMPLE, '--scale-in', 'drain']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('scale-in drain');
    expect(out.stdout).toMatch(/scale-in +drain: [\d,]+ workers told to stop consuming, [\d,]+ put back to work/);
    expect(out.stdout).toContain(' 0 killed at scale-in');
  });

  it('replays a CSV trace', async () => {
    const trace = join(dir, 'trace.csv');
    writeFileSync(trace, 'queue,queued_at,duration_seconds,extra\ndefault,2024-05-01T10:00:05Z,30,x\ndefault,1714557610,20,y\nother,2024-05-01T10:00:20Z,5,z\n');
    const out = await cli(['simulate', '--trace', trace, '--json', '--queues', 'default', '--pod-startup-seconds', '0']);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; workload: { source: string; tasks: number; start: string } };
    expect(doc.workload).toMatchObject({ source: 'trace', tasks: 3, start: '2024-05-01T10:00:00.000Z' });
    expect(doc.runs[0]!['tasks']).toMatchObject({ total: 2, completed: 2, unfinished: 0 });
    // t = 0 is 10:00:00; KEDA's first poll then sees nothing, its next at 30 s activates: the 10:00:05 task waits 25 s.
    expect(doc.runs[0]!.queueWaitSeconds['max']).toBe(25);
  });

  it.each([
    [['simulate'], 'simulate needs exactly one of --scenario FILE or --trace FILE.csv'],
    [['simulate', '--scenario', '/nonexistent.yaml'], 'cannot read scenario "/nonexistent.yaml"'],
    [['simulate', '--scenario', EXAMPLE, '--polling-interval', '0'], '--polling-interval="0" must be a whole number from 1 to 86400'],
    [['simulate', '--scenario', EXAMPLE, '--min-replicas', '9', '--max-replicas', '3'], 'maxReplicaCount=3 must be >= minReplicaCount (9)'],
    [['simulate', '--scenario', EXAMPLE, '--sweep', 'polling=5', 'bogus=1'], 'unknown parameter "bogus"'],
    [['simulate', '--scenario', EXAMPLE, '--frobnicate'], "Unknown option '--frobnicate'"],
    [['simulate', '--scenario', EXAMPLE, '--scale-in', 'drain-first'], '--scale-in="drain-first" must be one of off, rank, drain'],
    [['simulate', '--scenario', EXAMPLE, '--compare-scale-in', '--sweep', 'polling=5,30'], '--compare-scale-in runs one configuration under every scale-in policy; it does not combine with --sweep'],
  ])('refuses bad input with exit status 2 and a message naming it: %j', async (args, message) => {
    const out = await cli(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(message);
    expect(out.stdout).toBe('');
  });

  it('names the scenario file, key and value of a bad scenario', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'duration: 1h\nqueues:\n  default:\n    duration: 10s\n    arrivals:\n      - poisson: {ratePerMinute: 0}\n');
    const out = await cli(['simulate', '--scenario', bad]);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('airflow-keda-scaler simulate: bad.yaml: queues.default.arrivals[0].poisson.ratePerMinute: 0 must be a number > 0\n');
  });

  it('names the line, column and value of a bad trace row', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'queue,queued_at,duration_seconds\ndefault,2024-01-01T00:00:00Z,ten\n');
    const out = await cli(['simulate', '--trace', bad]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('bad.csv:2: duration_seconds="ten" must be a number >= 0');
  });

  it('documents itself, and the main usage lists the new commands', async () => {
    const help = await cli(['simulate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--sweep NAME=V1,V2');
    const usage = await cli(['--help']);
    expect(usage.stdout).toMatch(/serve .*\n[\s\S]*demo [\s\S]*simulate [\s\S]*export-trace/);
  });
});
