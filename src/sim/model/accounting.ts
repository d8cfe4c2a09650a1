import type { WorkerDeployment } from './deployment.js';

/**
 * What a run measures: cost and provisioning integrated over time (state is piecewise constant
 * between events) and the instability samples. With demand
 * d = ceil((queued + running) / concurrency) and supply s = ready workers, as the SPEC RG
 * elasticity metrics define them (Herbst et al., "Ready for Rain?", SPEC-RG-2016-01).
 */
export class Accounting {
  workerSeconds = 0;
  busySlotSeconds = 0;
  underAccuracy = 0;
  overAccuracy = 0;
  underSeconds = 0;
  overSeconds = 0;
  unstableIntervals = 0;
  sampleIntervals = 0;
  private lastSampleDemand = -1;
  private lastSampleSupply = -1;

  constructor(private readonly concurrency: number) {}

  /** Adds `dt` seconds of the deployment's current state. */
  integrate(dt: number, d: WorkerDeployment): void {
    this.workerSeconds += (d.nStarting + d.nReady + d.nTerminating) * dt;
    this.busySlotSeconds += d.running * dt;
    const demand = Math.ceil((d.waiting.length + d.running) / this.concurrency);
    const supply = d.nReady;
    if (demand > supply) {
      this.underAccuracy += ((demand - supply) / demand) * dt;
      this.underSeconds += dt;
    } else if (supply > demand) {
      this.overAccuracy += ((supply - demand) / Math.max(demand, 1)) * dt;
      this.overSeconds += dt;
    }
  }

  /** One instability sample of the deployment's state. */
  sample(d: WorkerDeployment): void {
    const demand = Math.ceil((d.waiting.length + d.running) / this.concurrency);
    const supply = d.nReady;
    if (this.lastSampleDemand >= 0) {
      // SPEC instability: the share of intervals in which supply and demand do not move together.
      const ds = Math.sign(supply - this.lastSampleSupply);
      const dd = Math.sign(demand - this.lastSampleDemand);
      if (ds !== dd) this.unstableIntervals += 1;
      this.sampleIntervals += 1;
    }
    this.lastSampleDemand = demand;
    this.lastSampleSupply = supply;
  }
}
