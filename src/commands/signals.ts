/**
 * SIGTERM and SIGINT handling for every command, installed before anything else is loaded, so a
 * signal at any moment of startup (while modules load, the config is read, ports are opened)
 * ends the process cleanly instead of with Node's default 143. A signal that arrives before the
 * command has registered what to close is held: the close runs as soon as it is registered.
 */
export interface ShutdownHandle {
  /** Registers what a signal must close; if a signal already came, closes at once. */
  onSignal(close: () => Promise<void>, timeoutMs: number): void;
  /** True once SIGTERM or SIGINT arrived. */
  readonly requested: boolean;
}

/** Without a registered close, a pending stop still ends the process after this long. */
const UNREGISTERED_STOP_TIMEOUT_MS = 9_000;

type Log = (level: 'info' | 'error', fields: Record<string, unknown>, message: string) => void;

export function watchSignals(log: () => Log): ShutdownHandle {
  let close: { run: () => Promise<void>; timeoutMs: number } | undefined;
  let requested = false;
  let closing = false;

  const finish = (): void => {
    if (close === undefined || closing) return;
    closing = true;
    const { run, timeoutMs } = close;
    setTimeout(() => {
      log()('error', { timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    run().then(
      () => {
        log()('info', {}, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log()('error', { err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) return;
    requested = true;
    log()('info', { signal }, 'shutting down');
    if (close === undefined) {
      // Startup is still running; it registers its close when done (or exits on its own).
      setTimeout(() => process.exit(0), UNREGISTERED_STOP_TIMEOUT_MS).unref();
      return;
    }
    finish();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  return {
    get requested() {
      return requested;
    },
    onSignal(run, timeoutMs) {
      close = { run, timeoutMs };
      if (requested) finish();
    },
  };
}
