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
  it('prints one JSON document with the contract fields for each run, numbered as the table numbers them', async () => {
    const out = await cli(['simulate', '--scenario', EXAMPLE, '--json', '--seed', '3', '--replications', '4']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; workload: { tasks: number }; replications: number; current: number };
    expect(doc.replications).toBe(4);
    expect(doc.runs).toHaveLength(1);
    expect(doc.current).toBe(1);
    const run = doc.runs[0]!;
    expect(run['run']).toBe(1);
    expect(run['replications']).toBe(4);
    expect(Object.keys(run.queueWaitSeconds)).toEqual(['mean', 'p50', 'p95', 'p99', 'max']);
    expect(Object.keys(run['estimates'] as object)).toEqual(['p95WaitSeconds', 'meanWaitSeconds', 'workerHours', 'tasksKilled', 'scaleEvents']);
    const p95 = (run['estimates'] as Record<string, { mean: number; low: number; high: number }>)['p95WaitSeconds']!;
    expect(p95.low).toBeLessThan(p95.mean);
    expect(p95.high).toBeGreaterThan(p95.mean);
    for (const key of ['tasksKilled', 'tasksFailed', 'workerSeconds', 'idleFraction', 'peakWorkers', 'scaleEvents', 'underProvisionedSeconds', 'kedaCallsPerMinute', 'metastoreQueriesPerMinute']) {
      expect(typeof run[key], key).toBe('number');
    }
    expect(run['metastoreQueriesPerMinute']).toBe(60);
    expect(run.config).toMatchObject({ seed: 3, pollingInterval: 30, cooldownPeriod: 300, maxReplicaCount: 20, workerConcurrency: 16, retries: 0, retryDelaySeconds: 300, taskHeartbeatTimeoutSeconds: 300 });
    expect(doc.workload.tasks).toBeGreaterThan(10_000);
  });

  it('prints byte-identical output for the same seed, whatever the thread count', async () => {
    const args = ['simulate', '--scenario', EXAMPLE, '--json', '--seed', '5', '--replications', '3', '--sweep', 'pollingInterval=5,30'];
    const [a, b] = await Promise.all([cli([...args, '--threads', '1']), cli([...args, '--threads', '2'])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const other = await cli(['simulate', '--scenario', EXAMPLE, '--json', '--seed', '6', '--replications', '3', '--sweep', 'pollingInterval=5,30']);
    expect(other.stdout).not.toBe(a.stdout);
  });

  it("lets options override the scenario, under KEDA's names and the old ones", async () => {
    const out = await cli([
      'simulate', '--scenario', EXAMPLE, '--json', '--replications', '1',
      '--worker-concurrency', '8', '--min-replica-count', '1', '--max-replica-count', '7', '--polling-interval', '5',
      '--cooldown-period', '60', '--pod-startup', 'lognormal:median=12s:sigma=0.2', '--termination-grace-period-seconds', '90', '--push',
      '--retries', '2', '--retry-delay', '30s', '--task-heartbeat-timeout', '120', '--pods-per-node', '4', '--node-startup', '60',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const run = (JSON.parse(out.stdout) as { runs: RunJson[] }).runs[0]!;
    expect(run.config).toMatchObject({
      workerConcurrency: 8, minReplicaCount: 1, maxReplicaCount: 7, pollingInterval: 5, cooldownPeriod: 60,
      podStartup: { distribution: 'lognormal', median: 12, sigma: 0.2 }, terminationGracePeriodSeconds: 90, trigger: 'external-push',
      retries: 2, retryDelaySeconds: 30, taskHeartbeatTimeoutSeconds: 120,
      nodes: { podsPerNode: 4, startup: { distribution: 'fixed', seconds: 60 }, emptyNodeSeconds: 600 },
    });
    expect(run['nodesProvisioned']).toBeGreaterThan(0);
    const old = await cli(['simulate', '--scenario', EXAMPLE, '--json', '--replications', '1', '--min-replicas', '1', '--max-replicas', '7', '--pod-startup-seconds', '12', '--termination-grace-seconds', '90']);
    expect(old.code).toBe(0);
    expect((JSON.parse(old.stdout) as { runs: RunJson[] }).runs[0]!.config).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 7, podStartup: { distribution: 'fixed', seconds: 12 }, terminationGracePeriodSeconds: 90 });
  });

  it('sweeps a grid, recommends a configuration as a ScaledObject, marks the frontier and writes a self-contained report', async () => {
    const report = join(dir, 'report.html');
    const out = await cli([
      'simulate', '--scenario', EXAMPLE, '--json', '--replications', '3', '--sweep', 'minReplicaCount=0,4', 'scaleIn=off,drain', '--slo-p95', '80', '--report', report,
    ]);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(''); // no progress bar without a terminal
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; paretoFrontier: number[]; recommendation: Record<string, unknown> };
    expect(doc.runs.map((r) => [r['run'], r.config['minReplicaCount'], r.config['scaleInPolicy']])).toEqual([[1, 0, 'off'], [2, 0, 'drain'], [3, 4, 'off'], [4, 4, 'drain']]);
    expect(doc.paretoFrontier.every((n) => n >= 1 && n <= 4)).toBe(true);
    const rec = doc.recommendation;
    expect(rec).toMatchObject({ sloP95Seconds: 80, allowKilled: false, run: 4, nearest: null, limits: [] });
    expect(rec['configuration']).toMatchObject({ pollingInterval: 30, cooldownPeriod: 300, minReplicaCount: 4, maxReplicaCount: 20, trigger: { type: 'external', metadata: { scaleIn: 'drain', minReplicaCount: '4' } } });
    expect(rec['scaledObject']).toContain('  minReplicaCount: 4\n');
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
  });

  it('prints a readable table that fits 80 columns, and the ScaledObject to paste', async () => {
    const out = await cli(['simulate', '--scenario', EXAMPLE, '--replications', '3', '--sweep', 'minReplicaCount=0,4', 'scaleIn=off,drain', '--slo-p95', '80']);
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(out.stdout).toContain('3 replications per configuration; figures are means ± a 95 % interval.');
    expect(out.stdout).toMatch(/Recommended: #4, the cheapest that meets the SLO/);
    expect(out.stdout).toContain('    - type: external');
    expect(out.stdout).toContain('        scaleIn: "drain"');
    expect(out.stdout).toMatch(/KEDA calls the scaler [0-9.]+ times a minute and the scaler reads the metastore 60\s+times, in every configuration\./);
  });

  it('exits 3 when no configuration meets the SLO, naming the nearest and what limits it', async () => {
    const out = await cli(['simulate', '--scenario', EXAMPLE, '--replications', '2', '--sweep', 'cooldownPeriod=60,600', 'scaleIn=drain', '--slo-p95', '5']);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain('No configuration meets the SLO: p95 queue wait <= 5 s');
    expect(out.stdout).toMatch(/Nearest: #\d, p95 /);
    expect(out.stdout).toMatch(/pods ready at once \(nodes too\) +[0-9.]+ ±[0-9.]+ s/);
    const json = await cli(['simulate', '--scenario', EXAMPLE, '--json', '--replications', '2', '--sweep', 'cooldownPeriod=60,600', 'scaleIn=drain', '--slo-p95', '5']);
    expect(json.code).toBe(3);
    const rec = (JSON.parse(json.stdout) as { recommendation: Record<string, unknown> }).recommendation;
    expect(rec['run']).toBeNull();
    expect(rec['configuration']).toBeNull();
    expect((rec['limits'] as { limit: string }[]).map((l) => l.limit).sort()).toEqual(["the HPA's ramp", 'maxReplicaCount', 'pod startup', 'polling'].sort());
  });

  it('compares the scale-in policies side by side on the same workload', async () => {
    const longTasks = fileURLToPath(new URL('../../../src/sim/scenarios/long-tasks-burst.yaml', import.meta.url));
    const text = await cli(['simulate', '--scenario', longTasks, '--compare-scale-in', '--replications', '2']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const table = text.stdout.split('\n');
    expect(table).toContainEqual(expect.stringMatching(/^scale-in +off +rank +drain$/));
    for (const label of ['tasks killed', 'worker-hours', 'p95 wait (s)', 'peak workers', 'drains', 'restores']) {
      expect(table.some((line) => line.startsWith(label)), label).toBe(true);
    }
    expect(table.find((line) => line.startsWith('tasks killed'))).toMatch(/ 0$/);
    expect(text.stdout).toContain('scaleIn compared');

    const json = await cli(['simulate', '--scenario', longTasks, '--compare-scale-in', '--json', '--replications', '2']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { compare: string; runs: RunJson[] };
    expect(doc.compare).toBe('scaleInPolicy');
    expect(doc.runs.map((r) => r.config['scaleInPolicy'])).toEqual(['off', 'rank', 'drain']);
    const [off, , drain] = doc.runs;
    expect(off!['tasksKilled']).toBeGreaterThan(0);
    expect(drain!['tasksKilled']).toBe(0);
    expect(drain!['drains']).toBeGreaterThan(0);
  });

  it('pre-warms from the schedule with --prewarm, sweeps it, and prints it in the ScaledObject it recommends', async () => {
    const out = await cli([
      'simulate', '--scenario', EXAMPLE, '--json', '--replications', '3', '--prewarm-lead-seconds', '90', '--prewarm-history-runs', '3',
      '--scale-in', 'drain', '--sweep', 'prewarm=off,schedule', '--slo-p95', '30',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; recommendation: Record<string, unknown> };
    expect(doc.runs.map((r) => [r.config['prewarm'], r.config['prewarmLeadSeconds'], r.config['prewarmHistoryRuns']])).toEqual([['off', 90, 3], ['schedule', 90, 3]]);
    const p95 = (run: RunJson) => (run['estimates'] as Record<string, { mean: number }>)['p95WaitSeconds']!.mean;
    expect(p95(doc.runs[1]!)).toBeLessThan(0.3 * p95(doc.runs[0]!));
    expect(doc.recommendation).toMatchObject({ run: 2, configuration: { trigger: { metadata: { prewarm: 'schedule', prewarmLeadSeconds: '90', prewarmHistoryRuns: '3' } } } });
    expect(doc.recommendation['scaledObject']).toContain('        prewarm: "schedule"\n        prewarmLeadSeconds: "90"\n');

    const text = await cli(['simulate', '--scenario', EXAMPLE, '--replications', '2', '--prewarm', '--sweep', 'prewarmLeadSeconds=30,120']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/scaleIn off, prewarm schedule\s+\(lead 120 s, last 5 runs\)/);
    expect(text.stdout).toMatch(/prewarm +p95 wait.*\n# +LeadSeconds/);
  });

  it('replays the run columns of a trace: scheduled runs are forecast, manual ones are not', async () => {
    const trace = join(dir, 'runs.csv');
    const rows = ['queue,queued_at,duration_seconds,dag_id,run_id,run_type,run_after'];
    // A day of hourly runs: the first has no history to size it, the other 23 (96 %) are forecast.
    for (let h = 0; h < 24; h++) {
      const due = Date.UTC(2024, 4, 1, h);
      for (let i = 0; i < 64; i++) rows.push(`default,${new Date(due + 2000 + i * 100).toISOString()},60,etl,s${h},scheduled,${new Date(due).toISOString()}`);
    }
    writeFileSync(trace, `${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'manual.csv'), `${rows.join('\n').replaceAll(',scheduled,', ',manual,')}\n`);
    const run = async (file: string) => {
      const out = await cli(['simulate', '--trace', file, '--json', '--replications', '4', '--pod-startup', '40', '--sweep', 'prewarm=off,schedule']);
      expect(out.code).toBe(0);
      return (JSON.parse(out.stdout) as { runs: RunJson[] }).runs.map((r) => r.queueWaitSeconds['p95']!);
    };
    const [reactive, prewarmed] = await run(trace);
    expect(reactive).toBeGreaterThan(30);
    expect(prewarmed).toBe(0);
    const [manualOff, manualOn] = await run(join(dir, 'manual.csv'));
    expect(manualOn).toBe(manualOff);
  });

  it('replays a CSV trace, with the poll phase drawn', async () => {
    const trace = join(dir, 'trace.csv');
    writeFileSync(trace, 'queue,queued_at,duration_seconds,extra\ndefault,2024-05-01T10:00:05Z,30,x\ndefault,1714557610,20,y\nother,2024-05-01T10:00:20Z,5,z\n');
    const out = await cli(['simulate', '--trace', trace, '--json', '--queues', 'default', '--pod-startup', '0', '--replications', '20']);
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { runs: RunJson[]; workload: { source: string; tasks: number; start: string } };
    expect(doc.workload).toMatchObject({ source: 'trace', tasks: 3, start: '2024-05-01T10:00:00.000Z' });
    expect(doc.runs[0]!['tasks']).toMatchObject({ total: 2, completed: 2, unfinished: 0 });
    // The first task waits for KEDA's next poll: anywhere in (0, 30) s, so the replications differ.
    const max = doc.runs[0]!.queueWaitSeconds['max']!;
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThan(30);
    const p95 = (doc.runs[0]!['estimates'] as Record<string, { low: number; high: number }>)['p95WaitSeconds']!;
    expect(p95.high).toBeGreaterThan(p95.low);
  });

  it.each([
    [['simulate'], 'simulate needs exactly one of --scenario FILE or --trace FILE.csv'],
    [['simulate', '--scenario', '/nonexistent.yaml'], 'cannot read scenario "/nonexistent.yaml"'],
    [['simulate', '--scenario', EXAMPLE, '--polling-interval', '0'], '--polling-interval="0" must be between 1 and 86400'],
    [['simulate', '--scenario', EXAMPLE, '--max-replica-count', '-5'], '--max-replica-count="-5" must be a whole number from 1 to 100000'],
    [['simulate', '--scenario', EXAMPLE, '--max-replicas', '-5'], '--max-replica-count="-5" must be a whole number from 1 to 100000'],
    [['simulate', '--scenario', EXAMPLE, '--retry-delay', '-1'], '--retry-delay=-1 must be a number from 0 to 86400'],
    [['simulate', '--scenario', EXAMPLE, '--min-replica-count', '9', '--max-replica-count', '3'], 'maxReplicaCount=3 must be >= minReplicaCount (9)'],
    [['simulate', '--scenario', EXAMPLE, '--min-replicas', '1', '--min-replica-count', '2'], '--min-replicas and --min-replica-count name the same setting; give one'],
    [['simulate', '--scenario', EXAMPLE, '--sweep', 'pollingInterval=5', 'bogus=1'], 'unknown setting "bogus"'],
    [['simulate', '--scenario', EXAMPLE, '--sweep', 'cooldownPerod=60'], 'unknown setting "cooldownPerod" (did you mean "cooldownPeriod"?)'],
    [['simulate', '--scenario', EXAMPLE, '--polling', '5'], 'unknown option "--polling" (did you mean "--polling-interval"?)'],
    [['simulate', '--scenario', EXAMPLE, '--frobnicate'], 'unknown option "--frobnicate"'],
    [['simulate', '--scenario', EXAMPLE, '--scale-in', 'drian'], '--scale-in="drian" must be one of off, rank, drain (did you mean "drain"?)'],
    [['simulate', '--scenario', EXAMPLE, '--pod-startup', 'lognormal:median=40s'], 'must give median and sigma for a lognormal distribution'],
    [['simulate', '--scenario', EXAMPLE, '--replications', '0'], '--replications="0" must be between 1 and 10000'],
    [['simulate', '--scenario', EXAMPLE, '--allow-killed'], '--allow-killed changes the --slo-p95 decision; give --slo-p95 too'],
    [['simulate', '--scenario', EXAMPLE, '--compare-scale-in', '--sweep', 'pollingInterval=5,30'], '--compare-scale-in runs one configuration under every scale-in policy; it does not combine with --sweep'],
    [['simulate', '--scenario', EXAMPLE, '--prewarm-lead-seconds', '0'], '--prewarm-lead-seconds="0" must be between 1 and 3600'],
    [['simulate', '--scenario', EXAMPLE, '--prewarm-history-runs', '51'], '--prewarm-history-runs="51" must be between 1 and 50'],
    [['simulate', '--scenario', EXAMPLE, '--prewarm=schedule'], "Option '--prewarm' does not take an argument"],
    [['simulate', '--scenario', EXAMPLE, '--sweep', 'prewarm=cron'], '--sweep prewarm: value "cron" must be one of off, schedule'],
    [['simulate', '--scenario', EXAMPLE, '--sweep', 'prewarmLeadSeconds=30,4000'], '--sweep prewarmLeadSeconds: value "4000" must be between 1 and 3600'],
  ])('refuses bad input with exit status 2 and a message naming it: %j', async (args, message) => {
    const out = await cli(args);
    expect(out.stderr).toContain(message);
    expect(out.code).toBe(2);
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

  it('documents each command with its own help, and the main usage lists the commands', async () => {
    const help = await cli(['simulate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--sweep KEY=V1,V2');
    expect(help.stdout).toContain('--replications N');
    expect(help.stdout).toContain('Exit status: 0 done; 2 bad input (every problem is named); 3 no configuration meets --slo-p95.');
    for (const [command, usage] of [['serve', 'Usage: airflow-keda-scaler serve'], ['demo', 'Usage: airflow-keda-scaler demo'], ['export-trace', 'Usage: airflow-keda-scaler export-trace']] as const) {
      const out = await cli([command, '--help']);
      expect(out.code, command).toBe(0);
      expect(out.stdout.startsWith(usage), command).toBe(true);
    }
    const usage = await cli(['--help']);
    expect(usage.stdout).toMatch(/serve .*\n[\s\S]*demo [\s\S]*simulate [\s\S]*export-trace/);
  });
});
