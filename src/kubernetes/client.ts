import { existsSync, readFileSync } from 'node:fs';

import type { ConfigurationOptions, KubeConfig, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type * as ClientNode from '@kubernetes/client-node';

import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import type { ApiOperation } from './api-errors.js';
import { httpStatusOf, redactCredentials, toKubernetesApiError } from './api-errors.js';

export type ClientModule = typeof ClientNode;

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

export const DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS = 5_000;

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

class TimeoutSignal extends Error {
  override readonly name = 'TimeoutError';
}

class ClosedSignal extends Error {
  override readonly name = 'AbortError';
}

export function configError(message: string, cause?: unknown): ScalerError {
  return new ScalerError(ErrorCode.InvalidConfig, redactCredentials(message), cause === undefined ? {} : { cause });
}

async function loadClientModule(): Promise<ClientModule> {
  try {
    // Lazy: the client and its generated models cost tens of MB; only scale-in needs them.
    return await import('@kubernetes/client-node');
  } catch (err) {
    throw new ScalerError(ErrorCode.KubernetesApiFailed, `cannot load @kubernetes/client-node: ${coerceError(err).message}`, { cause: err });
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
      throw new ScalerError(ErrorCode.InvalidConfig, `cannot use in-cluster Kubernetes credentials: ${problems.join('; ')}`, { problems });
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
    throw configError(`Kubernetes API server ${cluster.server} is plain HTTP; client-node only allows that with insecure-skip-tls-verify: true`);
  }
  return kubeConfig;
}

/** The namespace this process runs in: the service account's, or the kubeconfig context's. */
function ownNamespace(source: KubernetesSource, kubeConfig: KubeConfig): string {
  if (source.kind === 'in-cluster') {
    try {
      const text = readFileSync(`${source.pathPrefix ?? ''}${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim();
      if (text !== '') return text;
    } catch {
      // older clusters mount no namespace file; fall through
    }
  }
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
}

/**
 * Runs client-node calls under a deadline. The AbortSignal reaches node-fetch through a
 * middleware, so a timeout also tears down the socket; the race covers what happens before the
 * request is sent (token file, exec credential plugins). Every failure becomes the one ScalerError
 * the ports promise (KubernetesForbidden for 401/403, KubernetesApiFailed otherwise).
 */
export class KubernetesCaller {
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(
    readonly client: ClientModule,
    readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async call<T>(operation: ApiOperation, run: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
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
        { verb: operation.verb, resource: operation.resource ?? 'pods', namespace: operation.namespace, target: operation.target, status: httpStatusOf(err), reason: failure.message },
        'Kubernetes API call failed',
      );
      throw failure;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort(new ClosedSignal('client closed'));
    this.inFlight.clear();
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

/** The HTTP status behind a KubernetesCaller failure (409 for a lost write race), or null. */
export function failedStatus(err: unknown): number | null {
  return err instanceof ScalerError ? httpStatusOf(err.cause) : null;
}

export interface KubernetesConnection {
  readonly client: ClientModule;
  readonly kubeConfig: KubeConfig;
  readonly caller: KubernetesCaller;
  /** The namespace this process runs in (for its own Lease). */
  readonly namespace: string;
  readonly server: string | undefined;
}

/**
 * Loads @kubernetes/client-node (on first use, so a process that never scales in never pays for
 * it) and the credentials. Throws ScalerError(InvalidConfig) when they cannot be found.
 */
export async function connectKubernetes(source: KubernetesSource, timeoutMs: number, logger: Logger): Promise<KubernetesConnection> {
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw configError(`Kubernetes requestTimeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const client = await loadClientModule();
  const kubeConfig = loadKubeConfig(client, source);
  return {
    client,
    kubeConfig,
    caller: new KubernetesCaller(client, timeoutMs, logger),
    namespace: ownNamespace(source, kubeConfig),
    server: kubeConfig.getCurrentCluster()?.server,
  };
}
