import { readFileSync } from 'node:fs';

import { load } from 'js-yaml';

import type { ScalerConfig } from '../core/config.js';
import { parseConfig } from '../core/config.js';
import { ErrorCode, ScalerError } from '../core/errors.js';

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScalerError(ErrorCode.InvalidConfig, `invalid configuration: --config ${JSON.stringify(path)} cannot be read`, {
      cause: err,
    });
  }
  try {
    return load(text) ?? {};
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ScalerError(ErrorCode.InvalidConfig, `invalid configuration: ${path} is not valid YAML: ${reason}`, {
      cause: err,
    });
  }
}

/** The config file (optional) plus environment variables, validated in one pass. */
export function loadConfig(configFile: string | undefined, env: NodeJS.ProcessEnv): ScalerConfig {
  const file = configFile === undefined ? {} : readYaml(configFile);
  return parseConfig({ file, env });
}
