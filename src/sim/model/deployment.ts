import { modelledPod, podsToDelete } from '../../core/replica-set-ranking.js';
import type { SimConfig } from './config.js';
import { sample } from './distribution.js';
import type { EventQueue } from './event-queue.js';
import { FloatList, IntFifo } from './event-queue.js';
import type { NodePool } from './nodes.js';
import type { Rng } from './random.js';
import { EventKind } from './run-types.js';
import { POD_NAME_PREFIX, PodState, SimPod } from './worker-pod.js';
import type { Workload } from './workload.js';

/*
 * The Celery worker Deployment: its ReplicaSet (which creates pods and removes them by core's
 * deletion ranking), its pods (starting, ready, warm shutdown), and the tasks they take from the
 * queue. Times are simulated seconds, passed in by the caller.
 */
export class WorkerDeployment {
  readonly pods: SimPod[] = [];
  /** Pods not terminating (starting or ready), in creation order. */
  activePods: SimPod[] = [];
  specReplicas = 0;
  nStarting = 0;
  nReady = 0;
  nTerminating = 0;
  /** Tasks holding a slot of a live worker. */
  running = 0;
  /**
   * Tasks whose worker was killed: still `running` in the metastore, so counted by the scaler,
   * until the scheduler's heartbeat timeout fails them.
   */
  zombies = 0;
  /** Tasks failed and waiting out `retry_delay` before they are queued again. */
  pendingRequeues = 0;
  peakWorkers = 0;
  tasksKilled = 0;
  /** Killed tasks with no retry left: failed for good. */
  tasksFailed = 0;
  completed = 0;
  readonly waiting = new IntFifo(4096);
  readonly waits: FloatList;
  /** Active pods carrying a pod-deletion-cost: while any do, every scaler tick must plan. */
  costedPods = 0;
  /** What a scale-in plan reads, besides running tasks, changed: a pod came, went, became ready, or its cost or drain changed. */
  scaleInStateChanged = true;
  /** A task started or finished since the last plan. */
  loadsChanged = true;
  /** The set of active pods changed since the scaler last ordered them. */
  podSetChanged = true;

  private freeSlots = 0;
  private readonly freeSlotFifo = new IntFifo(1024);
  private readonly taskGen: Int32Array;
  private readonly taskSlot: Int32Array;
  private readonly enqueuedAt: Float64Array;
  /** Times each task was killed so far: its failed tries. */
  private readonly kills: Uint8Array;
  private readonly conc: number;
  /** When each wait sample's task was queued (detail runs only, for the report). */
  readonly waitQueuedAt: FloatList | null;

  constructor(
    private readonly workload: Workload,
    private readonly config: SimConfig,
    private readonly events: EventQueue,
    servedTasks: number,
    private readonly podRng: Rng,
    private readonly uidRng: Rng,
    private readonly nodes: NodePool | null,
    /** Called when a pod is removed, so the scaler forgets it. */
    private readonly onPodRemoved: (name: string) => void,
    recordWaitTimes: boolean,
  ) {
    const n = workload.queuedAt.length;
    this.conc = config.workerConcurrency;
    this.taskGen = new Int32Array(n);
    this.taskSlot = new Int32Array(n).fill(-1);
    this.enqueuedAt = new Float64Array(n);
    this.kills = new Uint8Array(n);
    this.waits = new FloatList(Math.max(1024, servedTasks));
    this.waitQueuedAt = recordWaitTimes ? new FloatList(Math.max(1024, servedTasks)) : null;
  }

  /** What the scaler counts as running: tasks on slots, and tasks of killed workers not yet found. */
  get scalerRunning(): number {
    return this.running + this.zombies;
  }

  /** Pods already running when the run starts: ready at once, on nodes that are there. */
  startWith(replicas: number, now: number): void {
    this.specReplicas = replicas;
    for (let i = 0; i < replicas; i++) {
      const pod = this.createPod(now);
      this.nodes?.placeReady(pod.id);
      this.makeReady(pod, now);
    }
  }

  enqueue(task: number, now: number): void {
    this.enqueuedAt[task] = now;
    this.waiting.push(task);
  }

  /** FIFO: the oldest waiting task takes the slot that has been free longest (Redis BRPOP order). */
  dispatch(now: number): void {
    while (this.waiting.length > 0 && this.freeSlots > 0) {
      const slotId = this.freeSlotFifo.shift();
      const pod = this.pods[(slotId / this.conc) | 0] as SimPod;
      const slot = slotId % this.conc;
      pod.offered[slot] = 0;
      // Entries of pods that went away or stopped consuming are dropped here.
      if (pod.state !== PodState.ready || pod.draining) continue;
      const task = this.waiting.shift();
      pod.slots[slot] = task;
      pod.busy += 1;
      this.loadsChanged = true;
      this.freeSlots -= 1;
      this.running += 1;
      this.taskSlot[task] = slotId;
      this.waits.push(now - (this.enqueuedAt[task] as number));
      this.waitQueuedAt?.push(this.enqueuedAt[task] as number);
      this.events.push(now + (this.workload.duration[task] as number), EventKind.complete, task, this.taskGen[task] as number);
    }
  }

  complete(task: number, generation: number, now: number): void {
    if (this.taskGen[task] !== generation) return; // killed earlier; this attempt never finishes
    const slotId = this.taskSlot[task] as number;
    const pod = this.pods[(slotId / this.conc) | 0] as SimPod;
    pod.slots[slotId % this.conc] = -1;
    pod.busy -= 1;
    this.loadsChanged = true;
    this.running -= 1;
    this.completed += 1;
    this.taskSlot[task] = -1;
    if (pod.state === PodState.ready && !pod.draining) {
      this.offer(pod, slotId % this.conc);
      this.freeSlots += 1;
      this.dispatch(now);
    } else if (pod.state === PodState.terminating && pod.busy === 0) {
      // Celery's warm shutdown ends once the last running task finishes.
      this.gone(pod, now);
    }
  }

  requeue(task: number, now: number): void {
    this.pendingRequeues -= 1;
    this.enqueue(task, now);
    this.dispatch(now);
  }

  podReady(podId: number, now: number): void {
    const pod = this.pods[podId] as SimPod;
    if (pod.state !== PodState.starting) return; // removed while starting
    this.makeReady(pod, now);
    this.dispatch(now);
  }

  /** spec.replicas changed: the ReplicaSet creates or removes pods at once. */
  scaleTo(replicas: number, now: number): void {
    this.specReplicas = replicas;
    const active = this.nStarting + this.nReady;
    if (replicas > active) {
      for (let i = active; i < replicas; i++) {
        const pod = this.createPod(now);
        // Scheduled at once, or once a node has joined; the container starts from there.
        const scheduledAt = this.nodes === null ? now : this.nodes.place(pod.id, now);
        const readyAt = scheduledAt + Math.max(0, sample(this.config.podStartup, this.podRng));
        if (readyAt === now) this.makeReady(pod, now);
        else this.events.push(readyAt, EventKind.podReady, pod.id, 0);
      }
      this.dispatch(now);
    } else if (replicas < active) {
      for (const victim of this.victims(active - replicas, now)) this.terminate(victim, now);
    }
  }

  /** The scaler told the pod to stop consuming (cancel_consumer). */
  stopConsuming(pod: SimPod): void {
    if (pod.state !== PodState.ready || pod.draining) return;
    pod.draining = true;
    this.freeSlots -= this.conc - pod.busy;
    this.scaleInStateChanged = true;
  }

  /** The scaler put the pod back to work (add_consumer). */
  resumeConsuming(pod: SimPod): void {
    if (pod.state !== PodState.ready || !pod.draining) return;
    pod.draining = false;
    for (let s = 0; s < this.conc; s++) {
      if (pod.slots[s] === -1 && pod.offered[s] === 0) this.offer(pod, s);
    }
    this.freeSlots += this.conc - pod.busy;
    this.scaleInStateChanged = true;
  }

  /** The scaler's pod-deletion-cost patch, applied at once as the API server does. */
  setDeletionCost(pod: SimPod, cost: number | null): void {
    if (pod.deletionCost === cost) return;
    if ((pod.deletionCost === null) !== (cost === null)) this.costedPods += cost === null ? -1 : 1;
    pod.deletionCost = cost;
    pod.changed();
    this.scaleInStateChanged = true;
  }

  podNamed(name: string): SimPod {
    const pod = this.pods[Number(name.slice(POD_NAME_PREFIX.length))];
    if (pod?.name !== name) throw new Error(`no simulated pod named ${name}`);
    return pod;
  }

  /**
   * The kubelet killed the worker at the end of its grace period. Its tasks stay `running` in the
   * metastore (no process updates them) until the scheduler finds them without heartbeat.
   */
  graceExpired(podId: number, now: number): void {
    const pod = this.pods[podId] as SimPod;
    if (pod.state !== PodState.terminating) return;
    for (let s = 0; s < this.conc; s++) {
      const task = pod.slots[s] as number;
      if (task < 0) continue;
      pod.slots[s] = -1;
      this.taskGen[task] = (this.taskGen[task] as number) + 1;
      this.taskSlot[task] = -1;
      this.running -= 1;
      this.zombies += 1;
      this.tasksKilled += 1;
      this.kills[task] = Math.min(255, (this.kills[task] as number) + 1);
      this.events.push(now + this.config.taskHeartbeatTimeoutSeconds, EventKind.zombieFound, task, 0);
    }
    pod.busy = 0;
    this.gone(pod, now);
  }

  /**
   * The scheduler found a killed task without heartbeat and failed it (Airflow's
   * `_find_and_purge_task_instances_without_heartbeats`, 3.x; `_find_zombies`, 2.x): up for retry
   * after `retry_delay` while it has tries left (`is_eligible_to_retry`), otherwise failed.
   */
  zombieFound(task: number, now: number): void {
    this.zombies -= 1;
    if ((this.kills[task] as number) <= this.config.retries) {
      this.pendingRequeues += 1;
      this.events.push(now + this.config.retryDelaySeconds, EventKind.requeue, task, 0);
    } else {
      this.tasksFailed += 1;
    }
  }

  /** Puts a free slot of a consuming pod at the back of the free-slot FIFO. */
  private offer(pod: SimPod, slot: number): void {
    pod.offered[slot] = 1;
    this.freeSlotFifo.push(pod.id * this.conc + slot);
  }

  private createPod(now: number): SimPod {
    const pod = new SimPod(this.pods.length, this.uidRng.nextUint32(), now, this.conc);
    this.pods.push(pod);
    this.activePods.push(pod);
    this.podSetChanged = true;
    this.scaleInStateChanged = true;
    this.nStarting += 1;
    const alive = this.nStarting + this.nReady + this.nTerminating;
    if (alive > this.peakWorkers) this.peakWorkers = alive;
    return pod;
  }

  private makeReady(pod: SimPod, now: number): void {
    pod.state = PodState.ready;
    pod.changed();
    this.scaleInStateChanged = true;
    pod.readyAt = now;
    this.nStarting -= 1;
    this.nReady += 1;
    for (let s = 0; s < this.conc; s++) this.offer(pod, s);
    this.freeSlots += this.conc;
  }

  private gone(pod: SimPod, now: number): void {
    if (pod.state === PodState.terminating) this.nTerminating -= 1;
    pod.state = PodState.gone;
    this.nodes?.release(pod.id, now);
  }

  /** Which pods the ReplicaSet deletes: core's `podsToDelete`, with the cost each pod carries. */
  private victims(count: number, now: number): SimPod[] {
    const ranked = this.activePods.map((pod) => ({
      pod,
      ...modelledPod({
        ready: pod.ready,
        deletionCost: pod.deletionCost,
        readySinceMs: pod.ready ? pod.readyAt * 1000 : null,
        createdAtMs: pod.createdAt * 1000,
        uid: pod.uid,
      }),
    }));
    return podsToDelete(ranked, count, now * 1000).map((entry) => entry.pod);
  }

  /**
   * SIGTERM to a worker pod. A starting pod just goes. A ready one stops taking tasks (Celery
   * warm shutdown), finishes what it runs and exits; at terminationGracePeriodSeconds the kubelet
   * kills it, and its remaining tasks are lost and retried (Celery `worker_shutdown`; Kubernetes
   * pod termination).
   */
  private terminate(pod: SimPod, now: number): void {
    this.activePods = this.activePods.filter((p) => p !== pod);
    this.podSetChanged = true;
    this.scaleInStateChanged = true;
    this.onPodRemoved(pod.name);
    this.setDeletionCost(pod, null);
    if (pod.state === PodState.starting) {
      this.nStarting -= 1;
      pod.state = PodState.gone;
      this.nodes?.release(pod.id, now);
      return;
    }
    this.nReady -= 1;
    if (!pod.draining) this.freeSlots -= this.conc - pod.busy;
    pod.draining = false;
    pod.state = PodState.terminating;
    this.nTerminating += 1;
    if (pod.busy === 0) this.gone(pod, now);
    else this.events.push(now + this.config.terminationGracePeriodSeconds, EventKind.graceExpired, pod.id, 0);
  }
}
