import type { CoreV1Api } from '@kubernetes/client-node';

import { ErrorCode, ScalerError } from '../core/errors.js';
import { POD_DELETION_COST_ANNOTATION } from '../core/ports.js';
import type { Logger, PodDirectory, WorkerPod } from '../core/ports.js';
import type { ApiOperation } from './api-errors.js';
import type { KubernetesCaller, KubernetesConnection } from './client.js';
import { INT32_MAX, INT32_MIN, toWorkerPods } from './pod-mapping.js';

/** Pods of one worker set, listed and annotated through client-node's CoreV1Api. */
class ClientNodePodDirectory implements PodDirectory {
  constructor(
    private readonly caller: KubernetesCaller,
    private readonly api: CoreV1Api,
    private readonly logger: Logger,
  ) {}

  async list(namespace: string, labelSelector: string): Promise<WorkerPod[]> {
    const operation: ApiOperation = { verb: 'list', namespace, target: `labelSelector "${labelSelector}"` };
    const podList = await this.caller.call(operation, (options) => this.api.listNamespacedPod({ namespace, labelSelector }, options));
    const pods = toWorkerPods(podList.items);
    this.logger.debug({ namespace, labelSelector, pods: pods.length }, 'listed worker pods');
    return pods;
  }

  async setDeletionCost(namespace: string, pod: string, cost: number | null): Promise<void> {
    const operation: ApiOperation = { verb: 'patch', namespace, target: `pod "${pod}"` };
    if (cost !== null && (!Number.isInteger(cost) || cost < INT32_MIN || cost > INT32_MAX)) {
      throw new ScalerError(
        ErrorCode.KubernetesApiFailed,
        `Kubernetes API pods patch refused in namespace "${namespace}" (pod "${pod}"): pod-deletion-cost ${cost} is not an int32`,
      );
    }
    // JSON merge patch (RFC 7386): a string sets the annotation, null removes it.
    const body = { metadata: { annotations: { [POD_DELETION_COST_ANNOTATION]: cost === null ? null : String(cost) } } };
    const { client } = this.caller;
    await this.caller.call(operation, (options) =>
      this.api.patchNamespacedPod(
        { name: pod, namespace, body },
        // The generated client defaults PATCH to application/json-patch+json; this is client-node's
        // documented way to choose another patch type for one call.
        client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch, options),
      ),
    );
    this.logger.debug({ namespace, pod, cost }, cost === null ? 'removed pod-deletion-cost' : 'set pod-deletion-cost');
  }

  close(): Promise<void> {
    this.caller.close();
    return Promise.resolve();
  }
}

/** The worker-pod port over a Kubernetes connection; calls throw ScalerError(KubernetesApiFailed/Forbidden). */
export function podDirectoryOn(connection: KubernetesConnection, logger: Logger): PodDirectory {
  return new ClientNodePodDirectory(connection.caller, connection.kubeConfig.makeApiClient(connection.client.CoreV1Api), logger);
}
