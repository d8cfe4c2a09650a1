import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from './helpers.js';

/** Every shell script of the deploy kit and CI: found by shebang, so a new one cannot be missed. */
function shellScripts(): string[] {
  const found: string[] = [join(REPO_ROOT, '.ci/run')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else if (/^#!.*\b(ba)?sh\b/.test(readFileSync(path, 'utf8').split('\n', 1)[0] ?? '')) {
        found.push(path);
      }
    }
  };
  for (const dir of ['deploy', 'test/deploy']) walk(join(REPO_ROOT, dir));
  return found.map((path) => relative(REPO_ROOT, path)).sort();
}

describe('shell scripts', () => {
  const scripts = shellScripts();

  it('include the install command, the post-renderer, the test stub and .ci/run', () => {
    expect(scripts).toEqual(
      expect.arrayContaining(['.ci/run', 'deploy/install.sh', 'deploy/helm-post-renderer/drop-worker-replicas', 'test/deploy/fixtures/cli-stub.sh']),
    );
  });

  it.each(scripts)('%s passes shellcheck', (script) => {
    const result = spawnSync('shellcheck', ['--external-sources', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('.ci/run runs shellcheck on every one of them', () => {
    const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');
    const line = ci.split('\n').find((l) => l.startsWith('shellcheck '));
    expect(line?.split(/\s+/).slice(1).sort()).toEqual(scripts);
  });

  it.each(['deploy/install.sh', 'deploy/helm-post-renderer/drop-worker-replicas'])('%s is executable', (script) => {
    accessSync(join(REPO_ROOT, script), constants.X_OK);
  });
});
