/**
 * coordination.k8s.io/v1 Leases for the stand-in API server, with the real optimistic
 * concurrency: a create of an existing Lease is 409 AlreadyExists, a replace naming a stale
 * resourceVersion is 409 Conflict; and the real limit on annotations: more than 256 KiB in all
 * is 422 Invalid.
 *
 *   GET  /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}
 *   POST /apis/coordination.k8s.io/v1/namespaces/{ns}/leases
 *   PUT  /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}
 */
export type LeaseJson = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace: string; resourceVersion: string };
  spec: Record<string, unknown>;
};

export interface LeaseAnswer {
  readonly code: number;
  readonly body: unknown;
}

/** All of an object's annotations together, keys and values, in bytes (apimachinery's TotalAnnotationSizeLimitB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

function annotationBytes(metadata: Record<string, unknown>): number {
  const annotations = metadata['annotations'];
  if (typeof annotations !== 'object' || annotations === null) return 0;
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) total += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  return total;
}

const LEASES_PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases$/;
const LEASE_PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases\/([^/]+)$/;

function status(code: number, reason: string, message: string): LeaseAnswer {
  return { code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details: { group: 'coordination.k8s.io', kind: 'leases' }, code } };
}

export class LeaseTable {
  readonly leases = new Map<string, LeaseJson>();

  constructor(private readonly nextResourceVersion: () => string) {}

  get(namespace: string, name: string): LeaseJson | undefined {
    return this.leases.get(`${namespace}/${name}`);
  }

  /** Which verb a path and method are, or null when they are not a Lease route. */
  static verbOf(method: string, path: string): { verb: 'getLease' | 'createLease' | 'updateLease'; namespace: string; name: string | null } | null {
    const collection = LEASES_PATH.exec(path);
    if (collection !== null && method === 'POST') return { verb: 'createLease', namespace: decodeURIComponent(collection[1]!), name: null };
    const one = LEASE_PATH.exec(path);
    if (one === null) return null;
    const target = { namespace: decodeURIComponent(one[1]!), name: decodeURIComponent(one[2]!) };
    if (method === 'GET') return { verb: 'getLease', ...target };
    if (method === 'PUT') return { verb: 'updateLease', ...target };
    return null;
  }

  handle(verb: 'getLease' | 'createLease' | 'updateLease', namespace: string, name: string | null, body: unknown): LeaseAnswer {
    if (verb === 'getLease') {
      const lease = this.get(namespace, name ?? '');
      return lease === undefined ? status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`) : { code: 200, body: lease };
    }
    const incoming = body as LeaseJson | undefined;
    const leaseName = name ?? incoming?.metadata.name;
    if (incoming === undefined || typeof leaseName !== 'string') return status(400, 'BadRequest', 'a Lease body is required');
    // The API server validates every object's annotations so (ValidateAnnotationsSize): 422 Invalid.
    if (annotationBytes(incoming.metadata) > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
      return status(422, 'Invalid', `Lease.coordination.k8s.io "${leaseName}" is invalid: metadata.annotations: Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT_BYTES} bytes`);
    }
    const existing = this.get(namespace, leaseName);
    if (verb === 'createLease' && existing !== undefined) return status(409, 'AlreadyExists', `leases.coordination.k8s.io "${leaseName}" already exists`);
    if (verb === 'updateLease') {
      if (existing === undefined) return status(404, 'NotFound', `leases.coordination.k8s.io "${leaseName}" not found`);
      if (incoming.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return status(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${leaseName}": the object has been modified; please apply your changes to the latest version and try again`);
      }
    }
    const stored: LeaseJson = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...incoming.metadata, name: leaseName, namespace, resourceVersion: this.nextResourceVersion(), uid: existing?.metadata['uid'] ?? `uid-${leaseName}` },
      spec: { ...incoming.spec },
    };
    this.leases.set(`${namespace}/${leaseName}`, stored);
    return { code: verb === 'createLease' ? 201 : 200, body: stored };
  }
}
