import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  CHART_FIXTURES,
  CHART_VALUES_DIR,
  DEPLOY_DIR,
  INSTALL_VALUES,
  INSTALL_VALUES_WITH_SETS,
  WORKER_SET_LABEL,
  at,
  chartValues,
  helmMerge,
  installerSource,
  isMap,
  readYamlMap,
  workerPodLabels,
} from './helpers.js';
import type { YamlMap } from './helpers.js';

const RFC1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

let validate: ValidateFunction;

function errorsOf(values: unknown): ErrorObject[] {
  validate(values);
  return validate.errors ?? [];
}

function describeErrors(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

beforeAll(() => {
  const schema = JSON.parse(readFileSync(join(CHART_FIXTURES, 'values.schema.json'), 'utf8')) as YamlMap;
  // The chart's schema is draft-07 with its own x-docsSection keywords and int32/int64 formats.
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  for (const format of ['int32', 'int64', 'date-time']) ajv.addFormat(format, true);
  validate = ajv.compile(schema);
});

describe('chart values for the official Airflow chart 1.19.0', () => {
  it('accepts the chart defaults themselves (the schema and defaults are the pinned pair)', () => {
    expect(describeErrors(errorsOf(chartValues()))).toBe('');
  });

  it('validates values.yaml + worker-concurrency.yaml, deep-merged over the chart defaults, against values.schema.json', () => {
    expect(describeErrors(errorsOf(chartValues(...INSTALL_VALUES)))).toBe('');
  });

  it('validates the worker-sets values layered on top as well', () => {
    expect(describeErrors(errorsOf(chartValues(...INSTALL_VALUES_WITH_SETS)))).toBe('');
  });

  it.each([
    ['workers', { terminationGracePeriodSecond: 600 }, 'terminationGracePeriodSecond'],
    ['pgbouncer', { configSecretNmae: 'airflow-pgbouncer-ini' }, 'configSecretNmae'],
    ['apiServer', { service: { typ: 'LoadBalancer' } }, 'typ'],
    ['dags', { gitSync: { sshKeySecrets: 'airflow-git-ssh-key' } }, 'sshKeySecrets'],
    ['logs', { persistance: { enabled: true } }, 'persistance'],
  ])('refuses a misspelled key under %s (%s)', (section, typo, key) => {
    const values = helmMerge(chartValues(...INSTALL_VALUES), { [section]: typo });
    const errors = errorsOf(values);
    expect(errors.some((e) => e.keyword === 'additionalProperties' && e.params['additionalProperty'] === key)).toBe(true);
  });

  it('refuses a value of the wrong type (terminationGracePeriodSeconds as a string)', () => {
    const values = helmMerge(chartValues(...INSTALL_VALUES), { workers: { terminationGracePeriodSeconds: '600' } });
    expect(errorsOf(values).some((e) => e.instancePath === '/workers/terminationGracePeriodSeconds')).toBe(true);
  });

  it('pins the same chart version in install.sh as the fixture it is validated against', () => {
    const script = readFileSync(join(DEPLOY_DIR, 'install.sh'), 'utf8');
    expect(script).toMatch(/^readonly CHART_VERSION=1\.19\.0$/m);
    expect(at(chartValues(), 'airflowVersion')).toBe('3.1.7'); // chart 1.19.0's default Airflow
  });
});

describe('the production settings', () => {
  const values = chartValues(...INSTALL_VALUES);

  it('runs CeleryExecutor workers as a Deployment with a 600 s grace period, chart KEDA and HPA off', () => {
    expect(at(values, 'executor')).toBe('CeleryExecutor');
    expect(at(values, 'workers.persistence.enabled')).toBe(false);
    expect(at(values, 'workers.celery.persistence.enabled')).toBe(false);
    expect(at(values, 'workers.terminationGracePeriodSeconds')).toBe(600);
    expect(at(values, 'workers.keda.enabled')).toBe(false);
    expect(at(values, 'workers.hpa.enabled')).toBe(false);
    expect(at(values, 'triggerer.keda.enabled')).toBe(false);
    expect(at(values, 'useStandardNaming')).toBe(false); // ScaledObjects target <release>-worker
  });

  it('uses RDS through PgBouncer with external secrets, and puts logs on efs-sc', () => {
    expect(at(values, 'postgresql.enabled')).toBe(false);
    expect(at(values, 'pgbouncer.enabled')).toBe(true);
    expect(at(values, 'pgbouncer.configSecretName')).toBe('airflow-pgbouncer-ini');
    expect(at(values, 'pgbouncer.metricsExporterSidecar.statsSecretName')).toBe('airflow-pgbouncer-stats-connection');
    expect(at(values, 'data.metadataSecretName')).toBe('airflow-metadata-connection');
    expect(at(values, 'data.resultBackendSecretName')).toBe('airflow-result-backend-connection');
    expect(at(values, 'logs.persistence')).toMatchObject({ enabled: true, storageClassName: 'efs-sc' });
  });

  it('syncs DAGs over SSH with the gitSshKey secret, known hosts, branch, rev HEAD, depth 1 and subPath dags', () => {
    const gitSync = at(values, 'dags.gitSync');
    expect(gitSync).toMatchObject({ enabled: true, rev: 'HEAD', depth: 1, subPath: 'dags', sshKeySecret: 'airflow-git-ssh-key', branch: 'main', ref: 'main' });
    expect(at(gitSync, 'repo')).toMatch(/^git@[^:]+:.+\.git$/); // scp-like SSH, no ssh:// prefix
    expect(at(gitSync, 'knownHosts')).toEqual(expect.any(String));
    expect(at(gitSync, 'wait')).toBeNull(); // `wait` would override `period` in git-sync v4
  });

  it('exposes the Airflow 3 API server through a LoadBalancer Service', () => {
    expect(at(values, 'apiServer.service.type')).toBe('LoadBalancer');
    expect(at(values, 'apiServer.service.annotations')).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
    });
  });

  it.each([
    'scheduler.resources',
    'scheduler.logGroomerSidecar.resources',
    'triggerer.resources',
    'triggerer.logGroomerSidecar.resources',
    'dagProcessor.resources',
    'dagProcessor.logGroomerSidecar.resources',
    'apiServer.resources',
    'workers.resources',
    'workers.logGroomerSidecar.resources',
    'redis.resources',
    'statsd.resources',
    'pgbouncer.resources',
    'pgbouncer.metricsExporterSidecar.resources',
    'dags.gitSync.resources',
    'createUserJob.resources',
    'migrateDatabaseJob.resources',
  ])('sets explicit requests and limits for %s', (path) => {
    const resources = at(values, path);
    expect(at(resources, 'requests.cpu')).toEqual(expect.any(String));
    expect(at(resources, 'requests.memory')).toEqual(expect.any(String));
    expect(at(resources, 'limits.memory')).toEqual(expect.any(String));
  });

  it('leaves disabled components disabled (they would need resources too)', () => {
    // (webserver.* renders only for Airflow < 3; apiServer serves the UI here.)
    for (const path of ['flower.enabled', 'cleanup.enabled', 'databaseCleanup.enabled', 'kerberos.enabled']) {
      expect(at(values, path), path).toBe(false);
    }
  });

  it('never ships a password: not the chart default, not in the create-user arguments', () => {
    expect(at(readYamlMap(join(CHART_VALUES_DIR, 'values.yaml')), 'createUserJob.defaultUser.password')).toBeUndefined();
    const args = at(values, 'createUserJob.args') as string[];
    expect(args).not.toContain('-p');
    expect(args).not.toContain('--password');
    expect(args.join(' ')).not.toMatch(/defaultUser\.password/);
    expect(args.join(' ')).toContain('"$AIRFLOW_ADMIN_PASSWORD"'); // from the environment, on stdin
  });
});

describe('worker concurrency has one source of truth', () => {
  const source = readYamlMap(join(CHART_VALUES_DIR, 'worker-concurrency.yaml'));
  const concurrency = at(source, 'config.celery.worker_concurrency');

  it('is set only in chart-values/worker-concurrency.yaml', () => {
    expect(concurrency).toMatch(/^[1-9][0-9]*$/);
    for (const file of ['values.yaml', 'values-worker-sets.yaml']) {
      const values = readYamlMap(join(CHART_VALUES_DIR, file));
      expect(at(values, 'config.celery.worker_concurrency'), file).toBeUndefined();
      expect(JSON.stringify(values), file).not.toMatch(/concurrency|WORKER_CONCURRENCY/i);
    }
  });

  it('reaches the chart as config.celery.worker_concurrency, over the chart default', () => {
    expect(at(chartValues(), 'config.celery.worker_concurrency')).toBe(16);
    expect(String(at(chartValues(...INSTALL_VALUES), 'config.celery.worker_concurrency'))).toBe(concurrency);
    expect(String(at(chartValues(...INSTALL_VALUES_WITH_SETS), 'config.celery.worker_concurrency'))).toBe(concurrency);
  });
});

describe('worker sets', () => {
  const sets = at(chartValues(...INSTALL_VALUES_WITH_SETS), 'workers.celery.sets');

  it('are several, each with a DNS-safe name and its own single queue', () => {
    expect(Array.isArray(sets)).toBe(true);
    const list = (sets as unknown[]).filter(isMap);
    expect(list.length).toBeGreaterThanOrEqual(2);
    const queues = list.map((s) => s['queue']);
    expect(new Set(queues).size).toBe(list.length);
    for (const set of list) {
      expect(set['name']).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(set['queue']).toMatch(/^[A-Za-z0-9_.-]+$/); // one queue, no comma list
      expect(at(set, 'resources.requests.cpu')).toEqual(expect.any(String));
    }
    expect(at(chartValues(...INSTALL_VALUES_WITH_SETS), 'workers.celery.enableDefault')).toBe(true);
  });
});

describe('worker pod labels for scale-in (each ScaledObject selects its own set by them)', () => {
  const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

  it('labels the default set `default` through workers.labels, and every set with its own name through its `labels`', () => {
    expect(at(chartValues(...INSTALL_VALUES), 'workers.labels')).toEqual({ [WORKER_SET_LABEL]: 'default' });
    const sets = (at(chartValues(...INSTALL_VALUES_WITH_SETS), 'workers.celery.sets') as unknown[]).filter(isMap);
    for (const set of sets) expect(set['labels'], String(set['name'])).toEqual({ [WORKER_SET_LABEL]: set['name'] });
  });

  it("gives every set's pods a distinct worker-set label, a valid label value, also with the chart's own labels", () => {
    const pods = workerPodLabels(chartValues(...INSTALL_VALUES_WITH_SETS), 'airflow');
    expect([...pods.keys()]).toEqual(['default', 'highcpu', 'highmem']);
    const values = [...pods.values()].map((labels) => labels[WORKER_SET_LABEL]);
    expect(values).toEqual([...pods.keys()]);
    for (const value of values) expect(value).toMatch(LABEL_VALUE);
    expect(pods.get('highcpu')).toMatchObject({ tier: 'airflow', component: 'worker', release: 'airflow', 'worker-set': 'highcpu' });
    expect(pods.get('default')).not.toHaveProperty('worker-set');
    // Without --worker-sets only the default set exists, labelled the same way.
    expect(workerPodLabels(chartValues(...INSTALL_VALUES), 'airflow')).toEqual(new Map([['default', pods.get('default')]]));
  });
});

describe('secret names', () => {
  const script = installerSource();
  const created = new Set([...script.matchAll(/^readonly SECRET_[A-Z_]+=([^\s]+)$/gm)].map((m) => m[1]));
  const values = chartValues(...INSTALL_VALUES);

  it.each([
    'data.metadataSecretName',
    'data.resultBackendSecretName',
    'pgbouncer.configSecretName',
    'pgbouncer.metricsExporterSidecar.statsSecretName',
    'dags.gitSync.sshKeySecret',
    'fernetKeySecretName',
    'apiSecretKeySecretName',
    'jwtSecretName',
  ])('%s names a Secret that install.sh creates, with an RFC 1123 name', (path) => {
    const name = at(values, path);
    expect(name).toMatch(RFC1123_SUBDOMAIN);
    expect(created.has(name as string)).toBe(true);
  });

  it("the create-user Job's password Secret and the RDS CA ConfigMap are ones install.sh creates", () => {
    const env = at(values, 'createUserJob.env') as { name: string; valueFrom: { secretKeyRef: { name: string } } }[];
    const password = env.find((e) => e.name === 'AIRFLOW_ADMIN_PASSWORD')!.valueFrom.secretKeyRef.name;
    expect(created.has(password)).toBe(true);
    const volumes = at(values, 'pgbouncer.extraVolumes') as { configMap?: { name: string } }[];
    expect(volumes.map((v) => v.configMap?.name)).toEqual([/^readonly CONFIGMAP_RDS_CA=(\S+)$/m.exec(script)![1]]);
  });

  it('differ from the names the chart generates for release "airflow", so Helm never owns them', () => {
    const chartOwned = ['airflow-metadata', 'airflow-result-backend', 'airflow-pgbouncer-config', 'airflow-pgbouncer-stats',
      'airflow-fernet-key', 'airflow-api-secret-key', 'airflow-jwt-secret', 'airflow-ssh-secret'];
    for (const name of created) expect(chartOwned).not.toContain(name);
  });
});
