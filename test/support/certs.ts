import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  readonly rogueCert: string;
  readonly rogueKey: string;
  read(path: string): Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function issue(dir: string, name: string, subject: string, ca: string, extensions: string): void {
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`],
    dir,
  );
}

function selfSignedCa(dir: string, name: string, subject: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', subject], dir);
}

/** A throw-away CA with server and client certificates, made with the openssl CLI. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'aks-pki-'));
  selfSignedCa(dir, 'ca', '/CN=airflow-keda-scaler test CA');
  selfSignedCa(dir, 'rogue-ca', '/CN=someone else');
  issue(dir, 'server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'client', '/CN=keda-operator', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'rogue', '/CN=keda-operator', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const at = (file: string): string => join(dir, file);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    rogueCert: at('rogue.crt'),
    rogueKey: at('rogue.key'),
    read: (path) => readFileSync(path),
  };
}
