import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

import { parseScalerMetadata } from '../../../src/core/metadata.js';
import type { EmbeddedMetastore } from '../../../src/demo/embedded-metastore.js';
import { scaledObjectYaml } from '../../../src/demo/scaled-object-example.js';
import { DEFAULT_LIVE_SCENARIO, prepareLiveDemo, realLeadSeconds } from '../../../src/live/live-demo.js';
import { TerminalView } from '../../../src/live/terminal.js';

const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used')) }) as EmbeddedMetastore;

describe('the ScaledObject the demo prints', () => {
  const live = prepareLiveDemo({ metastore: unused, scenarioFile: DEFAULT_LIVE_SCENARIO, speed: 20, view: new TerminalView({ write: () => undefined }) });
  const spec = live.scaledObject('127.0.0.1:9090');
  const printed = load(scaledObjectYaml(spec)) as {
    spec: Record<string, unknown> & { triggers: { type: string; metadata: Record<string, string> }[] };
  };

  it('is the one the simulated KEDA plays: the scenario\'s settings, and the trigger metadata it sends', () => {
    const { settings } = live;
    expect(printed.spec).toMatchObject({
      pollingInterval: settings.pollingInterval,
      cooldownPeriod: settings.cooldownPeriod,
      minReplicaCount: settings.minReplicaCount,
      maxReplicaCount: settings.maxReplicaCount,
    });
    expect(printed.spec.triggers[0]!.type).toBe(settings.trigger);
    expect(printed.spec.triggers[0]!.metadata).toEqual(spec.metadata);
  });

  it('asks for what the live-demo scenario runs (queues default,high, 8 per worker, at most 12) with drain scale-in and pre-warming', () => {
    const parsed = parseScalerMetadata(printed.spec.triggers[0]!.metadata, new Set(['default']));
    expect(parsed.unknownKeys).toEqual([]);
    expect(parsed.spec).toMatchObject({ queues: ['default', 'high'], workerConcurrency: 8, maxReplicaCount: 12, scaleIn: { policy: 'drain', podSelector: 'component=worker,release=airflow' } });
    // The scenario's 120 s lead is the demo's time; the service keeps wall-clock time: 6 s at ×20.
    expect(parsed.spec.prewarm).toEqual({ mode: 'schedule', leadMs: 6_000, historyRuns: 5 });
    expect(scaledObjectYaml(spec)).toContain("prewarmLeadSeconds: \"6\"        # wall-clock: 120 s of the demo's time at ×20");
  });

  it('keeps a lead of at least a second however fast the demo runs', () => {
    expect(realLeadSeconds(120, 20)).toBe(6);
    expect(realLeadSeconds(120, 1000)).toBe(1);
    expect(realLeadSeconds(120, 1)).toBe(120);
  });
});
