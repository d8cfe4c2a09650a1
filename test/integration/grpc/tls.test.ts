import type { ServiceError } from '@grpc/grpc-js';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { TestPki } from '../../support/certs.js';
import { createTestPki } from '../../support/certs.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { TestService } from '../../support/service.js';
import { eventually, startTestService } from '../../support/service.js';

const servers = inject('servers');

async function spec(port: number, creds: ReturnType<typeof credentials.createSsl>): Promise<string> {
  const client = connectScaler(port, creds, 'localhost');
  try {
    const response = await client.getMetricSpec({});
    return response.metricSpecs[0]?.metricName ?? '';
  } finally {
    client.close();
  }
}

async function refused(port: number, creds: ReturnType<typeof credentials.createSsl>): Promise<ServiceError> {
  return spec(port, creds).then(
    () => {
      throw new Error('the server accepted the client');
    },
    (err: ServiceError) => err,
  );
}

describe('gRPC transport security', () => {
  let pki: TestPki;
  let db: AirflowTestDb;

  beforeAll(async () => {
    pki = createTestPki();
    db = await createAirflowDb(servers, '3');
  });
  afterAll(async () => db.drop());

  describe('server TLS', () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({
        metastores: { default: { url: db.bouncerUrl() } },
        grpc: { host: '127.0.0.1', port: 0, tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      });
    });
    afterAll(async () => service.close());

    it('serves a client that trusts the CA', async () => {
      expect(await spec(service.grpcPort, credentials.createSsl(pki.read(pki.caCert)))).toMatch(/^airflow-celery-/);
    });

    it('is not reachable in plaintext', async () => {
      const client = connectScaler(service.grpcPort);
      try {
        const error = await client.getMetricSpec({}).then(
          () => undefined,
          (err: ServiceError) => err,
        );
        expect(error?.code).toBe(status.UNAVAILABLE);
      } finally {
        client.close();
      }
    });
  });

  describe('mutual TLS', () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({
        metastores: { default: { url: db.bouncerUrl() } },
        grpc: {
          host: '127.0.0.1',
          port: 0,
          tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert },
        },
      });
      await eventually(async () => (service.health().ready ? true : undefined));
    });
    afterAll(async () => service.close());

    it('serves a client with a certificate signed by the configured CA', async () => {
      const creds = credentials.createSsl(pki.read(pki.caCert), pki.read(pki.clientKey), pki.read(pki.clientCert));
      expect(await spec(service.grpcPort, creds)).toMatch(/^airflow-celery-/);
    });

    it('refuses a client without a certificate', async () => {
      const error = await refused(service.grpcPort, credentials.createSsl(pki.read(pki.caCert)));
      expect(error.code).toBe(status.UNAVAILABLE);
    });

    it('refuses a client whose certificate another CA signed', async () => {
      const creds = credentials.createSsl(pki.read(pki.caCert), pki.read(pki.rogueKey), pki.read(pki.rogueCert));
      const error = await refused(service.grpcPort, creds);
      expect(error.code).toBe(status.UNAVAILABLE);
    });
  });
});
