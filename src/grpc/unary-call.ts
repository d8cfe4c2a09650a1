import type { Client, ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';

type Unary = (request: unknown, metadata: Metadata, options: object, callback: (err: ServiceError | null, res?: unknown) => void) => void;

/**
 * Calls a unary method by name on a client built from a proto-loader definition (whose methods
 * are untyped), with a deadline. Used by the live demo's KEDA and by the tests' client.
 */
export function unaryCall<Res>(client: Client, method: string, request: unknown, deadlineMs: number): Promise<Res> {
  const fn = (client as unknown as Record<string, Unary | undefined>)[method];
  if (fn === undefined) return Promise.reject(new Error(`no method ${method}`));
  return new Promise((resolve, reject) => {
    fn.call(client, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
      if (err === null && res !== undefined) resolve(res as Res);
      else reject(err ?? new Error(`${method} returned no response`));
    });
  });
}
