import { simulateCommand as runSimulate } from '../sim/command.js';

export async function simulateCommand(argv: readonly string[]): Promise<void> {
  process.exitCode = await runSimulate(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY,
  });
}
