import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEPLOY_DIR, REPO_ROOT, at, parseManifests, readYamlMap } from './helpers.js';
import type { Manifest } from './helpers.js';

const PLUGIN_DIR = join(DEPLOY_DIR, 'helm-post-renderer');
const POST_RENDERER = join(PLUGIN_DIR, 'drop-worker-replicas');
const RENDERED = readFileSync(join(REPO_ROOT, 'test/deploy/fixtures/rendered-chart-excerpt.yaml'), 'utf8');

function postRender(input: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(POST_RENDERER, [], { input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function byName(manifests: readonly Manifest[]): Map<string, Manifest> {
  return new Map(manifests.map((m) => [`${m.kind}/${m.metadata.name}`, m]));
}

function withoutReplicas(manifest: Manifest): Manifest {
  const copy = structuredClone(manifest);
  const spec = copy['spec'] as Record<string, unknown> | undefined;
  if (spec !== undefined) delete spec['replicas'];
  return copy;
}

describe('Helm post-renderer deploy/helm-post-renderer/drop-worker-replicas', () => {
  it('drops spec.replicas from every Celery worker Deployment, default set and worker sets alike', () => {
    const result = postRender(RENDERED);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = byName(parseManifests(result.stdout));
    for (const name of ['airflow-worker', 'airflow-worker-highcpu', 'airflow-worker-highmem']) {
      const worker = out.get(`Deployment/${name}`);
      expect(worker, name).toBeDefined();
      expect(at(worker, 'spec'), name).not.toHaveProperty('replicas');
      expect(at(worker, 'spec.template.spec.terminationGracePeriodSeconds'), name).toBe(600);
    }
  });

  it('keeps the replica counts of everything that is not a worker', () => {
    const out = byName(parseManifests(postRender(RENDERED).stdout));
    expect(at(out.get('Deployment/airflow-scheduler'), 'spec.replicas')).toBe(2);
    expect(at(out.get('Deployment/airflow-triggerer'), 'spec.replicas')).toBe(2);
    expect(at(out.get('Deployment/airflow-pgbouncer'), 'spec.replicas')).toBe(2);
    expect(at(out.get('StatefulSet/airflow-redis'), 'spec.replicas')).toBe(1);
  });

  it('changes nothing else: same objects, same content apart from the worker replicas', () => {
    const input = parseManifests(RENDERED);
    const output = byName(parseManifests(postRender(RENDERED).stdout));
    expect(output.size).toBe(input.length);
    for (const original of input) {
      const key = `${original.kind}/${original.metadata.name}`;
      const isWorker = original.metadata.labels?.['component'] === 'worker' && original.kind !== 'Service';
      expect(output.get(key), key).toEqual(isWorker ? withoutReplicas(original) : original);
    }
    // Helm hook annotations survive, so the migration Job still runs as a hook.
    expect(at(output.get('Job/airflow-run-airflow-migrations'), 'metadata.annotations')).toMatchObject({
      'helm.sh/hook': 'post-install,post-upgrade',
    });
  });

  it('also drops it from workers rendered as a StatefulSet (workers.persistence.enabled: true)', () => {
    const statefulWorkers = RENDERED.replace(
      /kind: Deployment\nmetadata:\n {2}name: airflow-worker\n/,
      'kind: StatefulSet\nmetadata:\n  name: airflow-worker\n',
    );
    expect(statefulWorkers).not.toBe(RENDERED);
    const out = byName(parseManifests(postRender(statefulWorkers).stdout));
    expect(at(out.get('StatefulSet/airflow-worker'), 'spec')).not.toHaveProperty('replicas');
  });

  it('leaves a worker Deployment that already has no replicas alone (chart KEDA or HPA on)', () => {
    const noReplicas = RENDERED.replace(/(name: airflow-worker\n(?:.*\n)*?spec:\n) {2}replicas: 1\n/, '$1');
    expect(noReplicas).not.toBe(RENDERED);
    const result = postRender(noReplicas);
    expect(result.status).toBe(0);
    expect(at(byName(parseManifests(result.stdout)).get('Deployment/airflow-worker'), 'spec')).not.toHaveProperty('replicas');
  });

  it('passes empty input through as empty output', () => {
    expect(postRender('')).toMatchObject({ status: 0, stdout: '' });
  });

  it('fails, rather than passing garbage to Helm, when the input is not Kubernetes YAML', () => {
    expect(postRender('this: is\n  not: [valid\n').status).not.toBe(0);
  });

  it('is executable and is what the Helm 4 plugin (postrenderer/v1) runs, under the name install.sh uses', () => {
    accessSync(POST_RENDERER, constants.X_OK);
    const plugin = readYamlMap(join(PLUGIN_DIR, 'plugin.yaml'));
    expect(plugin).toMatchObject({ apiVersion: 'v1', type: 'postrenderer/v1', runtime: 'subprocess' });
    expect(at(plugin, 'runtimeConfig.platformCommand')).toEqual([{ command: '${HELM_PLUGIN_DIR}/drop-worker-replicas' }]);
    const script = readFileSync(join(DEPLOY_DIR, 'install.sh'), 'utf8');
    expect(script).toContain(`readonly POST_RENDERER_PLUGIN=${String(plugin['name'])}\n`);
    expect(script).toContain('deploy/helm-post-renderer/drop-worker-replicas');
  });
});
