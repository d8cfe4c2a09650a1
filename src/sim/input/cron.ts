import { Cron } from 'croner';

/**
 * Cron schedules as Airflow's `schedule` strings write them, evaluated in UTC: five fields
 * (minute hour day-of-month month day-of-week) with numbers, ranges, steps, lists, month and
 * weekday names, or a preset. Parsed and stepped by croner; when both day fields are restricted
 * either may match, as croniter (which Airflow uses) has it.
 */
export interface CronSchedule {
  readonly expression: string;
  /** Instants (ms since the epoch) in [fromMs, untilMs) at which the schedule fires, in order. */
  runs(fromMs: number, untilMs: number): number[];
}

/**
 * Airflow's presets (`cron_presets` in airflow-core/src/airflow/utils/dates.py): Airflow turns
 * these into expressions before croniter sees them. croniter's own aliases (@midnight,
 * @annually) are croner's too.
 */
const AIRFLOW_PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
};

/** Presets that are schedules but not cron: Airflow runs them once, or back to back. */
const NOT_CRON: Readonly<Record<string, string>> = {
  '@once': 'runs once: give it as a burst with every: and from:/until:, or replay a trace',
  '@continuous': 'starts a run as soon as the last ends: replay a trace of it instead',
};

/** Parses an expression or preset; throws an Error saying what is wrong. */
export function parseCron(expression: string): CronSchedule {
  const text = expression.trim();
  const lower = text.toLowerCase();
  const notCron = NOT_CRON[lower];
  if (notCron !== undefined) throw new Error(`${text} is not a cron schedule: it ${notCron}`);
  const pattern = AIRFLOW_PRESETS[lower] ?? text;
  if (!pattern.startsWith('@') && pattern.split(/\s+/).length !== 5) {
    throw new Error(`needs 5 fields (minute hour day-of-month month day-of-week) or a preset such as @hourly, got ${pattern.split(/\s+/).length}`);
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern, { paused: true, timezone: 'UTC', mode: '5-part' });
  } catch (err) {
    throw new Error((err as Error).message.replace(/^CronPattern: /, ''), { cause: err });
  }
  return {
    expression: text,
    runs(fromMs: number, untilMs: number): number[] {
      const out: number[] = [];
      // nextRun is strictly after its argument: start one millisecond early to include fromMs.
      for (let next = cron.nextRun(new Date(fromMs - 1)); next !== null && next.getTime() < untilMs; next = cron.nextRun(next)) {
        out.push(next.getTime());
      }
      return out;
    },
  };
}
