import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { Dashboard } from '../../deploy/support/dashboard.js';
import { interpolate, loadDashboard, queryPanels, variableQuery } from '../../deploy/support/dashboard.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { CliProcess } from '../../support/cli-process.js';
import { runCli } from '../../support/cli-process.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { KubeApiServer } from '../../support/kube-api-server.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import type { PromSample, RunningPrometheus } from '../../support/prometheus.js';
import { serveExposition, startPrometheus } from '../../support/prometheus.js';
import { withDatabase } from '../../support/servers.js';
import { eventually } from '../../support/service.js';

/*
 * A real Prometheus (Debian's prometheus) scrapes a real scaler (the built CLI's `serve`, reading
 * real task_instance rows through PgBouncer, ranking pods through a stand-in Kubernetes API) and
 * evaluates the monitoring component's rules. Every dashboard query and every alert expression
 * must return data. Where the scaler alone cannot produce a series:
 * - kube-state-metrics' kube_deployment_status_replicas_ready comes from a second scrape target
 *   serving a fixed exposition, scraped with honor_labels as kube-prometheus-stack does;
 * - AirflowKedaScalerWorkerSetNotPolled needs five minutes without a request: its expression is
 *   evaluated at now + 400 s (an instant query in the future), which is what Prometheus computes
 *   once 400 s pass with no new sample;
 * - AirflowKedaScalerDown needs no scaler scraped: the scaler is stopped at the end and the
 *   expression evaluated once Prometheus' scrape has failed.
 * Conditions are made true for real: a second metastore that cannot be read (poll errors, a stale
 * snapshot), a worker set capped below its demand (pinned at max), an invalid trigger (INVALID_ARGUMENT),
 * no Celery broker while the set drains (degraded), an API server that fails every patch, and a
 * third metastore without dag and dag_run behind a set that pre-warms (no forecast).
 */

const servers = inject('servers');
const NAMESPACE = 'airflow';
const LABELS = { component: 'worker', release: 'airflow' };
const WORKERS = ['airflow-worker-7c9d-aaaaa', 'airflow-worker-7c9d-bbbbb', 'airflow-worker-7c9d-ccccc', 'airflow-worker-7c9d-ddddd'];
// Demand 5 at concurrency 1, capped at 2: pinned at max, two of four workers surplus.
const TRIGGER = { queues: 'default,high', workerConcurrency: '1', maxReplicaCount: '2', scaleIn: 'drain', workerPodSelector: 'component=worker,release=airflow', prewarm: 'schedule' };
const BROKEN_TRIGGER = { queues: 'default', workerConcurrency: 'zero' };
// A worker set that pre-warms from a metastore without dag and dag_run: no forecast.
const NO_DAGS_TRIGGER = { queues: 'default', workerConcurrency: '1', metastore: 'nodags', prewarm: 'schedule' };
const KSM_EXPOSITION = [
  '# HELP kube_deployment_status_replicas_ready The number of ready replicas per deployment.',
  '# TYPE kube_deployment_status_replicas_ready gauge',
  `kube_deployment_status_replicas_ready{namespace="${NAMESPACE}",deployment="airflow-worker"} 3`,
  `kube_deployment_status_replicas_ready{namespace="${NAMESPACE}",deployment="airflow-scheduler"} 1`,
  '',
].join('\n');
const VARIABLES = { datasource: 'prometheus', namespace: NAMESPACE, worker_set: '.*', queue: '.*', __rate_interval: '30s' };

interface Rule {
  readonly alert: string;
  readonly expr: string;
}
const RULE_GROUPS = (
  load(readFileSync(new URL('../../../deploy/components/monitoring/prometheusrule.yaml', import.meta.url), 'utf8')) as { spec: { groups: { name: string; rules: Rule[] }[] } }
).spec.groups;
const ALERTS = RULE_GROUPS.flatMap((g) => g.rules);

describe('the dashboard and the alerts against a real Prometheus scraping a real scaler', () => {
  let db: AirflowTestDb;
  let noDagsDb: AirflowTestDb;
  let noDagsClient: ScalerClient;
  let api: KubeApiServer;
  let cli: CliProcess;
  let client: ScalerClient;
  let prometheus: RunningPrometheus;
  let ksm: Awaited<ReturnType<typeof serveExposition>>;
  let configDir: string;
  let traffic: NodeJS.Timeout | undefined;
  const dashboard: Dashboard = loadDashboard();

  beforeAll(async () => {
    db = await createAirflowDb(servers, '3', { dagTables: true });
    // A DAG due in a minute whose last scheduled run queued 3 tasks at its start: a forecast.
    const lastRun = new Date(Date.now() - 3_600_000);
    await db.admin.query("INSERT INTO dag (dag_id, is_paused, is_stale, has_import_errors, max_active_tasks, next_dagrun_create_after) VALUES ('etl', false, false, false, 16, now() + interval '1 minute')");
    await db.admin.query("INSERT INTO dag_run (dag_id, run_id, run_type, state, start_date, logical_date, run_after) VALUES ('etl', 'scheduled__last', 'scheduled', 'success', $1, $1, $1)", [lastRun]);
    await db.insert(Array.from({ length: 3 }, () => ({ state: 'success', queue: 'default', dagId: 'etl', runId: 'scheduled__last', queuedAt: new Date(lastRun.getTime() + 1_000) })));
    await db.insert([
      { state: 'queued', queue: 'default', queuedSecondsAgo: 120 },
      { state: 'queued', queue: 'default', queuedSecondsAgo: 30 },
      { state: 'queued', queue: 'high', queuedSecondsAgo: 10 },
      { state: 'running', queue: 'default', hostname: WORKERS[0] },
      { state: 'running', queue: 'high', hostname: WORKERS[1] },
      { state: 'success', queue: 'default' },
    ]);
    noDagsDb = await createAirflowDb(servers, '3');
    api = await startKubeApiServer();
    api.addPods(...WORKERS.map((name) => buildPod({ name, namespace: NAMESPACE, labels: LABELS, owner: { kind: 'ReplicaSet', name: 'airflow-worker-7c9d' } })));
    // Every pod-deletion-cost patch fails (500): scale-in still plans and publishes, and counts failures.
    api.setFault('patch', { kind: 'status', code: 500, reason: 'InternalError', message: 'etcd is having a bad day' });

    configDir = mkdtempSync(join(tmpdir(), 'aks-monitoring-'));
    const configFile = join(configDir, 'scaler.yaml');
    writeFileSync(
      configFile,
      dump({
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        poll: { intervalMs: 200, maxBackoffMs: 400 },
        metastores: {
          default: { url: db.bouncerUrl() },
          // PgBouncer forwards to PostgreSQL, which has no such database: every read fails.
          broken: { url: withDatabase(servers.pgbouncerUrl, 'aks_no_such_database') },
          nodags: { url: noDagsDb.bouncerUrl() },
        },
        scaleIn: { kubeconfig: api.writeKubeconfig({ namespace: NAMESPACE }) },
      }),
    );
    cli = runCli(['serve', '--config', configFile], {});
    const { grpcPort, httpPort } = await cli.listening();
    client = connectScaler(grpcPort);
    noDagsClient = connectScaler(grpcPort, undefined, undefined, { name: 'airflow-worker-nodags', namespace: NAMESPACE });
    // KEDA's traffic: the worker set's three questions, and a ScaledObject with a broken trigger.
    const ask = (): void => {
      void client.getMetrics(TRIGGER, '').catch(() => undefined);
      void client.isActive(TRIGGER).catch(() => undefined);
      void client.getMetrics(BROKEN_TRIGGER, '').catch(() => undefined);
      void noDagsClient.getMetrics(NO_DAGS_TRIGGER, '').catch(() => undefined);
    };
    ask();
    traffic = setInterval(ask, 250);

    ksm = await serveExposition(() => KSM_EXPOSITION);
    prometheus = await startPrometheus(
      [
        { job_name: 'airflow-keda-scaler', targets: [`127.0.0.1:${httpPort}`], labels: { namespace: NAMESPACE, pod: 'airflow-keda-scaler-0' } },
        { job_name: 'kube-state-metrics', targets: [ksm.target], honor_labels: true },
      ],
      RULE_GROUPS,
    );
    // Until a scrape holds the scale-in plan and enough samples for rate() over the rate interval.
    await eventually(async () => ((await prometheus.query('rate(airflow_keda_scaler_scale_in_failures_total[15s]) > 0')).length > 0 ? true : undefined), 60_000, 500);
  }, 120_000);

  afterAll(async () => {
    clearInterval(traffic);
    client.close();
    noDagsClient.close();
    await prometheus.stop();
    await ksm.close();
    if (cli.child.exitCode === null) {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    await api.close();
    await db.drop();
    await noDagsDb.drop();
    rmSync(configDir, { recursive: true, force: true });
  });

  const hasData = async (expr: string, timeSeconds?: number): Promise<PromSample[]> =>
    eventually(async () => {
      const result = await prometheus.query(expr, timeSeconds);
      return result.length > 0 ? result : undefined;
    }, 20_000, 500);

  it('loads every rule group, and Prometheus evaluates each rule without error', async () => {
    const data = await prometheus.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
    const rules = data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(ALERTS.map((a) => a.alert).sort());
    await eventually(async () => {
      const now = (await prometheus.api<{ groups: { rules: { health: string }[] }[] }>('/api/v1/rules')).groups.flatMap((g) => g.rules);
      return now.every((r) => r.health === 'ok') ? true : undefined;
    }, 10_000, 200);
  });

  it.each(queryPanels(loadDashboard()).flatMap((panel) => (panel.targets ?? []).map((target) => [`${panel.title} (${target.refId})`, target.expr] as const)))(
    'dashboard panel %s returns data',
    async (_title, expr) => {
      const result = await hasData(interpolate(expr, VARIABLES));
      // A quantile over a window without observations is NaN (the unreadable metastore's reads
      // may all be waiting on PgBouncer); Grafana leaves a gap. Some series must hold a number.
      expect(result.some((sample) => !Number.isNaN(Number(sample.value[1]))), JSON.stringify(result)).toBe(true);
    },
  );

  it('the ready-workers query joins kube-state-metrics to the worker set by the ScaledObject name', async () => {
    const panel = queryPanels(dashboard).find((p) => p.title.startsWith('Workers: formula'))!;
    const ready = panel.targets!.find((t) => t.expr.includes('kube_deployment_status_replicas_ready'))!;
    const result = await hasData(interpolate(ready.expr, VARIABLES));
    expect(result).toHaveLength(1);
    expect(result[0]!.metric['worker_set']).toMatch(/^airflow-celery-default-high-[0-9a-f]{8}$/);
    expect(result[0]!.value[1]).toBe('3');
  });

  it('the oldest queued task is as old as the database says, and reported and formula counts are those KEDA got', async () => {
    const [age] = await hasData(`max(airflow_keda_scaler_queue_oldest_queued_task_age_seconds{namespace="${NAMESPACE}", queue="default"})`);
    expect(Number(age!.value[1])).toBeGreaterThanOrEqual(120);
    expect(Number(age!.value[1])).toBeLessThan(300);
    const [reported] = await hasData('max(airflow_keda_scaler_worker_set_reported_workers)');
    const [formula] = await hasData('max(airflow_keda_scaler_worker_set_formula_workers)');
    const answer = await client.getMetrics(TRIGGER, '');
    expect(formula!.value[1]).toBe('2');
    // Patches never succeed, so the plan keeps the busy and the unpatched surplus counted.
    expect(Number(reported!.value[1])).toBe(answer.metricValues[0]!.metricValue);
    expect(Number(reported!.value[1])).toBeGreaterThanOrEqual(2);
  });

  it('every variable lists values', async () => {
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const query = interpolate(variableQuery(variable), VARIABLES);
      const match = /^label_values\((.+), ([a-z_]+)\)$/.exec(query);
      expect(match, query).not.toBeNull();
      const values = await eventually(async () => {
        const data = await prometheus.api<string[]>(`/api/v1/label/${match![2]}/values?${new URLSearchParams({ 'match[]': match![1]! }).toString()}`);
        return data.length > 0 ? data : undefined;
      });
      expect(values.length, variable.name).toBeGreaterThan(0);
    }
  });

  it.each(ALERTS.filter((a) => !['AirflowKedaScalerWorkerSetNotPolled', 'AirflowKedaScalerDown'].includes(a.alert)).map((a) => [a.alert, a.expr] as const))(
    'alert %s: its expression returns data while its condition holds',
    async (_alert, expr) => {
      await hasData(expr);
    },
  );

  it('alert AirflowKedaScalerWorkerSetNotPolled: nothing now, data 400 s after the last request', async () => {
    const expr = ALERTS.find((a) => a.alert === 'AirflowKedaScalerWorkerSetNotPolled')!.expr;
    expect(await prometheus.query(expr)).toEqual([]);
    const inFuture = Date.now() / 1000 + 400;
    const result = await hasData(expr, inFuture);
    expect(result.map((s) => s.metric['worker_set']).sort()).toEqual([expect.stringMatching(/^airflow-celery-default-high-/), expect.stringMatching(/^airflow-celery-nodags-default-/)]);
  });

  it('alert AirflowKedaScalerDown: nothing while the scaler is scraped, data once it is gone', async () => {
    const expr = ALERTS.find((a) => a.alert === 'AirflowKedaScalerDown')!.expr;
    // One scrape slower than the 1 s scrape_timeout makes `up` 0 for an instant; ask until a scrape succeeded.
    await eventually(async () => ((await prometheus.query(expr)).length === 0 ? true : undefined), 10_000, 500);
    clearInterval(traffic);
    client.close();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await hasData(expr);
  });
});
