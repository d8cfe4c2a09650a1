import { existsSync } from 'node:fs';

import type {
  ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  ObservableMiddleware,
  RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import type * as ClientNode from '@kubernetes/client-node';

import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import { POD_DELETION_COST_ANNOTATION } from '../core/ports.js';
import type { Logger, PodDirectory, WorkerPod } from '../core/ports.js';
import { httpStatusOf, redactCredentials, toKubernetesApiError } from './api-errors.js';
import type { PodOperation } from './api-errors.js';
import { INT32_MAX, INT32_MIN, toWorkerPods } from './pod-mapping.js';

type ClientModule = typeof ClientNode;

/** Where the credentials and API server address come from. */
export type KubernetesSource =
  | {
      readonly kind: 'in-cluster';
      /**
       * Prepended to `/var/run/secrets/kubernetes.io/serviceaccount`; tests point it at a temp
       * directory. Leave unset in production.
       */
      readonly pathPrefix?: string;
    }
  | { readonly kind: 'kubeconfig'; readonly path: string };

export interface PodDirectoryOptions {
  readonly source: KubernetesSource;
  /** Upper bound for each API call, connection and response body included. Default 5000. */
  readonly requestTimeoutMs?: number;
  readonly logger: Logger;
}

export const DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS = 5_000;

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

class TimeoutSignal extends Error {
  override readonly name = 'TimeoutError';
}

class ClosedSignal extends Error {
  override readonly name = 'AbortError';
}

function configError(message: string, cause?: unknown): ScalerError {
  return new ScalerError(ErrorCode.InvalidConfig, redactCredentials(message), cause === undefined ? {} : { cause });
}

async function loadClientModule(): Promise<ClientModule> {
  try {
    // Lazy: the client and its generated models cost tens of MB; only scale-in needs them.
    return await import('@kubernetes/client-node');
  } catch (err) {
    throw new ScalerError(
      ErrorCode.KubernetesApiFailed,
      `cannot load @kubernetes/client-node: ${coerceError(err).message}`,
      { cause: err },
    );
  }
}

/** Checks what `loadFromCluster` silently assumes, so a missing piece is named instead of failing later. */
function inClusterProblems(pathPrefix: string): string[] {
  const problems: string[] = [];
  for (const variable of ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT']) {
    const value = process.env[variable];
    if (value === undefined || value.trim() === '') problems.push(`${variable} is not set`);
  }
  for (const file of ['token', 'ca.crt']) {
    const path = `${pathPrefix}${SERVICE_ACCOUNT_DIR}/${file}`;
    if (!existsSync(path)) problems.push(`${path} does not exist (is a service-account token mounted?)`);
  }
  return problems;
}

function loadKubeConfig(client: ClientModule, source: KubernetesSource): KubeConfig {
  const kubeConfig = new client.KubeConfig();
  if (source.kind === 'in-cluster') {
    const pathPrefix = source.pathPrefix ?? '';
    const problems = inClusterProblems(pathPrefix);
    if (problems.length > 0) {
      throw new ScalerError(
        ErrorCode.InvalidConfig,
        `cannot use in-cluster Kubernetes credentials: ${problems.join('; ')}`,
        { problems },
      );
    }
    try {
      kubeConfig.loadFromCluster(pathPrefix);
    } catch (err) {
      throw configError(`cannot use in-cluster Kubernetes credentials: ${coerceError(err).message}`, err);
    }
  } else {
    try {
      kubeConfig.loadFromFile(source.path);
    } catch (err) {
      throw configError(`cannot read kubeconfig ${source.path}: ${coerceError(err).message}`, err);
    }
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    const where = source.kind === 'kubeconfig' ? `kubeconfig ${source.path}` : 'in-cluster configuration';
    throw configError(`${where} has no current context with a cluster`);
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw configError(
      `Kubernetes API server ${cluster.server} is plain HTTP; client-node only allows that with insecure-skip-tls-verify: true`,
    );
  }
  return kubeConfig;
}

/** Pods of one worker set, listed and annotated through client-node's CoreV1Api. */
class ClientNodePodDirectory implements PodDirectory {
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly client: ClientModule,
    private readonly api: CoreV1Api,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async list(namespace: string, labelSelector: string): Promise<WorkerPod[]> {
    const operation: PodOperation = { verb: 'list', namespace, target: `labelSelector "${labelSelector}"` };
    const podList = await this.call(operation, (options) =>
      this.api.listNamespacedPod({ namespace, labelSelector }, options),
    );
    const pods = toWorkerPods(podList.items);
    this.logger.debug({ namespace, labelSelector, pods: pods.length }, 'listed worker pods');
    return pods;
  }

  async setDeletionCost(namespace: string, pod: string, cost: number | null): Promise<void> {
    const operation: PodOperation = { verb: 'patch', namespace, target: `pod "${pod}"` };
    if (cost !== null && (!Number.isInteger(cost) || cost < INT32_MIN || cost > INT32_MAX)) {
      throw new ScalerError(
        ErrorCode.KubernetesApiFailed,
        `Kubernetes API pods patch refused in namespace "${namespace}" (pod "${pod}"): pod-deletion-cost ${cost} is not an int32`,
      );
    }
    // JSON merge patch (RFC 7386): a string sets the annotation, null removes it.
    const body = { metadata: { annotations: { [POD_DELETION_COST_ANNOTATION]: cost === null ? null : String(cost) } } };
    await this.call(operation, (options) =>
      this.api.patchNamespacedPod(
        { name: pod, namespace, body },
        // The generated client defaults PATCH to application/json-patch+json; this is client-node's
        // documented way to choose another patch type for one call.
        this.client.setHeaderOptions('Content-Type', this.client.PatchStrategy.MergePatch, options),
      ),
    );
    this.logger.debug({ namespace, pod, cost }, cost === null ? 'removed pod-deletion-cost' : 'set pod-deletion-cost');
  }

  close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort(new ClosedSignal('pod directory closed'));
    this.inFlight.clear();
    return Promise.resolve();
  }

  /**
   * Runs one API call under a deadline. The AbortSignal reaches node-fetch through a middleware, so
   * a timeout also tears down the socket; the race covers what happens before the request is sent
   * (token file, exec credential plugins).
   */
  private async call<T>(operation: PodOperation, run: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw toKubernetesApiError(operation, new Error('closed'), { timeoutMs: this.timeoutMs, timedOut: false, closed: true });
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => {
      controller.abort(new TimeoutSignal(`timed out after ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const aborted = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => {
        reject(coerceError(controller.signal.reason));
      }, { once: true });
    });
    try {
      return await Promise.race([run({ middleware: [this.signalMiddleware(controller.signal)] }), aborted]);
    } catch (err) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      const failure = toKubernetesApiError(operation, err, {
        timeoutMs: this.timeoutMs,
        timedOut: reason instanceof TimeoutSignal,
        closed: reason instanceof ClosedSignal,
      });
      this.logger.debug(
        { verb: operation.verb, namespace: operation.namespace, target: operation.target, status: httpStatusOf(err), err: failure.message },
        'Kubernetes API call failed',
      );
      throw failure;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  private signalMiddleware(signal: AbortSignal): ObservableMiddleware {
    const { Observable } = this.client;
    return {
      pre: (request: RequestContext) => {
        request.setSignal(signal);
        return new Observable(Promise.resolve(request));
      },
      post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
    };
  }
}

/**
 * Builds the Kubernetes adapter. Loads @kubernetes/client-node on first use, so a process that
 * never scales in never pays for it. Throws ScalerError(InvalidConfig) when the credentials
 * cannot be found; the calls themselves throw ScalerError(KubernetesApiFailed).
 */
export async function createPodDirectory(options: PodDirectoryOptions): Promise<PodDirectory> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw configError(`Kubernetes requestTimeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const client = await loadClientModule();
  const kubeConfig = loadKubeConfig(client, options.source);
  const api = kubeConfig.makeApiClient(client.CoreV1Api);
  options.logger.info(
    { source: options.source.kind, server: kubeConfig.getCurrentCluster()?.server, requestTimeoutMs: timeoutMs },
    'Kubernetes API client ready',
  );
  return new ClientNodePodDirectory(client, api, timeoutMs, options.logger);
}
