import type { Manifest } from '../helpers.js';

/**
 * Kubernetes NetworkPolicy ingress semantics, for checking rendered policies
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/): a pod selected by
 * no policy with policyType Ingress admits everything; otherwise a connection is admitted if any
 * selecting policy has a rule whose `from` (absent or empty: any source) and `ports` (absent or
 * empty: any port) both match. Policies are additive. Label selectors: matchLabels and
 * matchExpressions (In, NotIn, Exists, DoesNotExist).
 */
export interface Pod {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Named container ports, for rules that name a port. */
  readonly ports?: Readonly<Record<string, number>>;
}
/** A source outside the cluster's pods (a load balancer, a client), seen by its IP. */
export interface External {
  readonly ip: string;
}
export type Source = Pod | External;

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  from?: Peer[];
  ports?: { port?: number | string; protocol?: string; endPort?: number }[];
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: Rule[];
}

export function selects(selector: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabels && byExpressions;
}

function ipv4(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base!) / size);
}

/** Namespace labels: the only one the kit's policies use, set by Kubernetes on every namespace. */
const namespaceLabels = (namespace: string): Record<string, string> => ({ 'kubernetes.io/metadata.name': namespace });

function peerMatches(peer: Peer, source: Source, policyNamespace: string): boolean {
  if (peer.ipBlock !== undefined) {
    if (!('ip' in source)) return false; // pod IPs under ipBlock are implementation-defined: not relied on
    return inCidr(source.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr) => inCidr(source.ip, cidr));
  }
  if ('ip' in source) return false;
  const namespaceOk = peer.namespaceSelector === undefined ? source.namespace === policyNamespace : selects(peer.namespaceSelector, namespaceLabels(source.namespace));
  return namespaceOk && selects(peer.podSelector, source.labels);
}

function portMatches(rule: Rule, target: Pod, port: number, protocol: string): boolean {
  if (rule.ports === undefined || rule.ports.length === 0) return true;
  return rule.ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const number = typeof p.port === 'number' ? p.port : /^[0-9]+$/.test(p.port) ? Number(p.port) : target.ports?.[p.port];
    if (number === undefined) return false;
    return p.endPort === undefined ? number === port : port >= number && port <= p.endPort;
  });
}

/** Whether `source` may open a connection to `target` on `port` under these policies. */
export function ingressAllowed(policies: readonly Manifest[], source: Source, target: Pod, port: number, protocol = 'TCP'): boolean {
  const selecting = policies.filter((p) => {
    const spec = p['spec'] as PolicySpec;
    const types = spec.policyTypes ?? ['Ingress'];
    return (p.metadata.namespace ?? target.namespace) === target.namespace && types.includes('Ingress') && selects(spec.podSelector, target.labels);
  });
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    ((p['spec'] as PolicySpec).ingress ?? []).some(
      (rule) => (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, source, target.namespace))) && portMatches(rule, target, port, protocol),
    ),
  );
}

/** The pods a rendered Deployment or StatefulSet makes: namespace, template labels, named ports. */
export function podOf(workload: Manifest, namespace: string): Pod {
  const template = (workload['spec'] as { template: { metadata: { labels: Record<string, string> }; spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] } } }).template;
  const ports: Record<string, number> = {};
  for (const container of template.spec.containers) for (const p of container.ports ?? []) if (p.name !== undefined) ports[p.name] = p.containerPort;
  return { namespace, labels: template.metadata.labels, ports };
}
