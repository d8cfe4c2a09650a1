import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { loadAll, load } from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHART_FIXTURES = join(REPO_ROOT, 'test/deploy/fixtures/airflow-chart-1.19.0');
export const CHART_VALUES_DIR = join(REPO_ROOT, 'chart-values');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');

export type YamlMap = Record<string, unknown>;

export function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readYaml(path: string): unknown {
  return load(readFileSync(path, 'utf8'));
}

export function readYamlMap(path: string): YamlMap {
  const value = readYaml(path);
  if (!isMap(value)) throw new Error(`${path} is not a YAML mapping`);
  return value;
}

/** The value at a dotted path through mappings, or undefined. */
export function at(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) {
    if (!isMap(node)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * Helm's coalescing of a values file over the chart's values: mappings merge key by key, any
 * other value (lists included) replaces, and `null` removes the key.
 */
export function helmMerge(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return structuredClone(override);
  const merged: YamlMap = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- Helm's null-deletes-key rule
      delete merged[key];
    } else {
      merged[key] = key in merged ? helmMerge(merged[key], value) : structuredClone(value);
    }
  }
  return merged;
}

/** The chart's values.yaml with our files layered on top, in helm's `-f` order. */
export function chartValues(...files: string[]): YamlMap {
  let values: unknown = readYamlMap(join(CHART_FIXTURES, 'values.yaml'));
  for (const file of files) values = helmMerge(values, readYamlMap(join(CHART_VALUES_DIR, file)));
  if (!isMap(values)) throw new Error('merged values are not a mapping');
  return values;
}

/** What deploy/install.sh passes to helm, without and with --worker-sets. */
export const INSTALL_VALUES = ['values.yaml', 'worker-concurrency.yaml'];
export const INSTALL_VALUES_WITH_SETS = [...INSTALL_VALUES, 'values-worker-sets.yaml'];

export interface Manifest extends YamlMap {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export function parseManifests(text: string): Manifest[] {
  const docs: Manifest[] = [];
  for (const doc of loadAll(text)) {
    if (doc === null || doc === undefined) continue;
    if (!isMap(doc) || typeof doc['apiVersion'] !== 'string' || typeof doc['kind'] !== 'string' || !isMap(doc['metadata'])) {
      throw new Error(`not a Kubernetes object: ${JSON.stringify(doc).slice(0, 200)}`);
    }
    docs.push(doc as Manifest);
  }
  return docs;
}

/** `kubectl kustomize DIR` (kubectl's built-in kustomize; no cluster needed). */
export function kustomize(dir: string): Manifest[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { code, stderr } = err as { code?: string; stderr?: string };
    if (code === 'ENOENT') throw new Error('kubectl >= 1.27 (kustomize v5: components, replacements) must be on PATH to render deploy/', { cause: err });
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr ?? String(err)}`, { cause: err });
  }
  return parseManifests(text);
}

export function ofKind<T = Manifest>(manifests: readonly Manifest[], kind: string): T[] {
  return manifests.filter((m) => m.kind === kind) as unknown as T[];
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the model type it reads
export function single<T = Manifest>(manifests: readonly Manifest[], kind: string, name?: string): T {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${found.length}`);
  return found[0] as unknown as T;
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** Offline schemas for every kind the kit renders: kubernetes-models and its KEDA, cert-manager and Prometheus Operator packages. */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'storage.k8s.io/v1/StorageClass': StorageClass,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Throws, naming the object, if its kind is unknown or it breaks its schema. */
export function validateManifest(manifest: Manifest): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const Model = MODELS[key];
  if (Model === undefined) throw new Error(`${key} ${manifest.metadata.name}: no schema for this kind`);
  try {
    new Model(structuredClone(manifest) as never).validate();
  } catch (err) {
    throw new Error(`${key} ${manifest.metadata.name}: ${(err as Error).message}`, { cause: err });
  }
}

/** The label chart-values puts on every worker pod, naming its worker set (workerPodSelector). */
export const WORKER_SET_LABEL = 'airflow-keda-scaler/worker-set';

function stringMap(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) throw new Error(`not a label map: ${JSON.stringify(value)}`);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
}

/**
 * The labels chart 1.19.0 gives the pods of each Celery worker set (templates/workers/
 * worker-deployment.yaml), keyed by set name ("default" for the default set): tier, component
 * and release; `worker-set: <name>` for every set but the default; then `workers.labels`, which
 * a set's own `labels` replace whole (helper workersMergeValues lists `labels` among the keys
 * it overwrites instead of merging), merged over the chart-wide `labels`.
 */
export function workerPodLabels(values: YamlMap, release: string): Map<string, Record<string, string>> {
  const sets: YamlMap[] = [];
  if (at(values, 'workers.celery.enableDefault') === true) sets.push({ name: 'default' });
  const extra = at(values, 'workers.celery.sets');
  if (Array.isArray(extra)) sets.push(...extra.filter(isMap));
  const common = stringMap(at(values, 'labels'));
  const workerLabels = stringMap(at(values, 'workers.labels'));
  const pods = new Map<string, Record<string, string>>();
  for (const set of sets) {
    const name = String(set['name']);
    const own = 'labels' in set ? stringMap(set['labels']) : workerLabels;
    pods.set(name, {
      tier: 'airflow',
      component: 'worker',
      release,
      ...(name === 'default' ? {} : { 'worker-set': name }),
      ...common,
      ...own,
    });
  }
  return pods;
}

/**
 * Whether an equality-based label selector (`a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated:
 * what the scaler accepts as workerPodSelector) selects a pod with these labels.
 */
export function selectorMatches(selector: string, labels: Readonly<Record<string, string>>): boolean {
  return selector.split(',').every((raw) => {
    const term = raw.trim();
    const inequality = /^([^=!]+)!=(.*)$/.exec(term);
    if (inequality !== null) return labels[inequality[1]!.trim()] !== inequality[2]!.trim();
    const equality = /^([^=!]+)==?(.*)$/.exec(term);
    if (equality !== null) return labels[equality[1]!.trim()] === equality[2]!.trim();
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    return term in labels;
  });
}
