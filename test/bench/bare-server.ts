/**
 * The floor of our stack: a grpc-js server over the same proto whose GetMetrics returns a
 * constant. Run as its own process so it gets a core, like the real service.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';

import { loadExternalScaler } from '../../src/grpc/proto.js';

const server = new Server();
const constant = { metricValues: [{ metricName: 'airflow-celery-default-00000000', metricValue: 3, metricValueFloat: 3 }] };
server.addService(loadExternalScaler().service, {
  GetMetrics: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    callback(null, constant);
  },
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err !== null) throw err;
  process.stdout.write(`${JSON.stringify({ grpcPort: port })}\n`);
});
process.on('SIGTERM', () => {
  server.forceShutdown();
  process.exit(0);
});
