/**
 * Bad simulator input (scenario file, trace file, command-line option). Every problem names where
 * it is (file and line, or the key path) and the offending value, as the project's config errors
 * do; all problems found are reported at once.
 */
export class SimInputError extends Error {
  override readonly name = 'SimInputError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? (problems[0] ?? '') : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export function isSimInputError(err: unknown): err is SimInputError {
  return err instanceof SimInputError;
}
