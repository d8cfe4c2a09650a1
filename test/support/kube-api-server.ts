/**
 * A small stand-in for the Kubernetes API server: enough of `/api/v1` pods for the scaler's
 * Kubernetes adapter and the scale-in controller tests, speaking the real wire format.
 *
 *   GET   /api/v1/namespaces/{ns}/pods?labelSelector=...   -> v1 PodList
 *   GET   /api/v1/namespaces/{ns}/pods/{name}              -> v1 Pod, 404 Status if unknown
 *   PATCH /api/v1/namespaces/{ns}/pods/{name}              -> merge-patch+json (RFC 7386) and
 *                                                             strategic-merge-patch+json; 415 otherwise
 *
 * Every request is recorded. Faults (403 Forbidden, any Status, or never answering) can be set per
 * verb. Pods are plain JSON objects; `buildPod` makes realistic ones.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { LeaseJson } from './kube-leases.js';
import { LeaseTable } from './kube-leases.js';

export type JsonObject = Record<string, unknown>;

/** A pod as the API server stores and returns it. Tests may read and mutate any field. */
export interface PodJson extends JsonObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: JsonObject & { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: JsonObject;
  status: JsonObject;
}

export interface OwnerSpec {
  readonly kind: string;
  readonly name: string;
  /** Defaults to true: the owner is the pod's controller (ReplicaSet, StatefulSet, ...). */
  readonly controller?: boolean;
}

export interface PodSpecInput {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** Default Running. */
  readonly phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** Condition Ready=True. Default: true when the phase is Running. */
  readonly ready?: boolean;
  /** Sets `spec.nodeName`. Default: true unless the phase is Pending. */
  readonly scheduled?: boolean;
  /** RFC 3339 time (or Date); marks the pod as terminating. */
  readonly deletionTimestamp?: string | Date;
  /** Shorthand for one controller owner reference. */
  readonly owner?: OwnerSpec;
  /** Full owner references; wins over `owner`. */
  readonly ownerReferences?: readonly JsonObject[];
}

const CREATED_AT = '2024-01-01T00:00:00Z';

/** A v1 Pod as the API server would return it, with conditions matching `phase` and `ready`. */
export function buildPod(input: PodSpecInput): PodJson {
  const phase = input.phase ?? 'Running';
  const ready = input.ready ?? phase === 'Running';
  const scheduled = input.scheduled ?? phase !== 'Pending';
  const namespace = input.namespace ?? 'default';
  const ownerReferences =
    input.ownerReferences ??
    (input.owner === undefined
      ? undefined
      : [
          {
            apiVersion: input.owner.kind === 'ReplicaSet' || input.owner.kind === 'StatefulSet' ? 'apps/v1' : 'v1',
            kind: input.owner.kind,
            name: input.owner.name,
            uid: randomUUID(),
            controller: input.owner.controller ?? true,
            blockOwnerDeletion: true,
          },
        ]);
  const deletionTimestamp =
    input.deletionTimestamp instanceof Date ? input.deletionTimestamp.toISOString().replace(/\.\d+Z$/, 'Z') : input.deletionTimestamp;
  const transition = CREATED_AT;
  const conditions = [
    { type: 'PodScheduled', status: scheduled ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: transition },
    ...(scheduled
      ? [
          { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: transition },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: transition },
          { type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: transition },
        ]
      : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.name,
      namespace,
      uid: randomUUID(),
      resourceVersion: '1',
      creationTimestamp: CREATED_AT,
      ...(input.labels === undefined ? {} : { labels: { ...input.labels } }),
      ...(input.annotations === undefined ? {} : { annotations: { ...input.annotations } }),
      ...(ownerReferences === undefined ? {} : { ownerReferences: ownerReferences.map((reference) => ({ ...reference })) }),
      ...(deletionTimestamp === undefined ? {} : { deletionTimestamp, deletionGracePeriodSeconds: 30 }),
    },
    spec: {
      containers: [{ name: 'worker', image: 'apache/airflow:2.10.5' }],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      ...(scheduled ? { nodeName: 'node-1' } : {}),
    },
    status: {
      phase,
      conditions,
      ...(scheduled ? { hostIP: '10.0.0.1', podIP: '10.1.0.1' } : {}),
    },
  };
}

// --- label selectors -------------------------------------------------------------------------

export type LabelRequirement =
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'notexists'; readonly key: string };

class SelectorError extends Error {}

/** Splits on commas outside parentheses: `a in (x,y),b=c` -> [`a in (x,y)`, `b=c`]. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim());
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, requirement: string): string {
  if (!LABEL_KEY.test(key)) throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${requirement}"`);
  return key;
}

function checkValue(value: string, requirement: string): string {
  if (!LABEL_VALUE.test(value)) throw new SelectorError(`unable to parse requirement: invalid label value "${value}" in "${requirement}"`);
  return value;
}

/** Equality (`a=b`, `a==b`, `a!=b`), set (`a in (x,y)`, `a notin (x)`) and existence (`a`, `!a`). */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map((text): LabelRequirement => {
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
    if (set !== null) {
      const values = set[3]!.split(',').map((value) => checkValue(value.trim(), text));
      return { op: set[2] as 'in' | 'notin', key: checkKey(set[1]!, text), values };
    }
    const inequality = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(text);
    if (inequality !== null) return { op: 'neq', key: checkKey(inequality[1]!, text), value: checkValue(inequality[2]!, text) };
    const equality = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(text);
    if (equality !== null) return { op: 'eq', key: checkKey(equality[1]!, text), value: checkValue(equality[2]!, text) };
    const notExists = /^!\s*(\S+)$/.exec(text);
    if (notExists !== null) return { op: 'notexists', key: checkKey(notExists[1]!, text) };
    return { op: 'exists', key: checkKey(text, text) };
  });
}

function matches(requirements: readonly LabelRequirement[], labels: Record<string, string>): boolean {
  return requirements.every((requirement) => {
    const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
    switch (requirement.op) {
      case 'eq':
        return value === requirement.value;
      case 'neq':
        return value !== requirement.value;
      case 'in':
        return value !== undefined && requirement.values.includes(value);
      case 'notin':
        return value === undefined || !requirement.values.includes(value);
      case 'exists':
        return value !== undefined;
      case 'notexists':
        return value === undefined;
    }
  });
}

// --- patches ---------------------------------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete result[key];
    } else {
      result[key] = applyMergePatch(result[key], value);
    }
  }
  return result;
}

/** Kubernetes omits empty maps (`omitempty`): removing the last annotation drops the field. */
function dropEmptyMaps(metadata: JsonObject): void {
  for (const key of ['annotations', 'labels']) {
    const value = metadata[key];
    if (isObject(value) && Object.keys(value).length === 0) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete metadata[key];
    }
  }
}

export const PatchContentType = {
  MergePatch: 'application/merge-patch+json',
  StrategicMergePatch: 'application/strategic-merge-patch+json',
} as const;

// --- the server ------------------------------------------------------------------------------

export type Verb = 'list' | 'get' | 'patch' | 'getLease' | 'createLease' | 'updateLease';

/** What the server does instead of serving a verb. */
export type Fault =
  /** 403 Status, reason Forbidden, worded like the RBAC authorizer. */
  | { readonly kind: 'forbidden' }
  /** Any Status object with this code and reason. */
  | { readonly kind: 'status'; readonly code: number; readonly reason: string; readonly message?: string }
  /** Reads the request and never answers (until the server closes). */
  | { readonly kind: 'hang' };

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/api/v1/namespaces/airflow/pods`. */
  readonly path: string;
  /** Decoded query parameters (last value wins). */
  readonly query: Readonly<Record<string, string>>;
  /** The Content-Type header as sent, or null. */
  readonly contentType: string | null;
  /** The raw request body ('' when none). */
  readonly rawBody: string;
  /** The body parsed as JSON, or undefined when empty or not JSON. */
  readonly body: unknown;
  readonly hasAuthorization: boolean;
  /** The Authorization header as sent, for asserting on it; never print it. */
  readonly authorization: string | null;
}

export interface KubeApiServerOptions {
  /** Serve HTTPS with this certificate (PEM files). Without it, plain HTTP. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** When set, requests without `Authorization: Bearer <token>` get 401 Unauthorized. */
  readonly token?: string;
  /** Who the RBAC error messages say was refused. */
  readonly user?: string;
}

export interface KubeconfigOptions {
  /** Bearer token for the user; defaults to the server's `token` option. */
  readonly token?: string;
  /** Default namespace of the context. */
  readonly namespace?: string;
  /** Directory to write into; by default a fresh temp directory, removed by `close()`. */
  readonly dir?: string;
}

export interface ServiceAccountOptions {
  readonly token?: string;
  readonly namespace?: string;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Stores pods (replacing any with the same namespace and name). */
  addPods(...pods: PodJson[]): void;
  removePod(namespace: string, name: string): boolean;
  /** The stored pod (live object), or undefined. */
  getPod(namespace: string, name: string): PodJson | undefined;
  /** Stored pods, optionally of one namespace, sorted by namespace then name. */
  listPods(namespace?: string): PodJson[];
  /** Makes a verb fail (or hang) until cleared with `null`; for one bearer token's client only if given. */
  setFault(verb: Verb, fault: Fault | null, token?: string): void;
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Forgets pods, leases, faults and requests. */
  reset(): void;
  /** The stored Lease (live object), or undefined. */
  getLease(namespace: string, name: string): LeaseJson | undefined;
  /** Writes a kubeconfig (JSON, which is YAML) pointing at this server; returns its path. */
  writeKubeconfig(options?: KubeconfigOptions): string;
  /**
   * Writes `<prefix>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}` as the
   * kubelet mounts them; returns the prefix (for client-node's `loadFromCluster(prefix)`).
   * HTTPS servers only: in-cluster configuration always verifies the CA.
   */
  writeServiceAccount(options?: ServiceAccountOptions): string;
  close(): Promise<void>;
}

const POD_LIST_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/;
const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;

function statusObject(code: number, reason: string, message: string, details?: JsonObject): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'audit-id': randomUUID(),
    'cache-control': 'no-cache, private',
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const pods = new Map<string, PodJson>();
  /** Keyed by verb, or verb and bearer token (`list Bearer x`). */
  const faults = new Map<string, Fault>();
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const user = options.user ?? 'system:serviceaccount:keda:airflow-keda-scaler';
  let resourceVersion = 1;

  const nextResourceVersion = (): string => String(++resourceVersion);
  const leases = new LeaseTable(nextResourceVersion);

  function forbidden(verb: Verb, namespace: string, name: string | null): JsonObject {
    const lease = verb === 'getLease' || verb === 'createLease' || verb === 'updateLease';
    const apiVerb = { list: 'list', get: 'get', patch: 'patch', getLease: 'get', createLease: 'create', updateLease: 'update' }[verb];
    const resource = lease ? 'leases' : 'pods';
    const group = lease ? 'coordination.k8s.io' : '';
    const subject = name === null ? resource : `${resource}${lease ? '.coordination.k8s.io' : ''} "${name}"`;
    return statusObject(
      403,
      'Forbidden',
      `${subject} is forbidden: User "${user}" cannot ${apiVerb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`,
      name === null ? { kind: resource } : { name, kind: resource },
    );
  }

  /** Returns true when a fault answered (or swallowed) the request. */
  function applyFault(verb: Verb, response: ServerResponse, namespace: string, name: string | null, authorization: string | null = null): boolean {
    const fault = (authorization === null ? undefined : faults.get(`${verb} ${authorization}`)) ?? faults.get(verb);
    if (fault === undefined) return false;
    switch (fault.kind) {
      case 'forbidden':
        sendJson(response, 403, forbidden(verb, namespace, name));
        return true;
      case 'status':
        sendJson(response, fault.code, statusObject(fault.code, fault.reason, fault.message ?? fault.reason));
        return true;
      case 'hang':
        hanging.add(response);
        response.on('close', () => hanging.delete(response));
        return true;
    }
  }

  function notFound(response: ServerResponse, name: string): void {
    sendJson(response, 404, statusObject(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
  }

  function handleList(response: ServerResponse, namespace: string, query: URLSearchParams): void {
    if (applyFault('list', response, namespace, null)) return;
    let requirements: LabelRequirement[];
    try {
      requirements = parseLabelSelector(query.get('labelSelector') ?? '');
    } catch (err) {
      sendJson(response, 400, statusObject(400, 'BadRequest', (err as Error).message));
      return;
    }
    const items = [...pods.values()]
      .filter((pod) => pod.metadata.namespace === namespace && matches(requirements, pod.metadata.labels ?? {}))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    sendJson(response, 200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(resourceVersion) },
      items,
    });
  }

  function handleGet(response: ServerResponse, namespace: string, name: string): void {
    if (applyFault('get', response, namespace, name)) return;
    const pod = pods.get(podKey(namespace, name));
    if (pod === undefined) {
      notFound(response, name);
      return;
    }
    sendJson(response, 200, pod);
  }

  function handlePatch(response: ServerResponse, namespace: string, name: string, contentType: string | null, rawBody: string): void {
    if (applyFault('patch', response, namespace, name)) return;
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== PatchContentType.MergePatch && mediaType !== PatchContentType.StrategicMergePatch) {
      sendJson(
        response,
        415,
        statusObject(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PatchContentType.MergePatch}, ${PatchContentType.StrategicMergePatch}`,
        ),
      );
      return;
    }
    const pod = pods.get(podKey(namespace, name));
    if (pod === undefined) {
      notFound(response, name);
      return;
    }
    let patch: unknown;
    try {
      patch = JSON.parse(rawBody);
    } catch (err) {
      sendJson(response, 400, statusObject(400, 'BadRequest', `error decoding patch: ${(err as Error).message}`));
      return;
    }
    if (!isObject(patch)) {
      sendJson(response, 400, statusObject(400, 'BadRequest', 'patch body must be a JSON object'));
      return;
    }
    // Strategic merge patch behaves like a merge patch for maps such as annotations; this fake
    // replaces lists instead of merging them by key, which the scaler never relies on.
    const patched = applyMergePatch(pod, patch) as PodJson;
    const metadata = isObject(patched.metadata) ? patched.metadata : {};
    patched.metadata = {
      ...metadata,
      // Identity is not patchable.
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      uid: pod.metadata['uid'],
      resourceVersion: nextResourceVersion(),
    };
    dropEmptyMaps(patched.metadata);
    patched.apiVersion = 'v1';
    patched.kind = 'Pod';
    pods.set(podKey(namespace, name), patched);
    sendJson(response, 200, patched);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://kube-api');
    const rawBody = await readBody(request);
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const authorization = headerValue(request.headers.authorization);
    const contentType = headerValue(request.headers['content-type']);
    const method = request.method ?? 'GET';
    requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      rawBody,
      body,
      hasAuthorization: authorization !== null,
      authorization,
    });

    if (options.token !== undefined && authorization !== `Bearer ${options.token}`) {
      sendJson(response, 401, statusObject(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const leaseRoute = LeaseTable.verbOf(method, url.pathname);
    if (leaseRoute !== null) {
      if (applyFault(leaseRoute.verb, response, leaseRoute.namespace, leaseRoute.name, authorization)) return;
      const answer = leases.handle(leaseRoute.verb, leaseRoute.namespace, leaseRoute.name, body);
      sendJson(response, answer.code, answer.body);
      return;
    }
    const list = POD_LIST_PATH.exec(url.pathname);
    if (list !== null) {
      const namespace = decodeURIComponent(list[1]!);
      if (method === 'GET') {
        handleList(response, namespace, url.searchParams);
        return;
      }
    }
    const one = POD_PATH.exec(url.pathname);
    if (one !== null) {
      const namespace = decodeURIComponent(one[1]!);
      const name = decodeURIComponent(one[2]!);
      if (method === 'GET') {
        handleGet(response, namespace, name);
        return;
      }
      if (method === 'PATCH') {
        handlePatch(response, namespace, name, contentType, rawBody);
        return;
      }
    }
    if (list !== null || one !== null) {
      sendJson(response, 405, statusObject(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
      return;
    }
    sendJson(response, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
  }

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch((err: unknown) => {
      if (!response.headersSent) sendJson(response, 500, statusObject(500, 'InternalError', String(err)));
    });
  };
  const server: Server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const tempDirs: string[] = [];

  return {
    url,
    port,
    requests,
    addPods(...added) {
      for (const pod of added) {
        pod.metadata['resourceVersion'] = nextResourceVersion();
        pods.set(podKey(pod.metadata.namespace, pod.metadata.name), pod);
      }
    },
    removePod: (namespace, name) => pods.delete(podKey(namespace, name)),
    getPod: (namespace, name) => pods.get(podKey(namespace, name)),
    listPods: (namespace) =>
      [...pods.values()]
        .filter((pod) => namespace === undefined || pod.metadata.namespace === namespace)
        .sort((a, b) => podKey(a.metadata.namespace, a.metadata.name).localeCompare(podKey(b.metadata.namespace, b.metadata.name))),
    setFault(verb, fault, token) {
      const key = token === undefined ? verb : `${verb} Bearer ${token}`;
      if (fault === null) faults.delete(key);
      else faults.set(key, fault);
    },
    clearRequests() {
      requests.length = 0;
    },
    getLease: (namespace, name) => leases.get(namespace, name),
    reset() {
      pods.clear();
      leases.leases.clear();
      faults.clear();
      requests.length = 0;
    },
    writeKubeconfig(kubeconfig = {}) {
      let dir = kubeconfig.dir;
      if (dir === undefined) {
        dir = mkdtempSync(join(tmpdir(), 'aks-kubeconfig-'));
        tempDirs.push(dir);
      }
      const token = kubeconfig.token ?? options.token;
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'fake',
            cluster:
              options.tls === undefined
                ? { server: url, 'insecure-skip-tls-verify': true }
                : { server: url, 'certificate-authority': options.tls.caFile },
          },
        ],
        users: [{ name: 'scaler', user: token === undefined ? {} : { token } }],
        contexts: [
          { name: 'fake', context: { cluster: 'fake', user: 'scaler', ...(kubeconfig.namespace === undefined ? {} : { namespace: kubeconfig.namespace }) } },
        ],
        'current-context': 'fake',
        preferences: {},
      };
      const path = join(dir, 'kubeconfig');
      writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
      return path;
    },
    writeServiceAccount(serviceAccount = {}) {
      if (options.tls === undefined) throw new Error('writeServiceAccount needs an HTTPS server (start it with tls)');
      const prefix = mkdtempSync(join(tmpdir(), 'aks-serviceaccount-'));
      tempDirs.push(prefix);
      const dir = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'token'), serviceAccount.token ?? options.token ?? 'service-account-token', { mode: 0o600 });
      writeFileSync(join(dir, 'ca.crt'), readFileSync(options.tls.caFile));
      writeFileSync(join(dir, 'namespace'), serviceAccount.namespace ?? 'default');
      return prefix;
    },
    async close() {
      for (const response of hanging) response.destroy();
      hanging.clear();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
