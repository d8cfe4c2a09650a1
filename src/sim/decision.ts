import type { ConfigEstimate } from './estimates.js';
import { pairedDifference } from './model/statistics.js';

/*
 * Which configuration to recommend, from the replications' estimates. A configuration qualifies
 * when no replication left work unfinished, none killed a task (unless killed tasks are allowed),
 * and the 95 % confidence interval of its p95 queue wait lies within the SLO, so "meets the SLO"
 * holds with confidence, not by a lucky draw. Among those the cheapest by worker-hours wins;
 * configurations not significantly dearer (the paired 95 % interval of the extra worker-hours
 * includes 0) count as tied, and the tie goes to the gentlest: the longest pollingInterval (fewer
 * calls), then the fewest scale events.
 */

export interface DecisionRule {
  readonly sloP95Seconds: number;
  /** Let configurations that kill tasks at scale-in qualify. */
  readonly allowKilled: boolean;
}

export interface Decision {
  /** Run number (1-based) of the recommendation; null when none qualifies. */
  readonly run: number | null;
  /** Run numbers tied with the cheapest (itself included), gentlest first. */
  readonly tied: readonly number[];
  /**
   * When none qualifies: the cheapest that meets the wait but kills tasks, else the one closest
   * to the SLO (lowest p95 upper bound).
   */
  readonly nearest: number | null;
  /** Configurations within the SLO that were left out only because they kill tasks. */
  readonly excludedForKills: readonly number[];
}

function killsNothing(c: ConfigEstimate): boolean {
  return c.samples.tasksKilled.every((k) => k === 0);
}

function withinSlo(c: ConfigEstimate, rule: DecisionRule): boolean {
  return c.unfinishedReplications === 0 && c.estimates.p95WaitSeconds.high <= rule.sloP95Seconds;
}

/** Gentler first: longer pollingInterval, then fewer scale events, then cheaper, then earlier. */
function gentler(a: ConfigEstimate, b: ConfigEstimate): number {
  return (
    b.config.pollingInterval - a.config.pollingInterval ||
    a.estimates.scaleEvents.mean - b.estimates.scaleEvents.mean ||
    a.estimates.workerHours.mean - b.estimates.workerHours.mean ||
    a.run - b.run
  );
}

export function decide(configs: readonly ConfigEstimate[], rule: DecisionRule): Decision {
  const inSlo = configs.filter((c) => withinSlo(c, rule));
  const qualifying = inSlo.filter((c) => rule.allowKilled || killsNothing(c));
  const excludedForKills = inSlo.filter((c) => !qualifying.includes(c)).map((c) => c.run);
  if (qualifying.length === 0) {
    // Meeting the wait but killing tasks is nearest: only the scale-in needs changing.
    const killing = inSlo.filter((c) => !killsNothing(c)).sort((a, b) => a.estimates.workerHours.mean - b.estimates.workerHours.mean || a.run - b.run)[0];
    if (killing !== undefined) return { run: null, tied: [], nearest: killing.run, excludedForKills };
    const finished = configs.filter((c) => c.unfinishedReplications === 0);
    const safe = finished.filter((c) => rule.allowKilled || killsNothing(c));
    const pool = safe.length > 0 ? safe : finished.length > 0 ? finished : configs;
    const nearest = [...pool].sort((a, b) => a.estimates.p95WaitSeconds.high - b.estimates.p95WaitSeconds.high || a.run - b.run)[0];
    return { run: null, tied: [], nearest: nearest?.run ?? null, excludedForKills };
  }
  const cheapest = [...qualifying].sort(
    (a, b) => a.estimates.workerHours.mean - b.estimates.workerHours.mean || a.run - b.run,
  )[0] as ConfigEstimate;
  const tied = qualifying
    .filter((c) => c === cheapest || pairedDifference(c.samples.workerHours, cheapest.samples.workerHours).low <= 0)
    .sort(gentler);
  return { run: (tied[0] as ConfigEstimate).run, tied: tied.map((c) => c.run), nearest: null, excludedForKills };
}

/**
 * Run numbers on the Pareto frontier of (worker-hours, p95 wait) means: no other configuration is
 * at least as cheap and as fast and better in one. Configurations that left work unfinished are out.
 */
export function paretoFrontier(configs: readonly ConfigEstimate[]): number[] {
  const order = configs
    .filter((c) => c.unfinishedReplications === 0)
    .sort(
      (a, b) =>
        a.estimates.workerHours.mean - b.estimates.workerHours.mean ||
        a.estimates.p95WaitSeconds.mean - b.estimates.p95WaitSeconds.mean ||
        a.run - b.run,
    );
  const frontier: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const c of order) {
    if (c.estimates.p95WaitSeconds.mean < best) {
      frontier.push(c.run);
      best = c.estimates.p95WaitSeconds.mean;
    }
  }
  return frontier;
}
