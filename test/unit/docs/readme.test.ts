import { readFileSync } from 'node:fs';

import { load } from 'js-yaml';

import { describe, expect, it } from 'vitest';

import { ENV_VARS } from '../../../src/core/config.js';
import { ErrorCode } from '../../../src/core/errors.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the README', () => {
  it.each(Object.values(ErrorCode))('documents the error code %s', (code) => {
    expect(README).toContain(`\`${code}\``);
  });

  it.each(Object.keys(ENV_VARS))('documents the environment variable %s', (name) => {
    expect(README).toContain(`\`${name}\``);
  });
});

/**
 * GitHub's heading anchors (github-slugger): lower case, punctuation other than `-` and `_`
 * dropped, spaces to `-`, a repeated slug suffixed `-1`, `-2`, ...
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading === null) continue;
    const slug = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function runbookUrls(): [string, string][] {
  const rule = load(readFileSync(new URL('../../../deploy/components/monitoring/prometheusrule.yaml', import.meta.url), 'utf8')) as {
    spec: { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] };
  };
  return rule.spec.groups.flatMap((g) => g.rules).map((r): [string, string] => [r.alert, r.annotations['runbook_url'] ?? '']);
}

describe('the README as the alerts\' runbook', () => {
  const anchors = headingAnchors(README);

  it('computes anchors as GitHub does', () => {
    expect(headingAnchors('## Non-OK answers to KEDA\n### `ASC_NO_SNAPSHOT`\n## A. Add it\n## A. Add it\n```sh\n# not a heading\n```')).toEqual(
      new Set(['non-ok-answers-to-keda', 'asc_no_snapshot', 'a-add-it', 'a-add-it-1']),
    );
  });

  it.each(runbookUrls())('%s links to a README heading (%s)', (_alert, url) => {
    const [file, anchor] = url.split('#');
    expect(file).toBe('README.md');
    expect(anchors).toContain(anchor);
  });

  it.each(Object.values(ErrorCode))('has a troubleshooting entry for %s', (code) => {
    expect(anchors).toContain(code.toLowerCase());
  });

  it('links within itself only to headings that exist', () => {
    for (const [, anchor] of README.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, anchor).toContain(anchor);
  });
});
