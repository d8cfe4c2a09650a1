import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { TlsConfig } from '../core/config.js';
import { coerceError } from '../core/errors.js';

type Label = (path: readonly string[]) => string;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** OpenSSL's reason without anything from the file: `error:1E08010C:DECODER routines::unsupported`. */
function reason(err: unknown): string {
  const error = coerceError(err) as Error & { code?: unknown };
  return typeof error.code === 'string' ? `${error.message} (${error.code})` : error.message;
}

function readPem(file: string, key: readonly string[], label: Label, problems: string[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${label(key)}=${JSON.stringify(file)} cannot be read: ${reason(err)}`);
    return undefined;
  }
}

function certificates(file: string, key: readonly string[], label: Label, problems: string[], nowMs: number): X509Certificate[] {
  const pem = readPem(file, key, label, problems);
  if (pem === undefined) return [];
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.push(`${label(key)}=${JSON.stringify(file)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return [];
  }
  const parsed: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      const cert = new X509Certificate(block);
      if (Date.parse(cert.validTo) < nowMs) {
        problems.push(`${label(key)}=${JSON.stringify(file)}: certificate ${index + 1} expired on ${new Date(cert.validTo).toISOString()}`);
      }
      parsed.push(cert);
    } catch (err) {
      problems.push(`${label(key)}=${JSON.stringify(file)}: certificate ${index + 1} cannot be parsed: ${reason(err)}`);
    }
  }
  return parsed;
}

/**
 * Reads and checks the gRPC server's TLS material at startup, so a bad file fails the start with
 * the key named instead of a server that says `tls: mtls`, reports ready and then refuses every
 * client: the certificate chain parses and is current, the key parses without a passphrase and
 * belongs to the certificate, and the client CA bundle parses and holds CA certificates.
 */
export function tlsMaterialProblems(tls: TlsConfig, label: Label, nowMs: number): string[] {
  const problems: string[] = [];
  const chain = certificates(tls.certFile, ['grpc', 'tls', 'certFile'], label, problems, nowMs);
  const keyPem = readPem(tls.keyFile, ['grpc', 'tls', 'keyFile'], label, problems);
  let key: KeyObject | undefined;
  if (keyPem !== undefined) {
    if (/ENCRYPTED/.test(keyPem)) {
      problems.push(`${label(['grpc', 'tls', 'keyFile'])}=${JSON.stringify(tls.keyFile)} is encrypted; the scaler needs an unencrypted key`);
    } else {
      try {
        key = createPrivateKey(keyPem);
      } catch (err) {
        problems.push(`${label(['grpc', 'tls', 'keyFile'])}=${JSON.stringify(tls.keyFile)} holds no usable private key: ${reason(err)}`);
      }
    }
  }
  const leaf = chain[0];
  if (leaf !== undefined && key !== undefined && !leaf.checkPrivateKey(key)) {
    problems.push(`${label(['grpc', 'tls', 'keyFile'])}=${JSON.stringify(tls.keyFile)} does not belong to the certificate in grpc.tls.certFile`);
  }
  if (tls.clientCaFile !== null) {
    const cas = certificates(tls.clientCaFile, ['grpc', 'tls', 'clientCaFile'], label, problems, nowMs);
    cas.forEach((ca, index) => {
      if (!ca.ca) {
        problems.push(
          `${label(['grpc', 'tls', 'clientCaFile'])}=${JSON.stringify(tls.clientCaFile)}: certificate ${index + 1} is not a CA certificate (basicConstraints CA:FALSE)`,
        );
      }
    });
  }
  return problems;
}
