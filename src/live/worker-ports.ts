import { ErrorCode, ScalerError } from '../core/errors.js';
import type { ControlReply, PodDirectory, WorkerControl, WorkerPod } from '../core/ports.js';
import { modelledWorkerPod } from '../core/replica-set-ranking.js';
import type { CeleryWorkers, ListedWorker } from './celery-workers.js';

/*
 * The simulated worker Deployment behind the two ports the real scale-in controller uses
 * (src/core/ports.ts): the Kubernetes API's pods (list, pod-deletion-cost patches) and Celery's
 * remote control (cancel_consumer, add_consumer). What to do with them stays in core and
 * src/scale-in/; this only answers as the API server and the workers would.
 */

/** An equality-based selector term (`a=b`, `a==b`, `a!=b`, `a`, `!a`), as core normalises them. */
function matches(selector: string, labels: Readonly<Record<string, string>>): boolean {
  return selector.split(',').every((term) => {
    if (term === '') return true;
    const notEqual = term.indexOf('!=');
    if (notEqual !== -1) return labels[term.slice(0, notEqual)] !== term.slice(notEqual + 2);
    const equal = /==?/.exec(term);
    if (equal !== null) return labels[term.slice(0, equal.index)] === term.slice(equal.index + equal[0].length);
    return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
  });
}

/** A worker as the API server lists it: core's modelled pod, Pending while it starts. */
function asWorkerPod(worker: ListedWorker): WorkerPod {
  return modelledWorkerPod(worker.name, worker.state === 'ready', worker.deletionCost, worker.state === 'terminating');
}

/** The pods of the demo's one namespace, `airflow`. */
export function simulatedPodDirectory(workers: CeleryWorkers, namespace: string): PodDirectory {
  return {
    list: (inNamespace, labelSelector) =>
      Promise.resolve(inNamespace === namespace ? workers.list().filter((w) => matches(labelSelector, w.labels)).map(asWorkerPod) : []),
    setDeletionCost: (_namespace, pod, cost) => {
      // The API server answers 404 for a pod that is gone; the controller lists again next tick.
      if (!workers.setDeletionCost(pod, cost)) return Promise.reject(new ScalerError(ErrorCode.KubernetesApiFailed, `pods "${pod}" not found`));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/** Celery remote control: every live worker named answers at once. */
export function simulatedWorkerControl(workers: CeleryWorkers): WorkerControl {
  const reply = (names: readonly string[], queue: string, consume: boolean): Promise<ControlReply[]> =>
    Promise.resolve(
      workers.control(names, queue, consume).map((hostname) => ({
        hostname,
        ok: true,
        detail: consume ? `add consumer ${queue}` : `no longer consuming from '${queue}'`,
      })),
    );
  return {
    cancelConsumer: (names, queue) => reply(names, queue, false),
    addConsumer: (names, queue) => reply(names, queue, true),
    close: () => Promise.resolve(),
  };
}
