import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import { POD_DELETION_COST_ANNOTATION } from '../../../src/core/ports.js';
import type { LogFields, Logger, PodDirectory } from '../../../src/core/ports.js';
import type { KubernetesSource } from '../../../src/kubernetes/client.js';
import { DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS, connectKubernetes } from '../../../src/kubernetes/client.js';
import { podDirectoryOn } from '../../../src/kubernetes/pod-directory.js';
import { createTestPki } from '../../support/certs.js';
import type { TestPki } from '../../support/certs.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import type { KubeApiServer, RecordedRequest } from '../../support/kube-api-server.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.test-service-account-token.c2lnbmF0dXJl';
const NAMESPACE = 'airflow';
const SELECTOR = 'app.kubernetes.io/component=worker,airflow-keda-scaler/worker-set=default';
const WORKER_LABELS = { 'app.kubernetes.io/component': 'worker', 'airflow-keda-scaler/worker-set': 'default' };
const REPLICA_SET = { kind: 'ReplicaSet', name: 'airflow-worker-5d9c8' };

interface RecordingLogger extends Logger {
  readonly lines: string[];
}

function recordingLogger(lines: string[] = [], bindings: LogFields = {}): RecordingLogger {
  const write = (level: string) => (fields: LogFields, message: string) => {
    lines.push(JSON.stringify({ level, ...bindings, ...fields, message }));
  };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ScalerError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ScalerError);
    return err as ScalerError;
  }
  throw new Error('expected the call to fail');
}

function patches(server: KubeApiServer): RecordedRequest[] {
  return server.requests.filter((request) => request.method === 'PATCH');
}

let pki: TestPki;
let server: KubeApiServer;
let logger: RecordingLogger;
const directories: PodDirectory[] = [];

/** The pod port as main.ts builds it: connect (credentials, time bound), then the directory on that connection. */
async function createPodDirectory(options: { source: KubernetesSource; logger: Logger; requestTimeoutMs?: number }): Promise<PodDirectory> {
  const connection = await connectKubernetes(options.source, options.requestTimeoutMs ?? DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS, options.logger);
  return podDirectoryOn(connection, options.logger);
}

async function directory(overrides: { requestTimeoutMs?: number } = {}): Promise<PodDirectory> {
  const created = await createPodDirectory({ source: { kind: 'kubeconfig', path: server.writeKubeconfig() }, logger, ...overrides });
  directories.push(created);
  return created;
}

beforeAll(async () => {
  pki = createTestPki();
  server = await startKubeApiServer({
    tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert },
    token: TOKEN,
  });
});

afterAll(async () => {
  await server.close();
  rmSync(pki.dir, { recursive: true, force: true });
});

beforeEach(() => {
  server.reset();
  logger = recordingLogger();
});

afterEach(async () => {
  await Promise.all(directories.splice(0).map((created) => created.close()));
  vi.unstubAllEnvs();
});

describe('PodDirectory.list over a kubeconfig (HTTPS with the cluster CA, bearer token)', () => {
  it('lists only the pods matching the label selector in the given namespace', async () => {
    server.addPods(
      buildPod({ name: 'worker-a', namespace: NAMESPACE, labels: WORKER_LABELS, owner: REPLICA_SET }),
      buildPod({ name: 'worker-b', namespace: NAMESPACE, labels: WORKER_LABELS, owner: REPLICA_SET }),
      buildPod({ name: 'worker-gpu', namespace: NAMESPACE, labels: { ...WORKER_LABELS, 'airflow-keda-scaler/worker-set': 'gpu' } }),
      buildPod({ name: 'scheduler', namespace: NAMESPACE, labels: { 'app.kubernetes.io/component': 'scheduler' } }),
      buildPod({ name: 'worker-elsewhere', namespace: 'other', labels: WORKER_LABELS }),
    );
    const pods = await (await directory()).list(NAMESPACE, SELECTOR);

    expect(pods.map((pod) => pod.name).sort()).toEqual(['worker-a', 'worker-b']);
    const [request] = server.requests;
    expect(server.requests).toHaveLength(1);
    expect(request).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/${NAMESPACE}/pods`, query: { labelSelector: SELECTOR } });
  });

  it('passes an inequality selector through to the API server', async () => {
    server.addPods(
      buildPod({ name: 'worker-a', namespace: NAMESPACE, labels: WORKER_LABELS }),
      buildPod({ name: 'worker-gpu', namespace: NAMESPACE, labels: { ...WORKER_LABELS, 'airflow-keda-scaler/worker-set': 'gpu' } }),
    );
    const pods = await (await directory()).list(NAMESPACE, 'app.kubernetes.io/component=worker,airflow-keda-scaler/worker-set!=gpu');
    expect(pods.map((pod) => pod.name)).toEqual(['worker-a']);
  });

  it('returns an empty list when nothing matches', async () => {
    server.addPods(buildPod({ name: 'scheduler', namespace: NAMESPACE, labels: { app: 'scheduler' } }));
    expect(await (await directory()).list(NAMESPACE, SELECTOR)).toEqual([]);
  });

  it('maps readiness, termination, deletion cost and controller kind of each pod', async () => {
    server.addPods(
      buildPod({
        name: 'ready-cheap',
        namespace: NAMESPACE,
        labels: WORKER_LABELS,
        owner: REPLICA_SET,
        annotations: { [POD_DELETION_COST_ANNOTATION]: '-100' },
      }),
      buildPod({ name: 'not-ready', namespace: NAMESPACE, labels: WORKER_LABELS, owner: REPLICA_SET, ready: false }),
      buildPod({ name: 'pending', namespace: NAMESPACE, labels: WORKER_LABELS, owner: REPLICA_SET, phase: 'Pending' }),
      buildPod({
        name: 'terminating',
        namespace: NAMESPACE,
        labels: WORKER_LABELS,
        owner: REPLICA_SET,
        deletionTimestamp: '2024-01-01T00:05:00Z',
        annotations: { [POD_DELETION_COST_ANNOTATION]: 'abc' },
      }),
      buildPod({
        name: 'stateful',
        namespace: NAMESPACE,
        labels: WORKER_LABELS,
        owner: { kind: 'StatefulSet', name: 'airflow-worker' },
        annotations: { [POD_DELETION_COST_ANNOTATION]: '2147483648' },
      }),
      buildPod({ name: 'bare', namespace: NAMESPACE, labels: WORKER_LABELS }),
    );
    const pods = await (await directory()).list(NAMESPACE, SELECTOR);

    const byName = Object.fromEntries(pods.map((pod) => [pod.name, pod]));
    expect(byName).toEqual({
      'ready-cheap': { name: 'ready-cheap', phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost: -100, ownerKind: 'ReplicaSet' },
      'not-ready': { name: 'not-ready', phase: 'Running', scheduled: true, ready: false, terminating: false, deletionCost: null, ownerKind: 'ReplicaSet' },
      pending: { name: 'pending', phase: 'Pending', scheduled: false, ready: false, terminating: false, deletionCost: null, ownerKind: 'ReplicaSet' },
      terminating: { name: 'terminating', phase: 'Running', scheduled: true, ready: true, terminating: true, deletionCost: null, ownerKind: 'ReplicaSet' },
      stateful: { name: 'stateful', phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost: null, ownerKind: 'StatefulSet' },
      bare: { name: 'bare', phase: 'Running', scheduled: true, ready: true, terminating: false, deletionCost: null, ownerKind: null },
    });
  });

  it('sends the token from the kubeconfig as a bearer Authorization header', async () => {
    await (await directory()).list(NAMESPACE, SELECTOR);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.hasAuthorization).toBe(true);
    expect(server.requests[0]!.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fails with ASC_KUBERNETES_FORBIDDEN and HTTP 401 when the API server rejects the token', async () => {
    const pods = await createPodDirectory({
      source: { kind: 'kubeconfig', path: server.writeKubeconfig({ token: 'expired-token-value' }) },
      logger,
    });
    directories.push(pods);
    const err = await failureOf(pods.list(NAMESPACE, SELECTOR));
    expect(err.code).toBe(ErrorCode.KubernetesForbidden);
    expect(err.message).toContain('HTTP 401 Unauthorized');
    expect(inspect(err, { depth: 10 })).not.toContain('expired-token-value');
  });

  it('fails with ASC_KUBERNETES_FORBIDDEN naming RBAC, namespace and selector when list is forbidden', async () => {
    server.setFault('list', { kind: 'forbidden' });
    const err = await failureOf((await directory()).list(NAMESPACE, SELECTOR));

    expect(err.code).toBe(ErrorCode.KubernetesForbidden);
    expect(err.message).toContain('pods list forbidden');
    expect(err.message).toContain('HTTP 403 Forbidden');
    expect(err.message).toContain('RBAC');
    expect(err.message).toContain(`namespace "${NAMESPACE}"`);
    expect(err.message).toContain(SELECTOR);
    expect(inspect(err, { depth: 10 })).not.toContain(TOKEN);
  });
});

describe('PodDirectory.setDeletionCost', () => {
  beforeEach(() => {
    server.addPods(
      buildPod({
        name: 'worker-a',
        namespace: NAMESPACE,
        labels: WORKER_LABELS,
        owner: REPLICA_SET,
        annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' },
      }),
    );
  });

  it('sends exactly one JSON merge patch setting the annotation, and the server stores it', async () => {
    const pods = await directory();
    await pods.setDeletionCost(NAMESPACE, 'worker-a', -100);

    expect(patches(server)).toHaveLength(1);
    const [patch] = patches(server);
    expect(patch).toMatchObject({
      path: `/api/v1/namespaces/${NAMESPACE}/pods/worker-a`,
      contentType: 'application/merge-patch+json',
      rawBody: '{"metadata":{"annotations":{"controller.kubernetes.io/pod-deletion-cost":"-100"}}}',
      authorization: `Bearer ${TOKEN}`,
    });
    expect(server.getPod(NAMESPACE, 'worker-a')!.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z',
      [POD_DELETION_COST_ANNOTATION]: '-100',
    });
    expect((await pods.list(NAMESPACE, SELECTOR))[0]!.deletionCost).toBe(-100);
  });

  it('removes the annotation with a null merge-patch value and keeps the other annotations', async () => {
    const pods = await directory();
    await pods.setDeletionCost(NAMESPACE, 'worker-a', 7);
    await pods.setDeletionCost(NAMESPACE, 'worker-a', null);

    expect(patches(server).map((request) => request.rawBody)).toEqual([
      '{"metadata":{"annotations":{"controller.kubernetes.io/pod-deletion-cost":"7"}}}',
      '{"metadata":{"annotations":{"controller.kubernetes.io/pod-deletion-cost":null}}}',
    ]);
    expect(patches(server).every((request) => request.contentType === 'application/merge-patch+json')).toBe(true);
    expect(server.getPod(NAMESPACE, 'worker-a')!.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' });
    expect((await pods.list(NAMESPACE, SELECTOR))[0]!.deletionCost).toBeNull();
  });

  it('fails with ASC_KUBERNETES_FORBIDDEN saying "pods patch forbidden" and RBAC, without the token, when patch is forbidden', async () => {
    server.setFault('patch', { kind: 'forbidden' });
    const err = await failureOf((await directory()).setDeletionCost(NAMESPACE, 'worker-a', 1));

    expect(err.code).toBe(ErrorCode.KubernetesForbidden);
    expect(err.message).toContain('pods patch forbidden');
    expect(err.message).toContain('HTTP 403 Forbidden');
    expect(err.message).toContain('RBAC');
    expect(err.message).toContain('pod "worker-a"');
    expect(err.message).toContain(`namespace "${NAMESPACE}"`);
    expect(inspect(err, { depth: 10 })).not.toContain(TOKEN);
    expect(logger.lines.join('\n')).not.toContain(TOKEN);
    expect(server.getPod(NAMESPACE, 'worker-a')!.metadata.annotations).not.toHaveProperty(POD_DELETION_COST_ANNOTATION);
  });

  it('fails with ASC_KUBERNETES_API_FAILED and HTTP 404 naming the pod when it does not exist', async () => {
    const err = await failureOf((await directory()).setDeletionCost(NAMESPACE, 'worker-gone', 1));
    expect(err.code).toBe(ErrorCode.KubernetesApiFailed);
    expect(err.message).toContain('HTTP 404 NotFound');
    expect(err.message).toContain('pod "worker-gone"');
  });

  it('refuses a cost outside int32 without calling the API', async () => {
    const pods = await directory();
    for (const cost of [2_147_483_648, -2_147_483_649, 1.5, Number.NaN]) {
      const err = await failureOf(pods.setDeletionCost(NAMESPACE, 'worker-a', cost));
      expect(err.code).toBe(ErrorCode.KubernetesApiFailed);
      expect(err.message).toContain('not an int32');
    }
    expect(server.requests).toEqual([]);
  });
});

describe('PodDirectory time bounds and close()', () => {
  it('gives up on a list the API server never answers within the request timeout', async () => {
    server.setFault('list', { kind: 'hang' });
    const pods = await directory({ requestTimeoutMs: 300 });
    const started = performance.now();
    const err = await failureOf(pods.list(NAMESPACE, SELECTOR));
    const elapsed = performance.now() - started;

    expect(err.code).toBe(ErrorCode.KubernetesApiFailed);
    expect(err.message).toBe(`Kubernetes API pods list in namespace "${NAMESPACE}" (labelSelector "${SELECTOR}") timed out after 300 ms`);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('gives up on a patch the API server never answers within the request timeout', async () => {
    server.addPods(buildPod({ name: 'worker-a', namespace: NAMESPACE, labels: WORKER_LABELS }));
    server.setFault('patch', { kind: 'hang' });
    const pods = await directory({ requestTimeoutMs: 300 });
    const started = performance.now();
    const err = await failureOf(pods.setDeletionCost(NAMESPACE, 'worker-a', 5));

    expect(err.message).toContain('timed out after 300 ms');
    expect(err.message).toContain('pod "worker-a"');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('uses a 5 s bound by default', async () => {
    server.setFault('list', { kind: 'hang' });
    const pods = await directory();
    const err = await failureOf(pods.list(NAMESPACE, SELECTOR));
    expect(err.message).toContain('timed out after 5000 ms');
  }, 15_000);

  it('abandons a call in flight on close() and refuses calls afterwards', async () => {
    server.setFault('list', { kind: 'hang' });
    const pods = await directory({ requestTimeoutMs: 10_000 });
    const pending = failureOf(pods.list(NAMESPACE, SELECTOR));
    await vi.waitFor(() => {
      expect(server.requests).toHaveLength(1);
    });
    const started = performance.now();
    await pods.close();
    const err = await pending;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(err.code).toBe(ErrorCode.KubernetesApiFailed);
    expect(err.message).toContain('closed');

    const after = await failureOf(pods.setDeletionCost(NAMESPACE, 'worker-a', 1));
    expect(after.message).toContain('closed');
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a non-positive request timeout as invalid configuration', async () => {
    await expect(directory({ requestTimeoutMs: 0 })).rejects.toMatchObject({ code: ErrorCode.InvalidConfig });
  });
});

describe('createPodDirectory sources', () => {
  it('fails with ASC_INVALID_CONFIG naming the path when the kubeconfig file does not exist', async () => {
    const path = join(tmpdir(), 'aks-no-such-dir', 'kubeconfig');
    const err = await failureOf(createPodDirectory({ source: { kind: 'kubeconfig', path }, logger }));
    expect(err.code).toBe(ErrorCode.InvalidConfig);
    expect(err.message).toContain(path);
  });

  it('accepts a plain-HTTP API server only when the kubeconfig says insecure-skip-tls-verify', async () => {
    const plain = await startKubeApiServer({ token: TOKEN });
    const dir = mkdtempSync(join(tmpdir(), 'aks-plain-'));
    try {
      plain.addPods(buildPod({ name: 'worker-a', namespace: NAMESPACE, labels: WORKER_LABELS }));
      const insecure = await createPodDirectory({ source: { kind: 'kubeconfig', path: plain.writeKubeconfig({ dir }) }, logger });
      directories.push(insecure);
      expect((await insecure.list(NAMESPACE, SELECTOR)).map((pod) => pod.name)).toEqual(['worker-a']);

      const path = join(dir, 'kubeconfig');
      const config = JSON.parse(readFileSync(path, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
      delete config.clusters[0]!.cluster['insecure-skip-tls-verify'];
      writeFileSync(path, JSON.stringify(config));
      const err = await failureOf(createPodDirectory({ source: { kind: 'kubeconfig', path }, logger }));
      expect(err.code).toBe(ErrorCode.InvalidConfig);
      expect(err.message).toContain('insecure-skip-tls-verify');
    } finally {
      await plain.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in-cluster: fails with ASC_INVALID_CONFIG naming KUBERNETES_SERVICE_HOST and the token file when not in a pod', async () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', undefined);
    vi.stubEnv('KUBERNETES_SERVICE_PORT', undefined);
    const empty = mkdtempSync(join(tmpdir(), 'aks-no-serviceaccount-'));
    try {
      const err = await failureOf(createPodDirectory({ source: { kind: 'in-cluster', pathPrefix: empty }, logger }));
      expect(err.code).toBe(ErrorCode.InvalidConfig);
      expect(err.message).toContain('KUBERNETES_SERVICE_HOST is not set');
      expect(err.message).toContain('KUBERNETES_SERVICE_PORT is not set');
      expect(err.message).toContain(`${empty}/var/run/secrets/kubernetes.io/serviceaccount/token does not exist`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('in-cluster: fails with ASC_INVALID_CONFIG naming KUBERNETES_SERVICE_HOST at the default service-account path', async () => {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', undefined);
    const err = await failureOf(createPodDirectory({ source: { kind: 'in-cluster' }, logger }));
    expect(err.code).toBe(ErrorCode.InvalidConfig);
    expect(err.message).toContain('cannot use in-cluster Kubernetes credentials');
    expect(err.message).toContain('KUBERNETES_SERVICE_HOST is not set');
  });

  it('in-cluster: uses the mounted service-account token and CA and the KUBERNETES_SERVICE_* address', async () => {
    const fileToken = 'in-cluster-token-from-file';
    const inCluster = await startKubeApiServer({
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert },
      token: fileToken,
    });
    try {
      inCluster.addPods(buildPod({ name: 'worker-a', namespace: NAMESPACE, labels: WORKER_LABELS, owner: REPLICA_SET }));
      const pathPrefix = inCluster.writeServiceAccount({ namespace: NAMESPACE });
      vi.stubEnv('KUBERNETES_SERVICE_HOST', '127.0.0.1');
      vi.stubEnv('KUBERNETES_SERVICE_PORT', String(inCluster.port));
      const pods = await createPodDirectory({ source: { kind: 'in-cluster', pathPrefix }, logger });
      directories.push(pods);

      expect((await pods.list(NAMESPACE, SELECTOR)).map((pod) => pod.name)).toEqual(['worker-a']);
      await pods.setDeletionCost(NAMESPACE, 'worker-a', 3);
      expect(inCluster.requests.map((request) => request.authorization)).toEqual([`Bearer ${fileToken}`, `Bearer ${fileToken}`]);
      expect(inCluster.getPod(NAMESPACE, 'worker-a')!.metadata.annotations).toEqual({ [POD_DELETION_COST_ANNOTATION]: '3' });
    } finally {
      await inCluster.close();
    }
  });
});
