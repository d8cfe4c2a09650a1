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

/** A value as it appears in a message: strings quoted, long values cut. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
