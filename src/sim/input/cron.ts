/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC, as
 * in Airflow's `schedule` strings: `*`, numbers, ranges `a-b`, steps (`*` or a range
 * followed by `/n`), and comma-separated lists.
 * Day-of-week 0 and 7 are Sunday. When both day fields are restricted, either may match (Vixie
 * cron, croniter). Names (`MON`, `JAN`) and macros (`@hourly`) are not supported.
 */
export interface CronSchedule {
  readonly expression: string;
  matches(epochMs: number): boolean;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

function parseField(text: string, min: number, max: number, name: string): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (match === null) throw new Error(`${name} field ${JSON.stringify(part)} is not a number, range, step or *`);
    const [, whole, lo, hi, step] = match;
    let from = min;
    let to = max;
    if (whole === '*') {
      if (step === undefined) star = true;
    } else {
      from = Number(lo);
      to = hi === undefined ? (step === undefined ? from : max) : Number(hi);
    }
    const by = step === undefined ? 1 : Number(step);
    if (from < min || to > max || from > to) throw new Error(`${name} field ${JSON.stringify(part)} is outside ${min}-${max}`);
    if (by < 1) throw new Error(`${name} field ${JSON.stringify(part)} has a step below 1`);
    for (let v = from; v <= to; v += by) set.add(v);
  }
  return { set, star };
}

/** Parses an expression; throws an Error saying which field is wrong. */
export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minute, hour, dom, month, dow] = FIELDS.map((f, i) => parseField(parts[i] ?? '', f.min, f.max, f.name)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  if (dow.set.has(7)) dow.set.add(0);
  return {
    expression,
    matches(epochMs: number): boolean {
      const d = new Date(epochMs);
      if (!minute.set.has(d.getUTCMinutes()) || !hour.set.has(d.getUTCHours()) || !month.set.has(d.getUTCMonth() + 1)) {
        return false;
      }
      const domOk = dom.set.has(d.getUTCDate());
      const dowOk = dow.set.has(d.getUTCDay());
      if (dom.star || dow.star) return domOk && dowOk;
      return domOk || dowOk;
    },
  };
}
