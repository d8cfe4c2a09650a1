import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import type * as JsYaml from 'js-yaml';

import type { ScalerConfig } from '../core/config.js';
import { parseConfig } from '../core/config.js';
import { ErrorCode, ScalerError } from '../core/errors.js';

// Loaded only when a config file is given: most deployments configure by environment alone, and
// an idle scaler's memory budget (80 MB) has no room for a parser it never uses.
function yamlParser(): typeof JsYaml {
  return createRequire(import.meta.url)('js-yaml') as typeof JsYaml;
}

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
    return yamlParser().load(text) ?? {};
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
