import { join } from 'node:path';

import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';

import { DEPLOY_DIR, INSTALL_VALUES_WITH_SETS, at, chartValues, kustomize, single } from '../helpers.js';
import type { Manifest } from '../helpers.js';
import { renderInstallForTest } from './render-install.js';

/** The scaler manifests the deploy tests look at: each kustomize overlay and install.sh --render. */
export const SCALER = 'airflow-keda-scaler';
export const PROMTOOL = process.env['TEST_PROMTOOL'] ?? 'promtool';
export const CHART = chartValues(...INSTALL_VALUES_WITH_SETS);
export const WORKER_CONCURRENCY = Number(at(CHART, 'config.celery.worker_concurrency'));

/** What install.sh would apply, with every feature and non-default names. */
export const RETARGET = {
  AIRFLOW_NAMESPACE: 'data-platform',
  AIRFLOW_RELEASE: 'prod',
  KEDA_NAMESPACE: 'keda-system',
  MONITORING_NAMESPACE: 'observability',
  SCALER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler:0.1.0',
};

export const renderInstall = renderInstallForTest;

export interface Rendering {
  readonly manifests: Manifest[];
  readonly namespace: string;
  readonly release: string;
  readonly features: ReadonlySet<'worker-sets' | 'mtls' | 'monitoring'>;
}

export const cache = new Map<string, Rendering>();
export const RENDERINGS: Record<string, () => Rendering> = {
  'deploy/base': () => ({ manifests: kustomize(join(DEPLOY_DIR, 'base')), namespace: 'airflow', release: 'airflow', features: new Set() }),
  'deploy/overlays/worker-sets': () => ({
    manifests: kustomize(join(DEPLOY_DIR, 'overlays/worker-sets')),
    namespace: 'airflow',
    release: 'airflow',
    features: new Set(['worker-sets']),
  }),
  'deploy/overlays/mtls': () => ({
    manifests: kustomize(join(DEPLOY_DIR, 'overlays/mtls')),
    namespace: 'airflow',
    release: 'airflow',
    features: new Set(['mtls']),
  }),
  'deploy/overlays/monitoring': () => ({
    manifests: kustomize(join(DEPLOY_DIR, 'overlays/monitoring')),
    namespace: 'airflow',
    release: 'airflow',
    features: new Set(['monitoring']),
  }),
  'install.sh --render --worker-sets --mtls --monitoring (namespace data-platform, release prod)': () => ({
    manifests: renderInstall(['--worker-sets', '--mtls', '--monitoring'], RETARGET),
    namespace: RETARGET.AIRFLOW_NAMESPACE,
    release: RETARGET.AIRFLOW_RELEASE,
    features: new Set(['worker-sets', 'mtls', 'monitoring']),
  }),
};
export const SCALER_RENDERINGS = Object.keys(RENDERINGS);

export function rendering(name: string): Rendering {
  let found = cache.get(name);
  if (found === undefined) {
    const make = RENDERINGS[name];
    if (make === undefined) throw new Error(`no rendering ${name}`);
    found = make();
    cache.set(name, found);
  }
  return found;
}

export function scalerContainer(manifests: readonly Manifest[]): IContainer {
  const deployment = single<IDeployment>(manifests, 'Deployment', SCALER);
  const container = deployment.spec!.template.spec!.containers.find((c) => c.name === 'scaler');
  if (container === undefined) throw new Error('no scaler container');
  return container;
}

/** What a Secret reference stands for: a value only the cluster has; any valid one will do here. */
export const SECRET_STAND_INS: Readonly<Record<string, string>> = {
  SCALER_DATABASE_URL: 'postgresql://airflow_keda_scaler:x@airflow-pgbouncer.airflow:6543/airflow-metadata',
  SCALER_BROKER_URL: 'redis://:x@airflow-redis:6379/0',
};

/**
 * The container's environment as the scaler would see it in the cluster: literal values, a
 * stand-in for each Secret reference (unless `missingSecrets` names it and the reference is
 * optional, as the kubelet then leaves the variable out), plus the API address every pod gets.
 */
export function envOf(container: IContainer, missingSecrets: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '172.20.0.1' };
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref !== undefined && missingSecrets.includes(ref.name!)) {
      if (ref.optional !== true) throw new Error(`${variable.name}: the pod cannot start without Secret ${ref.name!}`);
      continue;
    }
    const value = variable.value ?? SECRET_STAND_INS[variable.name];
    if (value === undefined) throw new Error(`no stand-in for ${variable.name}`);
    env[variable.name] = value;
  }
  return env;
}

/** Kubernetes memory quantities as bytes (the binary suffixes the kit uses). */
export function bytes(quantity: string | number | undefined): number {
  const match = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (match === null) throw new Error(`unexpected quantity ${String(quantity)}`);
  return Number(match[1]) * { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? '']!;
}

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}
