import { readFileSync } from 'node:fs';

import { ServerCredentials } from '@grpc/grpc-js';

import type { TlsConfig } from '../core/config.js';
import { ErrorCode, ScalerError } from '../core/errors.js';

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ScalerError(ErrorCode.InvalidConfig, `invalid configuration: ${key}=${JSON.stringify(path)} cannot be read`, {
      cause: err,
    });
  }
}

/**
 * Plaintext (in-cluster default), server TLS, or mTLS. With a client CA, grpc-js requires and
 * verifies a client certificate (`checkClientCertificate`), so KEDA must send the
 * TriggerAuthentication's `tlsClientCert`/`tlsClientKey`.
 */
export function serverCredentials(tls: TlsConfig | null): ServerCredentials {
  if (tls === null) return ServerCredentials.createInsecure();
  const cert = readPem(tls.certFile, 'grpc.tls.certFile');
  const key = readPem(tls.keyFile, 'grpc.tls.keyFile');
  const clientCa = tls.clientCaFile === null ? null : readPem(tls.clientCaFile, 'grpc.tls.clientCaFile');
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}
