/** Edit distance (insert, delete, substitute, swap adjacent) between two short names. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The known name a mistyped one most likely meant ("did you mean"), or undefined when none is
 * close: within a third of the name's length (at least 1, at most 3 edits) or the start of a
 * known name, case ignored.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  if (input.length > 64) return undefined;
  const wanted = input.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    // A name cut short (`pool` for `poolSize`) is as likely a slip as a typo.
    const lower = name.toLowerCase();
    const score = wanted.length >= 3 && lower.startsWith(wanted) ? 1 : distance(wanted, lower);
    if (score <= limit && (best === undefined || score < best.score)) best = { name, score };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or nothing. */
export function didYouMean(input: string, known: readonly string[]): string {
  const match = closestName(input, known);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
