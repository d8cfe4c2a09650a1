import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dump } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';

import { INSTALL_VALUES, at, installerSource, parseManifests, readYamlMap } from './helpers.js';
import type { Manifest } from './helpers.js';
import { POST_RENDERER_DIR, POST_RENDERER_PLUGIN, helm, helmBinaries } from './support/render.js';
import { CHART_FIXTURES, CHART_VALUES_DIR } from './support/paths.js';
import { pathWithKubectl } from './support/tools.js';

/**
 * deploy/helm-post-renderer/drop-worker-replicas on its own, fed the real chart's output (Helm 4
 * without --post-renderer) in the configurations the kit does not use by default. Both Helm
 * majors running it as they do in install.sh: airflow-chart.test.ts.
 */
const POST_RENDERER = join(POST_RENDERER_DIR, POST_RENDERER_PLUGIN);
const scratch = mkdtempSync(join(tmpdir(), 'aks-post-renderer-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function postRender(input: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(POST_RENDERER, [], { input, encoding: 'utf8', env: { PATH: pathWithKubectl(), TMPDIR: tmpdir() } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The chart's plain output (no post-renderer) with the kit's values and `overrides` on top. */
function chartOutput(name: string, overrides: Record<string, unknown>): string {
  const file = join(scratch, `${name}.yaml`);
  writeFileSync(file, dump(overrides));
  const helm4 = helmBinaries().find((h) => h.major === 4)!;
  const args = ['template', 'airflow', CHART_FIXTURES, '--namespace', 'airflow', ...INSTALL_VALUES.flatMap((f) => ['--values', join(CHART_VALUES_DIR, f)]), '--values', file];
  const result = helm(helm4, args);
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

const worker = (manifests: Manifest[]): Manifest => manifests.find((m) => m.metadata.name === 'airflow-worker' && m.kind !== 'Service' && m.kind !== 'NetworkPolicy' && m.kind !== 'ServiceAccount')!;

describe('Helm post-renderer deploy/helm-post-renderer/drop-worker-replicas', () => {
  it('also drops spec.replicas from workers rendered as a StatefulSet (workers.persistence.enabled: true)', () => {
    const input = chartOutput('stateful', { workers: { persistence: { enabled: true }, celery: { persistence: { enabled: true } } } });
    const before = worker(parseManifests(input));
    expect(before.kind).toBe('StatefulSet');
    expect(at(before, 'spec.replicas')).toBe(1);
    const result = postRender(input);
    expect(result.status).toBe(0);
    const after = worker(parseManifests(result.stdout));
    expect(after.kind).toBe('StatefulSet');
    expect(at(after, 'spec')).not.toHaveProperty('replicas');
  });

  it("leaves a worker Deployment without replicas alone (the chart's own KEDA on)", () => {
    const input = chartOutput('keda', { workers: { keda: { enabled: true } } });
    expect(at(worker(parseManifests(input)), 'spec')).not.toHaveProperty('replicas');
    const result = postRender(input);
    expect(result.status).toBe(0);
    expect(parseManifests(result.stdout)).toHaveLength(parseManifests(input).length);
  });

  it('passes empty input through as empty output', () => {
    expect(postRender('')).toMatchObject({ status: 0, stdout: '' });
  });

  it('fails, rather than passing garbage to Helm, when the input is not Kubernetes YAML', () => {
    expect(postRender('this: is\n  not: [valid\n').status).not.toBe(0);
  });

  it('is executable and is what the Helm 4 plugin (postrenderer/v1) runs, under the name install.sh uses', () => {
    accessSync(POST_RENDERER, constants.X_OK);
    const plugin = readYamlMap(join(POST_RENDERER_DIR, 'plugin.yaml'));
    expect(plugin).toMatchObject({ apiVersion: 'v1', type: 'postrenderer/v1', runtime: 'subprocess', name: POST_RENDERER_PLUGIN });
    expect(at(plugin, 'runtimeConfig.platformCommand')).toEqual([{ command: '${HELM_PLUGIN_DIR}/drop-worker-replicas' }]);
    const script = installerSource();
    expect(script).toContain(`readonly POST_RENDERER_PLUGIN=${POST_RENDERER_PLUGIN}\n`);
    expect(script).toContain('deploy/helm-post-renderer/drop-worker-replicas');
  });
});
