import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseManifests } from '../helpers.js';
import type { Manifest } from '../helpers.js';
import { CHART_FIXTURES, CHART_VALUES_DIR, DEPLOY_DIR, SCALER_CHART } from './paths.js';
import { helmBinaries, pathWithKubectl } from './tools.js';
import type { HelmBinary } from './tools.js';

export const POST_RENDERER_DIR = join(DEPLOY_DIR, 'helm-post-renderer');
export const POST_RENDERER_PLUGIN = 'drop-worker-replicas';

export interface HelmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Per Helm binary: its own config, cache, data and plugin folders, so nothing from ~/.config leaks in. */
const homes = new Map<string, Record<string, string>>();

function helmEnv(helm: HelmBinary): Record<string, string> {
  let env = homes.get(helm.helm);
  if (env === undefined) {
    const home = mkdtempSync(join(tmpdir(), `aks-helm${String(helm.major)}-`));
    env = {
      PATH: pathWithKubectl(),
      HOME: home,
      TMPDIR: tmpdir(),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
      // Not HELM_PLUGINS: Helm 4.1's `plugin install` writes to $HELM_DATA_HOME/plugins whatever
      // HELM_PLUGINS says, while its plugin lookup follows HELM_PLUGINS.
    };
    mkdirSync(env['HELM_DATA_HOME']!, { recursive: true });
    homes.set(helm.helm, env);
    if (helm.major >= 4) {
      // Helm 4 runs post-renderers only as plugins (type postrenderer/v1): install ours, as install.sh does.
      const installed = spawnSync(helm.helm, ['plugin', 'install', POST_RENDERER_DIR], { encoding: 'utf8', env });
      if (installed.status !== 0) throw new Error(`helm ${helm.version} plugin install failed: ${installed.stderr}`);
    }
  }
  return env;
}

export function helm(binary: HelmBinary, args: readonly string[]): HelmRun {
  const result = spawnSync(binary.helm, args, { encoding: 'utf8', env: helmEnv(binary), maxBuffer: 64 * 2 ** 20 });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** How this Helm takes the post-renderer: a plugin name on Helm 4, an executable path on Helm 3. */
export function postRendererArg(binary: HelmBinary): string {
  return binary.major >= 4 ? POST_RENDERER_PLUGIN : join(POST_RENDERER_DIR, POST_RENDERER_PLUGIN);
}

export interface ChartRender {
  readonly release?: string;
  readonly namespace?: string;
  /** chart-values/ files, in helm's -f order. */
  readonly values: readonly string[];
  /** Extra values files (absolute paths), after `values`. */
  readonly extraValues?: readonly string[];
  readonly set?: readonly string[];
  readonly postRenderer?: boolean;
}

const renders = new Map<string, Manifest[]>();

/** `helm template` of the vendored Airflow chart 1.19.0 with the kit's values, as install.sh runs it. */
export function renderAirflowChart(binary: HelmBinary, options: ChartRender): Manifest[] {
  const args = ['template', options.release ?? 'airflow', CHART_FIXTURES, '--namespace', options.namespace ?? 'airflow'];
  for (const file of options.values) args.push('--values', join(CHART_VALUES_DIR, file));
  for (const file of options.extraValues ?? []) args.push('--values', file);
  for (const pair of options.set ?? []) args.push('--set-string', pair);
  if (options.postRenderer !== false) args.push('--post-renderer', postRendererArg(binary));
  const key = `${binary.helm}\0${args.join('\0')}`;
  let found = renders.get(key);
  if (found === undefined) {
    const result = helm(binary, args);
    if (result.status !== 0) throw new Error(`helm ${binary.version} ${args.join(' ')} failed:\n${result.stderr}`);
    found = parseManifests(result.stdout);
    renders.set(key, found);
  }
  return structuredClone(found);
}

export { helmBinaries };

/** `helm template` (or `helm lint --strict` with `lint: true`) of the scaler's own chart. */
export function scalerChart(binary: HelmBinary, options: { release?: string; namespace?: string; values?: Record<string, unknown>; lint?: boolean }): HelmRun {
  const file = join(mkdtempSync(join(tmpdir(), 'aks-chart-values-')), 'values.yaml');
  writeFileSync(file, JSON.stringify(options.values ?? {}));
  const args = options.lint === true
    ? ['lint', '--strict', SCALER_CHART, '--namespace', options.namespace ?? 'airflow', '--values', file]
    : ['template', options.release ?? 'airflow-keda-scaler', SCALER_CHART, '--namespace', options.namespace ?? 'airflow', '--values', file];
  return helm(binary, args);
}

export function renderScalerChart(binary: HelmBinary, values: Record<string, unknown>, namespace = 'airflow'): Manifest[] {
  const result = scalerChart(binary, { values, namespace });
  if (result.status !== 0) throw new Error(`helm ${binary.version} template ${SCALER_CHART} failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}
