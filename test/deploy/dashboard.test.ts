import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dump } from 'js-yaml';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';

import { PromMetric } from '../../src/core/metric-names.js';
import { DEPLOY_DIR, single } from './helpers.js';
import { DASHBOARD_FILE, interpolate, loadDashboard, queryPanels, variableQuery } from './support/dashboard.js';
import { PROMTOOL, rendering } from './support/renderings.js';

/**
 * The Grafana dashboard cannot be rendered here (no Grafana); what can be checked is checked:
 * its structure as Grafana's dashboard JSON model has it, every query parsed by Prometheus' own
 * parser (promtool), every metric one the scaler exports or kube-state-metrics', every variable
 * defined and used. test/integration/monitoring runs every query against a real Prometheus.
 */
const dashboard = loadDashboard();
const panels = queryPanels(dashboard);
const variables = dashboard.templating.list;
// kube-state-metrics (v2) series the dashboard joins; README "Dashboard" states the assumption.
const KUBE_STATE_METRICS = ['kube_deployment_status_replicas_ready'];
const SAMPLE = { datasource: 'prometheus', namespace: 'airflow', worker_set: '.*', queue: '.*', __rate_interval: '1m' };

describe('the Grafana dashboard', () => {
  it('is a dashboard JSON model with a stable uid, a datasource variable, and one per namespace, worker set and queue', () => {
    expect(dashboard.uid).toBe('airflow-keda-scaler');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(variables.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['namespace', 'query'],
      ['worker_set', 'query'],
      ['queue', 'query'],
    ]);
    for (const v of variables.filter((v) => v.includeAll === true)) expect(v.allValue, v.name).toBe('.*');
  });

  it('lays panels out on the 24-column grid without overlaps, each with a unique id and a description', () => {
    const all = dashboard.panels;
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of all) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.w * p.gridPos.h, p.title).toBeGreaterThan(0);
    }
    for (const [i, a] of all.entries()) {
      for (const b of all.slice(i + 1)) {
        const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${a.title} / ${b.title}`).toBe(false);
      }
    }
    for (const p of panels) expect(p.description, p.title).toMatch(/.{20,}/);
  });

  it('shows what the issue asks for: desired vs reported vs ready workers, tasks per queue, oldest age, snapshot age, poll and RPC latency and errors by code, scale-in', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const metric of [
      PromMetric.workerSetFormulaWorkers, PromMetric.workerSetReportedWorkers, 'kube_deployment_status_replicas_ready', PromMetric.workerSetInfo,
      PromMetric.queueTasks, PromMetric.queueOldestQueuedTaskAge, PromMetric.snapshotAgeSeconds, `${PromMetric.pollDurationSeconds}_bucket`,
      PromMetric.pollErrorsTotal, `${PromMetric.grpcRequestDurationSeconds}_bucket`, PromMetric.grpcRequestsTotal, PromMetric.scaleInDrainsTotal,
      PromMetric.scaleInRestoresTotal, PromMetric.scaleInFailuresTotal,
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it('queries only its datasource variable, only metrics that exist, and uses every variable it defines', () => {
    const exported = new Set<string>(Object.values(PromMetric).flatMap((m) => [m, `${m}_bucket`, `${m}_sum`, `${m}_count`]));
    const used = new Set<string>();
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid, panel.title).toBe('${datasource}');
        for (const [metric] of target.expr.matchAll(/\b(?:airflow_keda_scaler_|kube_)[a-z_]+/g)) {
          expect(exported.has(metric) || KUBE_STATE_METRICS.includes(metric), `${panel.title}: ${metric}`).toBe(true);
        }
        for (const [, name] of target.expr.matchAll(/\$\{?([a-z_]+)\}?/g)) used.add(name!);
      }
    }
    for (const v of variables) for (const [, name] of variableQuery(v).matchAll(/\$\{?([a-z_]+)\}?/g)) used.add(name!);
    for (const v of variables.filter((v) => v.name !== 'datasource')) expect(used, v.name).toContain(v.name);
    for (const name of used) expect(['__rate_interval', ...variables.map((v) => v.name)], name).toContain(name);
  });

  it('every query parses as PromQL (promtool check rules on each as a recording rule), and a broken one would not', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => interpolate(t.expr, SAMPLE)));
    const check = (list: readonly string[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'aks-dashboard-'));
      try {
        const rules = list.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
        writeFileSync(join(dir, 'rules.yaml'), dump({ groups: [{ name: 'dashboard', rules }] }));
        return spawnSync(PROMTOOL, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const checked = check(exprs);
    expect(checked.stdout + checked.stderr).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(check(['sum by (queue (airflow_keda_scaler_queue_tasks)']).status).not.toBe(0);
  });

  it('is provisioned by the monitoring component as a ConfigMap Grafana\'s sidecar loads, and the chart\'s copy is identical', () => {
    const map = single<IConfigMap>(rendering('deploy/overlays/monitoring').manifests, 'ConfigMap', 'airflow-keda-scaler-dashboard');
    expect(map.metadata?.labels?.['grafana_dashboard']).toBe('1');
    expect(map.data?.['airflow-keda-scaler.json']).toBe(readFileSync(DASHBOARD_FILE, 'utf8'));
    expect(readFileSync(join(DEPLOY_DIR, 'chart/airflow-keda-scaler/files/dashboard.json'), 'utf8')).toBe(readFileSync(DASHBOARD_FILE, 'utf8'));
  });
});
