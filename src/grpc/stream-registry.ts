import type { ServerWritableStream } from '@grpc/grpc-js';

/** Open StreamIsActive calls, so shutdown can end each with status OK. */
export class StreamRegistry {
  private readonly streams = new Map<ServerWritableStream<unknown, unknown>, () => void>();

  add(call: ServerWritableStream<unknown, unknown>, cleanup: () => void): void {
    this.streams.set(call, cleanup);
  }

  remove(call: ServerWritableStream<unknown, unknown>): void {
    const cleanup = this.streams.get(call);
    if (cleanup === undefined) return;
    this.streams.delete(call);
    cleanup();
  }

  get size(): number {
    return this.streams.size;
  }

  /**
   * Ends every stream with OK. KEDA reconnects after about 2 s on a clean end, but backs off
   * from 2 s to 60 s after an error status, so a rolling restart must not look like a failure.
   */
  endAll(): void {
    for (const call of [...this.streams.keys()]) {
      this.remove(call);
      call.end();
    }
  }
}
