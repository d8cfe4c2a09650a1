import { describe, expect, it } from 'vitest';

import { parseCron } from '../../../src/sim/input/cron.js';
import { SimInputError } from '../../../src/sim/input/errors.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import { parseIsoTimestamp } from '../../../src/sim/input/iso-time.js';

function problemsOf(text: string): readonly string[] {
  try {
    parseScenario(text, '/some/dir/bad.yaml');
  } catch (err) {
    if (err instanceof SimInputError) return err.problems;
    throw err;
  }
  throw new Error('expected a SimInputError');
}

const MINIMAL = `
duration: 2h
queues:
  default:
    duration: 60s
    arrivals:
      - poisson: {ratePerMinute: 6}
`;

describe('scenario YAML', () => {
  it('reads a minimal scenario with defaults for everything else', () => {
    const scenario = parseScenario(MINIMAL, 'min.yaml');
    expect(scenario.name).toBe('min.yaml');
    expect(scenario.settings).toEqual({});
    expect(scenario.workload).toMatchObject({ kind: 'generated', durationSeconds: 7200 });
  });

  it('names the file, the key path and the value of every problem at once', () => {
    const problems = problemsOf(`
duration: 2h
queues:
  default:
    arrivals:
      - poisson: {ratePerMinute: -3, duration: {distribution: lognormal, median: 60s}}
      - poison: {ratePerMinute: 3}
      - burst: {tasks: 2.5, cron: "61 * * * *", duration: 10s}
scaledObject:
  pollingInterval: "fast"
  trigger: push
workers:
  concurency: 16
`);
    expect(problems).toEqual([
      'bad.yaml: workers.concurency is not a known key (did you mean "concurrency"?)',
      'bad.yaml: scaledObject.pollingInterval: "fast" must be a whole number from 1 to 86400',
      'bad.yaml: scaledObject.trigger: "push" must be one of external, external-push',
      'bad.yaml: queues.default.arrivals[0].poisson.ratePerMinute: -3 must be a number > 0',
      'bad.yaml: queues.default.arrivals[0].poisson.duration.sigma: (missing) must be a number from 0 to 10',
      'bad.yaml: queues.default.arrivals[1].poison is not a known key (did you mean "poisson"?)',
      'bad.yaml: queues.default.arrivals[2].burst.tasks: 2.5 must be a whole number from 1 to 10000000',
      'bad.yaml: queues.default.arrivals[2].burst.cron: "61 * * * *" is not a cron expression: Invalid value for minute: 61',
    ]);
  });

  it('reports a YAML syntax error with its line and column', () => {
    expect(problemsOf('duration: 2h\nqueues: [unclosed\n')).toEqual([expect.stringMatching(/^bad\.yaml:3:1: not valid YAML: /)]);
  });

  it('needs exactly one of queues or trace', () => {
    expect(problemsOf('duration: 1h\n')).toEqual(['bad.yaml: needs exactly one of queues (a generated workload) or trace (a CSV file to replay)']);
    expect(problemsOf('trace: t.csv\nduration: 1h\n')).toEqual([
      'bad.yaml: duration: "1h" applies only to a generated workload (queues), not to a trace',
    ]);
  });

  it('asks for a duration on the arrival or its queue', () => {
    expect(problemsOf('duration: 1h\nqueues:\n  q:\n    arrivals:\n      - poisson: {ratePerHour: 5}\n')).toEqual([
      'bad.yaml: queues.q.arrivals[0].poisson.duration is missing (set it here or on the queue)',
    ]);
  });

  it('reads settings and defaults a partial HPA behavior the way Kubernetes does', () => {
    const scenario = parseScenario(
      `${MINIMAL}
seed: 9
workers: {concurrency: 8, startup: {distribution: lognormal, median: 40s, sigma: 0.3}, scaleIn: idle-first}
scaledObject:
  pollingInterval: 5
  minReplicaCount: 1
  queues: [default, high]
  behavior: {scaleDown: {stabilizationWindowSeconds: 60}}
simulation: {retryDelaySeconds: 5m}
`,
      'settings.yaml',
    );
    expect(scenario.settings).toMatchObject({
      seed: 9,
      workerConcurrency: 8,
      podStartup: { distribution: 'lognormal', median: 40, sigma: 0.3 },
      scaleInPolicy: 'rank',
      pollingInterval: 5,
      minReplicaCount: 1,
      queues: ['default', 'high'],
      retryDelaySeconds: 300,
    });
    expect(scenario.settings.hpaBehavior?.scaleDown.stabilizationWindowSeconds).toBe(60);
    expect(scenario.settings.hpaBehavior?.scaleUp.policies).toHaveLength(2);
  });

  it("reads the scaler's scale-in policies, the old names as aliases, and names every policy when the value is unknown", () => {
    for (const policy of ['off', 'rank', 'drain']) {
      expect(parseScenario(`${MINIMAL}workers: {scaleIn: ${policy}}\n`, 'p.yaml').settings).toEqual({ scaleInPolicy: policy });
    }
    expect(parseScenario(`${MINIMAL}workers: {scaleIn: kubernetes}\n`, 'old.yaml').settings).toEqual({ scaleInPolicy: 'off' });
    expect(problemsOf(`${MINIMAL}workers: {scaleIn: drain-first}\n`)).toEqual([
      'bad.yaml: workers.scaleIn: "drain-first" must be one of off, rank, drain (or the old names kubernetes, idle-first)',
    ]);
  });

  it("reads the scaler's pre-warming keys with the bounds the service has, each problem naming its key", () => {
    const on = parseScenario(`${MINIMAL}scaledObject: {prewarm: schedule, prewarmLeadSeconds: 180, prewarmHistoryRuns: 3}\n`, 'p.yaml');
    expect(on.settings).toEqual({ prewarm: 'schedule', prewarmLeadSeconds: 180, prewarmHistoryRuns: 3 });
    expect(problemsOf(`${MINIMAL}scaledObject: {prewarm: cron, prewarmLeadSeconds: 0, prewarmHistoryRuns: 51}\n`)).toEqual([
      'bad.yaml: scaledObject.prewarm: "cron" must be one of off, schedule',
      'bad.yaml: scaledObject.prewarmLeadSeconds: 0 must be a whole number from 1 to 3600',
      'bad.yaml: scaledObject.prewarmHistoryRuns: 51 must be a whole number from 1 to 50',
    ]);
  });

  it("takes a burst's dag: as an Airflow dag_id, and only on a burst", () => {
    expect(problemsOf(`
duration: 1h
queues:
  default:
    duration: 10s
    arrivals:
      - burst: {dag: "etl daily", tasks: 1, every: 1h}
      - poisson: {dag: etl, ratePerMinute: 1}
`)).toEqual([
      'bad.yaml: queues.default.arrivals[0].burst.dag: "etl daily" must be a dag_id: 1 to 250 letters, digits, _, . or -',
      'bad.yaml: queues.default.arrivals[1].poisson.dag is not a known key',
    ]);
  });
});

describe('workload generation', () => {
  it('fires a cron burst of N tasks at every matching minute (UTC)', () => {
    const scenario = parseScenario(
      'duration: 1d\nstart: 2024-01-01T00:00:00Z\nqueues:\n  etl:\n    arrivals:\n      - burst: {tasks: 300, cron: "0 */6 * * *", duration: 10s}\n',
      'cron.yaml',
    );
    const workload = generateWorkload(scenario, 1);
    expect(workload.queuedAt.length).toBe(1200);
    expect([...new Set(workload.queuedAt)]).toEqual([0, 21600, 43200, 64800]);
  });

  it('makes each fire of a burst a scheduled run of its DAG, due at the fire time; other arrivals belong to no run', () => {
    const scenario = parseScenario(
      `duration: 3h
queues:
  default:
    duration: 10s
    arrivals:
      - burst: {dag: etl, tasks: 3, cron: "0 * * * *", spread: 20s}
      - burst: {tasks: 2, every: 90m, offset: 30m}
      - poisson: {ratePerMinute: 1}
  high:
    duration: 10s
    arrivals:
      - burst: {dag: etl, tasks: 2, cron: "0 * * * *"}
`,
      'runs.yaml',
    );
    const workload = generateWorkload(scenario, 3);
    const runs = workload.runs!;
    expect(runs.dagIds).toEqual(['etl', 'default_burst_1']);
    // etl fires at 0, 1 h and 2 h on both queues: one run each time, 5 tasks; the other DAG at 30 and 120 minutes.
    expect([...runs.runAfter]).toEqual([0, 3600, 7200, 1800, 7200]);
    expect([...runs.runScheduled]).toEqual([1, 1, 1, 1, 1]);
    expect([...runs.runDag]).toEqual([0, 0, 0, 1, 1]);
    const tasksOf = (run: number): number[] => [...workload.queuedAt].filter((_, i) => runs.taskRun[i] === run);
    expect(tasksOf(1)).toHaveLength(5);
    for (const at of tasksOf(1)) expect(at >= 3600 && at < 3620).toBe(true);
    // The Poisson arrivals: no run.
    const loose = [...runs.taskRun].filter((run) => run === -1).length;
    expect(loose).toBe(workload.queuedAt.length - 3 * 5 - 2 * 2);
    expect(loose).toBeGreaterThan(100);
    // The draws are the ones a scenario without dag: names makes.
    const unnamed = generateWorkload(parseScenario('duration: 1h\nqueues:\n  q:\n    duration: 1s\n    arrivals:\n      - burst: {tasks: 5, every: 10m, spread: 60s}\n', 'u.yaml'), 4);
    const named = generateWorkload(parseScenario('duration: 1h\nqueues:\n  q:\n    duration: 1s\n    arrivals:\n      - burst: {dag: d, tasks: 5, every: 10m, spread: 60s}\n', 'n.yaml'), 4);
    expect([...named.queuedAt]).toEqual([...unnamed.queuedAt]);
  });

  it('draws a Poisson stream at the given rate and is the same for the same seed', () => {
    const scenario = parseScenario('duration: 10d\nqueues:\n  q:\n    duration: 1s\n    arrivals:\n      - poisson: {ratePerMinute: 10}\n', 'p.yaml');
    const a = generateWorkload(scenario, 5);
    const expected = 10 * 60 * 24 * 10;
    expect(Math.abs(a.queuedAt.length / expected - 1)).toBeLessThan(0.01);
    expect(generateWorkload(scenario, 5).queuedAt).toEqual(a.queuedAt);
    expect(generateWorkload(scenario, 6).queuedAt).not.toEqual(a.queuedAt);
  });

  it('ramps the arrival rate linearly', () => {
    const scenario = parseScenario(
      'duration: 4h\nqueues:\n  q:\n    duration: 1s\n    arrivals:\n      - ramp: {startRatePerMinute: 0, endRatePerMinute: 100, from: 0h, until: 4h}\n',
      'r.yaml',
    );
    const times = generateWorkload(scenario, 2).queuedAt;
    const firstHour = times.filter((t) => t < 3600).length;
    const lastHour = times.filter((t) => t >= 3 * 3600).length;
    // Expected 750 and 5250 (integrals of the linear rate over the first and last hour).
    expect(Math.abs(firstHour / 750 - 1)).toBeLessThan(0.1);
    expect(Math.abs(lastHour / 5250 - 1)).toBeLessThan(0.05);
  });
});

describe('cron and timestamps', () => {
  it('fires on minutes, hours, ranges, steps, names and either day field, in UTC', () => {
    const at = (iso: string): number => Date.parse(iso);
    const runs = (expression: string, from: string, until: string): string[] =>
      parseCron(expression).runs(at(from), at(until)).map((ms) => new Date(ms).toISOString().slice(0, 16));
    expect(runs('30 6 * * 1-5', '2024-01-05T00:00:00Z', '2024-01-09T00:00:00Z')).toEqual(['2024-01-05T06:30', '2024-01-08T06:30']);
    expect(runs('30 6 * * MON-FRI', '2024-01-05T00:00:00Z', '2024-01-09T00:00:00Z')).toEqual(['2024-01-05T06:30', '2024-01-08T06:30']);
    // Both day fields restricted: either matches (Vixie cron, croniter).
    expect(runs('0 0 1 * 0', '2024-01-31T00:00:00Z', '2024-02-12T00:00:00Z')).toEqual(['2024-02-01T00:00', '2024-02-04T00:00', '2024-02-11T00:00']);
    // The start is included, the end is not.
    expect(runs('*/20 * * * *', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z')).toEqual(['2024-01-01T00:00', '2024-01-01T00:20', '2024-01-01T00:40']);
    expect(() => parseCron('* * *')).toThrow('needs 5 fields');
  });

  it("takes Airflow's presets, @quarterly included, and explains the ones that are not cron", () => {
    const at = (iso: string): number => Date.parse(iso);
    const count = (expression: string): number => parseCron(expression).runs(at('2024-01-01T00:00:00Z'), at('2025-01-01T00:00:00Z')).length;
    expect(count('@hourly')).toBe(366 * 24);
    expect(count('@daily')).toBe(366);
    expect(count('@midnight')).toBe(366);
    expect(count('@weekly')).toBe(52);
    expect(count('@monthly')).toBe(12);
    expect(count('@quarterly')).toBe(4);
    expect(count('@yearly')).toBe(1);
    expect(count('@annually')).toBe(1);
    expect(() => parseCron('@once')).toThrow('@once is not a cron schedule: it runs once');
    expect(() => parseCron('@continuous')).toThrow('is not a cron schedule');
  });

  it('reads ISO-8601 with or without an offset (UTC), and PostgreSQL text form', () => {
    expect(parseIsoTimestamp('2024-03-01T10:00:00Z')).toBe(Date.UTC(2024, 2, 1, 10));
    expect(parseIsoTimestamp('2024-03-01T10:00:00')).toBe(Date.UTC(2024, 2, 1, 10));
    expect(parseIsoTimestamp('2024-03-01 10:00:00.250+02')).toBe(Date.UTC(2024, 2, 1, 8, 0, 0, 250));
    expect(parseIsoTimestamp('2024-03-01T10:00+0530')).toBe(Date.UTC(2024, 2, 1, 4, 30));
    expect(parseIsoTimestamp('2024-02-30T00:00:00Z')).toBeNaN();
    expect(parseIsoTimestamp('yesterday')).toBeNaN();
  });
});
