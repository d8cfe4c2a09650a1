import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseManifests } from '../helpers.js';
import type { Manifest } from '../helpers.js';
import { DEPLOY_DIR } from './paths.js';
import { pathWithKubectl } from './tools.js';

/** `deploy/install.sh --render ARGS` with the layer's kubectl on PATH: the scaler manifests an install would apply. */
export function renderInstallForTest(args: string[], env: Record<string, string>): Manifest[] {
  const result = spawnSync('bash', [join(DEPLOY_DIR, 'install.sh'), '--render', ...args], {
    encoding: 'utf8',
    env: { PATH: pathWithKubectl(), HOME: process.env['HOME'] ?? '/tmp', TMPDIR: tmpdir(), ...env },
  });
  if (result.status !== 0) throw new Error(`install.sh --render failed (${String(result.status)}): ${result.stderr}`);
  return parseManifests(result.stdout);
}
