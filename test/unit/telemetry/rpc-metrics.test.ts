import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { RpcMetrics } from '../../../src/telemetry/rpc-metrics.js';

describe('RpcMetrics', () => {
  it('prints a counter by method and code and a cumulative histogram of unary calls as Prometheus text', async () => {
    const registry = new Registry();
    const rpc = new RpcMetrics();
    rpc.register(registry, { requests: 'x_grpc_requests_total', duration: 'x_grpc_request_duration_seconds' });
    rpc.record('GetMetrics', 'OK', 0.05);
    rpc.record('GetMetrics', 'OK', 0.3);
    rpc.record('GetMetrics', 'OK', 500);
    rpc.record('GetMetrics', 'INVALID_ARGUMENT', 0.2);
    rpc.record('StreamIsActive', 'INVALID_ARGUMENT', null);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE x_grpc_requests_total counter');
    expect(text).toContain('x_grpc_requests_total{method="GetMetrics",code="OK"} 3');
    expect(text).toContain('x_grpc_requests_total{method="StreamIsActive",code="INVALID_ARGUMENT"} 1');
    expect(text).toContain('# TYPE x_grpc_request_duration_seconds histogram');
    expect(text).toContain('x_grpc_request_duration_seconds_bucket{le="0.0001",method="GetMetrics",code="OK"} 1');
    expect(text).toContain('x_grpc_request_duration_seconds_bucket{le="0.0005",method="GetMetrics",code="OK"} 2');
    expect(text).toContain('x_grpc_request_duration_seconds_bucket{le="0.1",method="GetMetrics",code="OK"} 2');
    expect(text).toContain('x_grpc_request_duration_seconds_bucket{le="+Inf",method="GetMetrics",code="OK"} 3');
    expect(text).toContain('x_grpc_request_duration_seconds_count{method="GetMetrics",code="OK"} 3');
    expect(text).not.toContain('x_grpc_request_duration_seconds_count{method="StreamIsActive"');
  });
});
