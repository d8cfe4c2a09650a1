import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Both listeners on loopback, on ports the kernel picks (read back with `listening()`). */
export const LOCAL_PORTS = { SCALER_GRPC_HOST: '127.0.0.1', SCALER_GRPC_PORT: '0', SCALER_HTTP_HOST: '127.0.0.1', SCALER_HTTP_PORT: '0' } as const;

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** Resolves with the `scaler listening` log line's ports. */
  listening(timeoutMs?: number): Promise<{ grpcPort: number; httpPort: number }>;
}

/** Runs the built CLI (dist/, built by global setup) as the container would. */
export function runCli(args: string[], env: Record<string, string>, nodeArgs: string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    listening: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const line of out.split('\n')) {
          if (!line.includes('"scaler listening"')) continue;
          const entry = JSON.parse(line) as { grpcPort: number; httpPort: number };
          return { grpcPort: entry.grpcPort, httpPort: entry.httpPort };
        }
        if (child.exitCode !== null) throw new Error(`CLI exited with ${child.exitCode}: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`CLI did not start listening: ${err}${out}`);
    },
  };
}
