import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Node resolves a bare import up every parent's node_modules: pick a place where none has PGlite. */
function placeWithoutPglite(): string {
  const candidates = [tmpdir(), '/var/tmp', '/dev/shm'];
  for (const base of candidates) {
    let dir = base;
    let clean = existsSync(base);
    for (;;) {
      if (existsSync(join(dir, 'node_modules', '@electric-sql'))) clean = false;
      if (dirname(dir) === dir) break;
      dir = dirname(dir);
    }
    if (clean) return base;
  }
  throw new Error(`every candidate (${candidates.join(', ')}) has node_modules/@electric-sql in a parent`);
}

/**
 * The production image installs `dependencies` only (npm ci --omit=dev), and PGlite (28 MB, demo
 * only) is a devDependency. An installation like that, built here from dist/ and every installed
 * package except @electric-sql/*, must still serve and must say why `demo` cannot run.
 */
describe('an installation without the development dependencies (as in the image)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(placeWithoutPglite(), 'aks-no-pglite-'));
    cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(dir, 'package.json'));
    cpSync(join(REPO, 'proto'), join(dir, 'proto'), { recursive: true });
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(join(REPO, 'node_modules'))) {
      if (entry === '@electric-sql' || entry.startsWith('.')) continue;
      symlinkSync(join(REPO, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('demo exits 1 naming the missing package and what to do instead', () => {
    const run = spawnSync(process.execPath, [join(dir, 'dist/cli.js'), 'demo'], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env['PATH'] ?? '' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('demo needs @electric-sql/pglite');
    expect(run.stderr).toContain('npm ci && npm start');
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // a sentence, not a stack trace
  });

  it('serve --help and --version still work: nothing else needs PGlite', () => {
    const version = spawnSync(process.execPath, [join(dir, 'dist/cli.js'), '--version'], { encoding: 'utf8', timeout: 20_000 });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = spawnSync(process.execPath, [join(dir, 'dist/cli.js'), 'serve', '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(help.status).toBe(0);
  });
});
