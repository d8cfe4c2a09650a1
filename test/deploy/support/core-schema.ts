import * as k8s from '@kubernetes/client-node';
import { ValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import { ValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

/**
 * Strict validation of core Kubernetes kinds, offline, in two passes:
 *  1. kubernetes-models (JSON schemas generated from the Kubernetes OpenAPI spec): types, required
 *     fields, formats. It lets unknown fields through.
 *  2. unknown fields, as `kubectl apply --validate=strict` refuses them: every key is looked up in
 *     the model classes of @kubernetes/client-node 1.4, generated from the Kubernetes v1.34.0
 *     OpenAPI spec (kubernetes/kubernetes api/openapi-spec), whose `attributeTypeMap` lists each
 *     type's fields and their types.
 */
interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}
interface ClientModel {
  readonly attributeTypeMap: readonly Attribute[];
}

export const CORE_KINDS: Readonly<Record<string, { model: ModelClass; root: string }>> = {
  'v1/Namespace': { model: Namespace, root: 'V1Namespace' },
  'v1/ServiceAccount': { model: ServiceAccount, root: 'V1ServiceAccount' },
  'v1/Secret': { model: Secret, root: 'V1Secret' },
  'v1/ConfigMap': { model: ConfigMap, root: 'V1ConfigMap' },
  'v1/Service': { model: Service, root: 'V1Service' },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim, root: 'V1PersistentVolumeClaim' },
  'apps/v1/Deployment': { model: Deployment, root: 'V1Deployment' },
  'apps/v1/StatefulSet': { model: StatefulSet, root: 'V1StatefulSet' },
  'batch/v1/Job': { model: Job, root: 'V1Job' },
  'batch/v1/CronJob': { model: CronJob, root: 'V1CronJob' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, root: 'V1PodDisruptionBudget' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role, root: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding, root: 'V1RoleBinding' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, root: 'V1NetworkPolicy' },
  'storage.k8s.io/v1/StorageClass': { model: StorageClass, root: 'V1StorageClass' },
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': { model: ValidatingAdmissionPolicy, root: 'V1ValidatingAdmissionPolicy' },
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': { model: ValidatingAdmissionPolicyBinding, root: 'V1ValidatingAdmissionPolicyBinding' },
};

const MODELS = k8s as unknown as Record<string, ClientModel | undefined>;

function clientModel(name: string): ClientModel {
  const model = MODELS[name];
  if (model === undefined || !Array.isArray(model.attributeTypeMap)) throw new Error(`internal: no @kubernetes/client-node model ${name}`);
  return model;
}

const SCALARS = new Set(['string', 'number', 'boolean', 'Date', 'IntOrString']);

/** The unknown fields in `value` read as `type` (a client-node type string), as JSON-pointer-ish paths. */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  if (value === null || value === undefined || SCALARS.has(type) || type === 'any' || type === 'object') return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array !== null) return Array.isArray(value) ? value.flatMap((item, i) => unknownFields(item, array[1]!, `${path}/${String(i)}`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) {
    if (typeof value !== 'object' || Array.isArray(value)) return [];
    return Object.entries(value).flatMap(([key, item]) => unknownFields(item, map[1]!, `${path}/${key}`));
  }
  if (typeof value !== 'object' || Array.isArray(value)) return []; // a type error: pass 1 reports it
  const fields = new Map(clientModel(type).attributeTypeMap.map((a) => [a.baseName, a.type]));
  return Object.entries(value).flatMap(([key, item]) => {
    const fieldType = fields.get(key);
    return fieldType === undefined ? [`${path}/${key}`] : unknownFields(item, fieldType, `${path}/${key}`);
  });
}

/** Unknown fields under ObjectMeta (used for the metadata of custom resources too). */
export function unknownMetadataFields(metadata: unknown): string[] {
  return unknownFields(metadata, 'V1ObjectMeta', '/metadata');
}

/** Throws with every problem if `manifest` (a known core kind) breaks the Kubernetes schema. */
export function validateCore(key: string, manifest: Record<string, unknown>): void {
  const kind = CORE_KINDS[key];
  if (kind === undefined) throw new Error('no schema for this kind');
  new kind.model(structuredClone(manifest) as never).validate();
  const unknown = unknownFields(manifest, kind.root);
  if (unknown.length > 0) throw new Error(`unknown field(s): ${unknown.join(', ')}`);
}
