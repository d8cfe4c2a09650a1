import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CHART_FIXTURES, REPO_ROOT } from './support/paths.js';

/** `sha256  path` lines of a PROVENANCE.md, as path -> hash. */
function listed(provenance: string): Map<string, string> {
  return new Map([...readFileSync(provenance, 'utf8').matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)].map((m) => [m[2]!, m[1]!]));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile() && path !== 'PROVENANCE.md')
    .sort();
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.each([
  ['the Airflow chart 1.19.0', CHART_FIXTURES, 121],
  ["KEDA v2.20.2's CRDs", join(REPO_ROOT, 'test/deploy/fixtures/keda-2.20.2-crds'), 3],
])('vendored %s', (_name, dir, count) => {
  const hashes = listed(join(dir, 'PROVENANCE.md'));

  it('lists every file it holds, and nothing else', () => {
    expect([...hashes.keys()].sort()).toEqual(filesUnder(dir));
    expect(hashes.size).toBe(count);
  });

  it('is byte for byte what PROVENANCE.md says', () => {
    for (const [path, hash] of hashes) expect(sha256(join(dir, path)), relative(REPO_ROOT, join(dir, path))).toBe(hash);
  });
});

describe('the vendored chart is the pinned release', () => {
  it('Chart.yaml says 1.19.0 / Airflow 3.1.7', () => {
    const chart = readFileSync(join(CHART_FIXTURES, 'Chart.yaml'), 'utf8');
    expect(chart).toMatch(/^version: 1\.19\.0$/m);
    expect(chart).toMatch(/^appVersion: 3\.1\.7$/m);
  });
});
