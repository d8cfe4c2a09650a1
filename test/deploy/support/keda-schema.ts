import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { run } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { load } from 'js-yaml';

import { unknownMetadataFields } from './core-schema.js';
import { REPO_ROOT } from './paths.js';

/**
 * Strict validation of KEDA's kinds against the CRDs of KEDA v2.20.2 (kedacore/keda
 * config/crd/bases, vendored in test/deploy/fixtures/keda-2.20.2-crds with their sha256).
 *
 * The CRDs hold structural OpenAPI v3 schemas. The API server prunes fields a structural schema
 * does not name; here an unknown field is an error instead (what `kubectl apply
 * --validate=strict` does): an object schema without `additionalProperties` gets
 * `additionalProperties: false` unless it sets `x-kubernetes-preserve-unknown-fields`.
 * `x-kubernetes-int-or-string` becomes integer-or-string, `nullable` adds null, and each
 * `x-kubernetes-validations` rule is evaluated with a real CEL evaluator (@bufbuild/cel) on the
 * value it is attached to (`self`). `metadata` is the API server's ObjectMeta, checked as such.
 */
export const KEDA_CRD_DIR = join(REPO_ROOT, 'test/deploy/fixtures/keda-2.20.2-crds');

type Schema = Record<string, unknown>;

interface CelRule {
  readonly rule: string;
  readonly message?: string;
}

interface Compiled {
  readonly validate: ValidateFunction;
  readonly schema: Schema;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The openAPIV3Schema as strict JSON Schema (draft-07 keywords ajv knows). */
export function strictSchema(node: unknown, root = true): Schema {
  if (!isObject(node)) throw new Error('schema node is not an object');
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'description' || key === 'default') continue;
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, root && name === 'metadata' ? { type: 'object' } : strictSchema(child, false)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) {
      out[key] = strictSchema(value, false);
    } else {
      out[key] = value;
    }
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  if (node['type'] === 'object' && node['additionalProperties'] === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  if (node['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
ajv.addFormat('date-time', true);

const compiled = new Map<string, Compiled>();

function crdFor(kind: string): Compiled {
  let found = compiled.get(kind);
  if (found === undefined) {
    const file = `keda.sh_${kind.toLowerCase()}s.yaml`;
    const crd = load(readFileSync(join(KEDA_CRD_DIR, file), 'utf8')) as {
      spec: { names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[] };
    };
    if (crd.spec.names.kind !== kind) throw new Error(`${file} defines ${crd.spec.names.kind}, not ${kind}`);
    const version = crd.spec.versions.find((v) => v.name === 'v1alpha1' && v.served);
    if (version === undefined) throw new Error(`${file} serves no v1alpha1`);
    const schema = version.schema.openAPIV3Schema;
    found = { validate: ajv.compile(strictSchema(schema)), schema };
    compiled.set(kind, found);
  }
  return found;
}

/** JSON as CEL sees it: whole numbers are CEL ints, objects are maps. */
function celValue(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(celValue);
  if (isObject(value)) return new Map(Object.entries(value).map(([k, v]) => [k, celValue(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

/** Evaluates every x-kubernetes-validations rule on the values it applies to; returns the failures. */
export function celFailures(schema: unknown, value: unknown, path = ''): string[] {
  if (!isObject(schema) || value === undefined || value === null) return [];
  const failures: string[] = [];
  const rules = schema['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    for (const { rule, message } of rules as CelRule[]) {
      if (rule.includes('oldSelf')) continue; // transition rules need the stored object
      const result = run(rule, { self: celValue(value) });
      if (result !== true) failures.push(`${path || '/'}: ${message ?? rule} (${result === false ? 'false' : 'not a bool'})`);
    }
  }
  const properties = schema['properties'];
  if (isObject(properties) && isObject(value)) {
    for (const [name, child] of Object.entries(properties)) failures.push(...celFailures(child, value[name], `${path}/${name}`));
  }
  if (Array.isArray(value) && isObject(schema['items'])) {
    value.forEach((item, i) => failures.push(...celFailures(schema['items'], item, `${path}/${String(i)}`)));
  }
  if (isObject(schema['additionalProperties']) && isObject(value)) {
    for (const [key, item] of Object.entries(value)) failures.push(...celFailures(schema['additionalProperties'], item, `${path}/${key}`));
  }
  return failures;
}

export const KEDA_KINDS = new Set(['ScaledObject', 'TriggerAuthentication', 'ClusterTriggerAuthentication']);

/** Throws with every problem if `manifest` breaks its KEDA v2.20.2 CRD schema. */
export function validateKeda(manifest: Record<string, unknown>): void {
  const kind = String(manifest['kind']);
  if (manifest['apiVersion'] !== 'keda.sh/v1alpha1' || !KEDA_KINDS.has(kind)) throw new Error('no schema for this kind');
  const { validate, schema } = crdFor(kind);
  const problems: string[] = [];
  if (!validate(manifest)) {
    problems.push(
      ...(validate.errors ?? []).map((e) => {
        const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params['additionalProperty'])}"` : '';
        const allowed = e.keyword === 'enum' ? ` ${JSON.stringify(e.params['allowedValues'])}` : '';
        return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}${allowed}`;
      }),
    );
  }
  problems.push(...unknownMetadataFields(manifest['metadata']).map((p) => `${p} is not an ObjectMeta field`));
  if (problems.length === 0) problems.push(...celFailures(schema, manifest));
  if (problems.length > 0) throw new Error(problems.join('; '));
}
