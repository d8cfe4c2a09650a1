import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { loadSync } from '@grpc/proto-loader';

import { EXTERNAL_SCALER_PROTO } from '../../src/grpc/proto.js';

const run = promisify(execFile);

export interface H2LoadResult {
  readonly requests: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

/** A GetMetrics request as gRPC puts it on the wire: a 5-byte length prefix, then protobuf. */
export function getMetricsFrame(metadata: Record<string, string>): Buffer {
  const definition = loadSync(EXTERNAL_SCALER_PROTO, { keepCase: true, longs: Number, defaults: true });
  const method = (definition['externalscaler.ExternalScaler'] as Record<string, { requestSerialize: (value: unknown) => Buffer }>)['GetMetrics'];
  if (method === undefined) throw new Error('GetMetrics missing from the proto');
  const message = method.requestSerialize({ scaledObjectRef: { name: 'airflow-worker', namespace: 'airflow', scalerMetadata: metadata }, metricName: '' });
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

export async function h2loadAvailable(): Promise<boolean> {
  return run('h2load', ['--version']).then(
    () => true,
    () => false,
  );
}

/**
 * Drives GetMetrics with nghttp2's h2load: one connection, `streams` concurrent requests, for
 * `seconds` after a 1 s warm-up. A C load generator keeps the client from being the bottleneck,
 * as KEDA's Go client is not; per-request times come from its log file.
 */
export async function h2loadGetMetrics(
  port: number,
  metadata: Record<string, string>,
  streams: number,
  seconds: number,
  /** Open loop at this many requests a second (h2load paces on a 1/rps timer); default: closed loop. */
  rps?: number,
): Promise<H2LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'aks-h2load-'));
  const body = join(dir, 'request.bin');
  const log = join(dir, 'requests.log');
  writeFileSync(body, getMetricsFrame(metadata));
  const { stdout } = await run('h2load', [
    '-D', String(seconds), '--warm-up-time=1', '-c', '1', '-t', '1', '-m', String(streams),
    ...(rps === undefined ? [] : [`--rps=${rps}`]),
    '-H', 'content-type: application/grpc', '-H', 'te: trailers', '-d', body, `--log-file=${log}`,
    `http://127.0.0.1:${port}/externalscaler.ExternalScaler/GetMetrics`,
  ]);
  const summary = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(stdout);
  if (summary === null) throw new Error(`unexpected h2load output:\n${stdout}`);
  const latenciesMs = readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => Number(line.split('\t')[2]) / 1000);
  return { requests: Number(summary[3]), failed: Number(summary[4]), seconds, latenciesMs };
}
