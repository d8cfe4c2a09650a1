import { readFileSync } from 'node:fs';

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
