import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { loadAll, load } from 'js-yaml';

import { CORE_KINDS, unknownMetadataFields, validateCore } from './support/core-schema.js';
import { KEDA_KINDS, validateKeda } from './support/keda-schema.js';
import { CHART_FIXTURES, CHART_VALUES_DIR, DEPLOY_DIR as DEPLOY_DIR_PATH } from './support/paths.js';
import { kubectlBinary } from './support/tools.js';

export { CHART_FIXTURES, CHART_VALUES_DIR, DEPLOY_DIR, REPO_ROOT, SCALER_CHART } from './support/paths.js';

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

/** `kubectl kustomize DIR` with kubectl 1.35 from the npm layer (support/tools.ts; no cluster needed). */
export function kustomize(dir: string): Manifest[] {
  let text: string;
  try {
    text = execFileSync(kubectlBinary(), ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
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

/**
 * cert-manager and Prometheus Operator kinds: the @kubernetes-models packages' schemas (types and
 * required fields; unknown fields are not caught there, only under metadata).
 */
const OPERATOR_MODELS: Readonly<Record<string, ModelClass>> = {
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/**
 * Throws, naming the object, if its kind is unknown or it breaks its schema: KEDA kinds against
 * KEDA v2.20.2's CRDs (support/keda-schema.ts), core kinds against the Kubernetes schema with
 * unknown fields as errors (support/core-schema.ts).
 */
export function validateManifest(manifest: Manifest): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  try {
    if (manifest.apiVersion === 'keda.sh/v1alpha1' && KEDA_KINDS.has(manifest.kind)) {
      validateKeda(manifest);
    } else if (key in CORE_KINDS) {
      validateCore(key, manifest);
    } else {
      const Model = OPERATOR_MODELS[key];
      if (Model === undefined) throw new Error('no schema for this kind');
      new Model(structuredClone(manifest) as never).validate();
      const unknown = unknownMetadataFields(manifest.metadata);
      if (unknown.length > 0) throw new Error(`unknown field(s): ${unknown.join(', ')}`);
    }
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

/** deploy/install.sh and the parts it sources (deploy/lib/*.sh), as one text. */
export function installerSource(): string {
  const lib = join(DEPLOY_DIR_PATH, 'lib');
  return [join(DEPLOY_DIR_PATH, 'install.sh'), ...readdirSync(lib).sort().map((f) => join(lib, f))].map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** The manifests less the Grafana dashboard's ConfigMap, so the scaler's own config is `single`. */
export function withoutDashboard(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => !(m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard')));
}
