import type { SimulationOutcome } from './document.js';

export function renderReport(outcome: SimulationOutcome): string {
  return `<!doctype html><title>${outcome.workload.name}</title>`;
}
