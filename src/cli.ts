#!/usr/bin/env node
// Signals first, before the heavy modules load: a SIGTERM at any moment of startup must end the
// process with 0, not Node's default 143. Everything else is imported once the command is known.
import { parseArgs } from 'node:util';

import { ExitCode, fail, version } from './commands/common.js';
import type { CommandContext } from './commands/context.js';
import { watchSignals } from './commands/signals.js';
import type { Logger } from './core/ports.js';
import { didYouMean } from './core/suggest.js';

let logger: Logger | undefined;
const shutdown = watchSignals(() => (level, fields, message) => {
  if (logger !== undefined) logger[level](fields, message);
  else process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: message })}\n`);
});
// `ps` and /proc/<pid>/cmdline show the product's name from here on (and tests can tell that
// the signal handlers are in place).
process.title = 'airflow-keda-scaler';
const context: CommandContext = {
  shutdown,
  useLogger: (next) => {
    logger = next;
  },
};

const USAGE = `Usage: airflow-keda-scaler <command> [options]

Commands:
  serve         Run the KEDA external scaler against the configured Airflow metastore(s).
  demo          Run the same service on an embedded PostgreSQL and drive it live (npm start).
  simulate      Replay a workload through a model of Celery workers, KEDA and the HPA; report
                queue wait, cost and killed tasks, or sweep settings.
  export-trace  Write the CSV trace that simulate replays, from the metastore's task history.

Run \`airflow-keda-scaler <command> --help\` for a command's options.

Options:
  --help          Show this help.
  --version       Show the version.
`;

const COMMANDS = ['serve', 'demo', 'simulate', 'export-trace'] as const;
type Command = (typeof COMMANDS)[number];

/** The command word and every other argument; `--config FILE` may come before the command. */
function splitCommand(argv: readonly string[]): { command: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({ args: [...argv], strict: false, allowPositionals: true, tokens: true, options: { config: { type: 'string' } } });
  const first = tokens.find((token) => token.kind === 'positional');
  if (first?.kind !== 'positional') return { command: undefined, rest: [...argv] };
  return { command: first.value, rest: argv.filter((_, i) => i !== first.index) };
}

async function run(command: Command, rest: readonly string[]): Promise<void> {
  switch (command) {
    case 'serve':
      return (await import('./commands/serve.js')).serveCommand(rest, context);
    case 'demo':
      return (await import('./commands/demo.js')).demoCommand(rest, context);
    case 'simulate':
      return (await import('./commands/simulate.js')).simulateCommand(rest);
    case 'export-trace':
      return (await import('./commands/export-trace.js')).exportTraceCommand(rest);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined) {
    if (argv.includes('--version')) {
      process.stdout.write(`${version()}\n`);
      return;
    }
    if (argv.includes('--help') || argv.length === 0) {
      process.stdout.write(USAGE);
      if (argv.length === 0) process.exitCode = ExitCode.usage;
      return;
    }
    fail(`a command is required\n\n${USAGE}`, ExitCode.usage);
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    fail(`unknown command ${JSON.stringify(command.slice(0, 64))}${didYouMean(command, COMMANDS)}\n\n${USAGE}`, ExitCode.usage);
  }
  await run(command as Command, rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(err instanceof Error ? err.message : String(err), ExitCode.failure);
});
