import type { Distribution } from './distribution.js';
import { sample } from './distribution.js';
import type { Rng } from './random.js';

/**
 * Worker nodes made on demand, as Cluster Autoscaler or Karpenter do: a pod that finds no room on
 * a node stays Pending until a new node has joined, and a node is removed once it has been empty
 * for a while (Cluster Autoscaler `--scale-down-unneeded-time`, 10 min by default; Karpenter
 * `disruption.consolidateAfter`).
 */
export interface NodeProvisioning {
  /** Worker pods that fit on one node. */
  readonly podsPerNode: number;
  /** From the first pod that does not fit to the new node being Ready. */
  readonly startup: Distribution;
  /** How long a node stays after its last worker pod left. */
  readonly emptyNodeSeconds: number;
}

interface Node {
  readonly readyAt: number;
  pods: number;
  /** When the node last became empty; -1 while it holds a pod. */
  emptySince: number;
}

/**
 * Which node each pod lands on, and when that node is ready. Pods fill the lowest-numbered node
 * with room (ready nodes and nodes still joining alike), as a bin-packing scheduler profile does;
 * only worker pods are counted, so every node is assumed to hold nothing else.
 */
export class NodePool {
  private readonly nodes: Node[] = [];
  /** Node index of each pod id, -1 when the pod holds no place. */
  private readonly podNode: number[] = [];
  nodesCreated = 0;

  constructor(
    private readonly spec: NodeProvisioning,
    private readonly rng: Rng,
  ) {}

  /** Places a pod; returns when its node is (or was) ready. */
  place(podId: number, now: number): number {
    let index = -1;
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i] as Node;
      if (this.removed(node, now) || node.pods >= this.spec.podsPerNode) continue;
      index = i;
      break;
    }
    if (index < 0) {
      index = this.nodes.findIndex((node) => this.removed(node, now));
      const node: Node = { readyAt: now + Math.max(0, sample(this.spec.startup, this.rng)), pods: 0, emptySince: -1 };
      this.nodesCreated += 1;
      if (index < 0) {
        index = this.nodes.length;
        this.nodes.push(node);
      } else this.nodes[index] = node;
    }
    const node = this.nodes[index] as Node;
    node.pods += 1;
    node.emptySince = -1;
    this.podNode[podId] = index;
    return Math.max(node.readyAt, now);
  }

  /** Places pods that exist when the run starts, on nodes that are already there. */
  placeReady(podId: number): void {
    let node = this.nodes.find((n) => n.pods < this.spec.podsPerNode);
    if (node === undefined) {
      node = { readyAt: 0, pods: 0, emptySince: -1 };
      this.nodes.push(node);
    }
    node.pods += 1;
    this.podNode[podId] = this.nodes.indexOf(node);
  }

  /** The pod left (or was deleted while Pending): its place is free. */
  release(podId: number, now: number): void {
    const index = this.podNode[podId] ?? -1;
    if (index < 0) return;
    this.podNode[podId] = -1;
    const node = this.nodes[index] as Node;
    node.pods -= 1;
    if (node.pods === 0) node.emptySince = Math.max(now, node.readyAt);
  }

  /** Nodes present now, joining or ready. */
  count(now: number): number {
    return this.nodes.filter((node) => !this.removed(node, now)).length;
  }

  private removed(node: Node, now: number): boolean {
    return node.pods === 0 && node.emptySince >= 0 && node.emptySince + this.spec.emptyNodeSeconds <= now;
  }
}
