import type { ServiceError } from '@grpc/grpc-js';
import { Client, Metadata, credentials } from '@grpc/grpc-js';

/** A gRPC client that sends arbitrary bytes as a request body, as a hostile or broken client would. */
export interface RawGrpcClient {
  /** Resolves with the status code and details (0 and '' when the call succeeded). */
  call(method: string, body: Buffer): Promise<{ code: number; details: string }>;
  close(): void;
}

export function connectRaw(port: number): RawGrpcClient {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': 8 * 1024 * 1024 });
  return {
    call: (method, body) =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          `/externalscaler.ExternalScaler/${method}`,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          body,
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (err: ServiceError | null) => {
            resolve(err === null ? { code: 0, details: '' } : { code: err.code, details: err.details });
          },
        );
      }),
    close: () => client.close(),
  };
}

/** The top-level keys of a JSON object text that appear more than once (JSON.parse keeps the last silently). */
export function duplicateTopLevelKeys(json: string): string[] {
  const seen = new Set<string>();
  const dupes: string[] = [];
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const text = json.slice(i, end + 1);
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text) as string;
        if (seen.has(key)) dupes.push(key);
        seen.add(key);
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      depth += 1;
      if (c === '{' && depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') depth -= 1;
    else if (c === ',' && depth === 1) expectKey = true;
    i += 1;
  }
  return dupes;
}
