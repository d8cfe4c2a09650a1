import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';

import type * as JsYaml from 'js-yaml';

import type { ScalerConfig } from '../core/config.js';
import { configError, readConfig } from '../core/config.js';
import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import { tlsMaterialProblems } from './tls-material.js';

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

/** A password file's text; the error names the system's reason, never any content. */
function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new Error(typeof code === 'string' ? code : coerceError(err).message, { cause: err });
  }
}

/** A host name the servers would bind must resolve now, not fail later as a bare ENOTFOUND. */
async function hostProblem(host: string, key: readonly string[], label: (path: readonly string[]) => string): Promise<string | undefined> {
  if (isIP(host) !== 0) return undefined;
  try {
    await lookup(host);
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `${label(key)}=${JSON.stringify(host)} cannot be resolved (${typeof code === 'string' ? code : coerceError(err).message})`;
  }
}

/**
 * The config file (optional) plus environment variables, validated in one pass together with what
 * only the file system and the resolver can tell (password files, TLS material, bind addresses):
 * every problem is listed at once, before anything is opened.
 */
export async function loadConfig(configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<ScalerConfig> {
  const file = configFile === undefined ? {} : readYaml(configFile);
  const reading = readConfig({ file, env, readSecretFile });
  const problems = [...reading.problems];
  const { config, draft } = reading;
  if (draft !== undefined) {
    if (draft.grpc.tls !== null) problems.push(...tlsMaterialProblems(draft.grpc.tls, reading.label, Date.now()));
    const hosts = await Promise.all([
      hostProblem(draft.grpc.host, ['grpc', 'host'], reading.label),
      hostProblem(draft.http.host, ['http', 'host'], reading.label),
    ]);
    problems.push(...hosts.filter((problem) => problem !== undefined));
  }
  if (config === undefined || problems.length > 0) throw configError(problems);
  return config;
}
