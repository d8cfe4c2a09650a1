/**
 * ISO-8601 date or date-time; a space may replace the `T` (PostgreSQL's text form), a missing
 * offset means UTC, `+HH` and `+HHMM` offsets are accepted. NaN when invalid.
 */
export function parseIsoTimestamp(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (m === null) return Number.NaN;
  const [, date, time, zone] = m;
  let offset = 'Z';
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0] ?? '+'}${digits.slice(0, 2)}:${digits.length > 2 ? digits.slice(2, 4) : '00'}`;
  }
  const iso = `${date ?? ''}T${time ?? '00:00'}${offset}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return ms;
  // Date.parse rolls 2024-02-30 over to March; refuse dates that do not exist.
  const [y, mo, d] = (date ?? '').split('-').map(Number);
  const check = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() + 1 !== mo || check.getUTCDate() !== d) return Number.NaN;
  return ms;
}
