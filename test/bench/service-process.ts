import { readFileSync } from 'node:fs';

import type { CliProcess } from '../support/cli-process.js';
import { LOCAL_PORTS, runCli } from '../support/cli-process.js';
import { imageNodeOptions } from '../support/image-runtime.js';

export interface ServiceProcess {
  readonly pid: number;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Resident set size from /proc, in MiB. */
  rssMiB(): number;
  stop(): Promise<void>;
}

/** The real product: `airflow-keda-scaler serve` from dist/, in its own process (own core). */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const cli: CliProcess = runCli(['serve'], {
    NODE_OPTIONS: imageNodeOptions(),
    ...LOCAL_PORTS,
    SCALER_LOG_LEVEL: 'info',
    ...env,
  });
  const { grpcPort, httpPort } = await cli.listening().catch(async () => {
    throw new Error(`service did not start: ${cli.stderr()}`);
  });
  const pid = cli.child.pid ?? -1;
  return {
    pid,
    grpcPort,
    httpPort,
    rssMiB: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
      return kb / 1024;
    },
    stop: async () => {
      cli.child.kill('SIGTERM');
      await cli.exited;
    },
  };
}

export async function waitReady(httpPort: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('service did not become ready');
}
