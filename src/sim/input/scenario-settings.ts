import type { HpaScalingPolicy, PartialHpaBehavior, PartialScalingRules, SelectPolicy } from '../../core/hpa-behavior.js';
import { defaultBehavior } from '../../core/hpa-behavior.js';
import type { PrewarmMode } from '../../core/prewarm.js';
import { MAX_PREWARM_HISTORY_RUNS, MAX_PREWARM_LEAD_SECONDS, PREWARM_MODES } from '../../core/prewarm.js';
import type { SimConfig, TriggerType } from '../model/config.js';
import { COMPARED_SCALE_IN_POLICIES, SCALE_IN_POLICY_ALIASES, SETTING_BOUNDS, scaleInPolicyNamed } from '../model/config.js';
import type { NodeProvisioning } from '../model/nodes.js';
import type { Path, ScenarioReader } from './reader.js';

/** Reads the optional settings sections into config overrides. */
export function readSettings(r: ScenarioReader, doc: Record<string, unknown>): Partial<SimConfig> {
  const settings: Record<string, unknown> = {};
  const set = (key: keyof SimConfig, value: unknown): void => {
    if (value !== null && value !== undefined) settings[key] = value;
  };
  if (doc['seed'] !== undefined) set('seed', r.number(['seed'], doc['seed'], { min: 0, max: 4294967295, integer: true }));

  if (doc['workers'] !== undefined) {
    const w = r.mapping(['workers'], doc['workers'], ['concurrency', 'startup', 'terminationGracePeriodSeconds', 'scaleIn', 'initialReplicas', 'nodes']);
    if (w !== undefined) {
      if (w['concurrency'] !== undefined) set('workerConcurrency', r.number(['workers', 'concurrency'], w['concurrency'], { ...SETTING_BOUNDS.workerConcurrency, integer: true }));
      if (w['startup'] !== undefined) set('podStartup', r.distribution(['workers', 'startup'], w['startup']));
      if (w['terminationGracePeriodSeconds'] !== undefined) {
        set('terminationGracePeriodSeconds', r.duration(['workers', 'terminationGracePeriodSeconds'], w['terminationGracePeriodSeconds']));
      }
      if (w['scaleIn'] !== undefined) {
        const named = typeof w['scaleIn'] === 'string' ? scaleInPolicyNamed(w['scaleIn']) : null;
        if (named !== null) set('scaleInPolicy', named);
        else r.problem(['workers', 'scaleIn'], w['scaleIn'], `must be one of ${COMPARED_SCALE_IN_POLICIES.join(', ')} (or the old names ${Object.keys(SCALE_IN_POLICY_ALIASES).join(', ')})`);
      }
      if (w['initialReplicas'] !== undefined) set('initialReplicas', r.number(['workers', 'initialReplicas'], w['initialReplicas'], { ...SETTING_BOUNDS.initialReplicas, integer: true }));
      if (w['nodes'] !== undefined) set('nodes', readNodes(r, w['nodes']));
    }
  }

  if (doc['airflow'] !== undefined) {
    const a = r.mapping(['airflow'], doc['airflow'], ['retries', 'retryDelay', 'taskInstanceHeartbeatTimeout']);
    if (a !== undefined) {
      if (a['retries'] !== undefined) set('retries', r.number(['airflow', 'retries'], a['retries'], { min: 0, max: 100, integer: true }));
      if (a['retryDelay'] !== undefined) set('retryDelaySeconds', r.duration(['airflow', 'retryDelay'], a['retryDelay'], { min: 0, max: 86_400 }));
      if (a['taskInstanceHeartbeatTimeout'] !== undefined) {
        set('taskHeartbeatTimeoutSeconds', r.duration(['airflow', 'taskInstanceHeartbeatTimeout'], a['taskInstanceHeartbeatTimeout'], { min: 1, max: 86_400 }));
      }
    }
  }

  if (doc['scaledObject'] !== undefined) {
    const so = r.mapping(['scaledObject'], doc['scaledObject'], [
      'pollingInterval', 'cooldownPeriod', 'initialCooldownPeriod', 'minReplicaCount', 'maxReplicaCount',
      'trigger', 'useCachedMetrics', 'queues', 'activationThreshold', 'behavior', 'prewarm', 'prewarmLeadSeconds', 'prewarmHistoryRuns',
    ]);
    if (so !== undefined) {
      const int = (key: string, min: number, max: number): number | undefined => r.number(['scaledObject', key], so[key], { min, max, integer: true });
      const setting = (key: keyof typeof SETTING_BOUNDS): number | undefined => int(key, SETTING_BOUNDS[key].min, SETTING_BOUNDS[key].max);
      if (so['pollingInterval'] !== undefined) set('pollingInterval', setting('pollingInterval'));
      if (so['cooldownPeriod'] !== undefined) set('cooldownPeriod', setting('cooldownPeriod'));
      if (so['initialCooldownPeriod'] !== undefined) set('initialCooldownPeriod', setting('initialCooldownPeriod'));
      if (so['minReplicaCount'] !== undefined) set('minReplicaCount', setting('minReplicaCount'));
      if (so['maxReplicaCount'] !== undefined) set('maxReplicaCount', setting('maxReplicaCount'));
      if (so['activationThreshold'] !== undefined) set('activationThreshold', int('activationThreshold', 0, 1_000_000));
      if (so['trigger'] !== undefined) set('trigger', r.oneOf<TriggerType>(['scaledObject', 'trigger'], so['trigger'], ['external', 'external-push']));
      if (so['useCachedMetrics'] !== undefined) set('useCachedMetrics', r.boolean(['scaledObject', 'useCachedMetrics'], so['useCachedMetrics']));
      if (so['queues'] !== undefined) {
        const queues = so['queues'];
        if (!Array.isArray(queues) || queues.length === 0 || queues.some((q) => typeof q !== 'string' || q.length === 0)) {
          r.problem(['scaledObject', 'queues'], queues, 'must be a non-empty list of queue names');
        } else set('queues', [...new Set(queues as string[])].sort());
      }
      if (so['behavior'] !== undefined) set('hpaBehavior', readBehavior(r, ['scaledObject', 'behavior'], so['behavior']));
      // Trigger metadata keys of the scaler, with its bounds (core/metadata.ts).
      if (so['prewarm'] !== undefined) set('prewarm', r.oneOf<PrewarmMode>(['scaledObject', 'prewarm'], so['prewarm'], PREWARM_MODES));
      if (so['prewarmLeadSeconds'] !== undefined) set('prewarmLeadSeconds', int('prewarmLeadSeconds', 1, MAX_PREWARM_LEAD_SECONDS));
      if (so['prewarmHistoryRuns'] !== undefined) set('prewarmHistoryRuns', int('prewarmHistoryRuns', 1, MAX_PREWARM_HISTORY_RUNS));
    }
  }

  if (doc['simulation'] !== undefined) {
    const s = r.mapping(['simulation'], doc['simulation'], [
      'hpaSyncPeriodSeconds', 'hpaSyncOffsetSeconds', 'kedaPollOffsetSeconds', 'scalerTickOffsetSeconds', 'hpaTolerance', 'scalerTickSeconds',
      'retryDelaySeconds', 'sampleSeconds',
    ]);
    if (s !== undefined) {
      if (s['hpaSyncPeriodSeconds'] !== undefined) set('hpaSyncPeriodSeconds', r.duration(['simulation', 'hpaSyncPeriodSeconds'], s['hpaSyncPeriodSeconds'], { min: 0, exclusiveMin: true }));
      // Fixed phases (the default draws them per replication); configProblems bounds them by their period.
      if (s['hpaSyncOffsetSeconds'] !== undefined) set('hpaSyncOffsetSeconds', r.duration(['simulation', 'hpaSyncOffsetSeconds'], s['hpaSyncOffsetSeconds'], { min: 0, max: 3600 }));
      if (s['kedaPollOffsetSeconds'] !== undefined) set('kedaPollOffsetSeconds', r.duration(['simulation', 'kedaPollOffsetSeconds'], s['kedaPollOffsetSeconds'], { min: 0, max: 86_400 }));
      if (s['scalerTickOffsetSeconds'] !== undefined) set('scalerTickOffsetSeconds', r.duration(['simulation', 'scalerTickOffsetSeconds'], s['scalerTickOffsetSeconds'], { min: 0, max: 3600 }));
      if (s['hpaTolerance'] !== undefined) set('hpaTolerance', r.number(['simulation', 'hpaTolerance'], s['hpaTolerance'], { min: 0, max: 1 }));
      if (s['scalerTickSeconds'] !== undefined) set('scalerTickSeconds', r.duration(['simulation', 'scalerTickSeconds'], s['scalerTickSeconds'], { min: 0, exclusiveMin: true }));
      // Earlier home of airflow.retryDelay; still read.
      if (s['retryDelaySeconds'] !== undefined) set('retryDelaySeconds', r.duration(['simulation', 'retryDelaySeconds'], s['retryDelaySeconds'], { min: 0, max: 86_400 }));
      if (s['sampleSeconds'] !== undefined) set('sampleSeconds', r.duration(['simulation', 'sampleSeconds'], s['sampleSeconds'], { min: 0, exclusiveMin: true }));
    }
  }
  return settings;
}

/** `workers.nodes`: node provisioning (Cluster Autoscaler, Karpenter); see model/nodes.ts. */
function readNodes(r: ScenarioReader, value: unknown): NodeProvisioning | undefined {
  const n = r.mapping(['workers', 'nodes'], value, ['podsPerNode', 'startup', 'emptyNodeSeconds']);
  if (n === undefined) return undefined;
  const podsPerNode = r.number(['workers', 'nodes', 'podsPerNode'], n['podsPerNode'], { min: 1, max: 1000, integer: true });
  const startup = n['startup'] === undefined ? { distribution: 'fixed' as const, seconds: 90 } : r.distribution(['workers', 'nodes', 'startup'], n['startup']);
  const empty = n['emptyNodeSeconds'] === undefined ? 600 : r.duration(['workers', 'nodes', 'emptyNodeSeconds'], n['emptyNodeSeconds'], { min: 0, max: 86_400 });
  if (podsPerNode === undefined || startup === undefined || empty === undefined) return undefined;
  return { podsPerNode, startup, emptyNodeSeconds: empty };
}

/** `advanced.horizontalPodAutoscalerConfig.behavior`; missing fields get Kubernetes defaults. */
function readBehavior(r: ScenarioReader, path: Path, value: unknown): ReturnType<typeof defaultBehavior> | null {
  if (value === null) return null;
  const record = r.mapping(path, value, ['scaleUp', 'scaleDown']);
  if (record === undefined) return null;
  const rules = (key: 'scaleUp' | 'scaleDown'): PartialScalingRules | undefined => {
    const raw = record[key];
    if (raw === undefined) return undefined;
    const p = [...path, key];
    const body = r.mapping(p, raw, ['stabilizationWindowSeconds', 'selectPolicy', 'policies']);
    if (body === undefined) return undefined;
    const out: { stabilizationWindowSeconds?: number; selectPolicy?: SelectPolicy; policies?: HpaScalingPolicy[] } = {};
    if (body['stabilizationWindowSeconds'] !== undefined) {
      const v = r.number([...p, 'stabilizationWindowSeconds'], body['stabilizationWindowSeconds'], { min: 0, max: 3600, integer: true });
      if (v !== undefined) out.stabilizationWindowSeconds = v;
    }
    if (body['selectPolicy'] !== undefined) {
      const v = r.oneOf<SelectPolicy>([...p, 'selectPolicy'], body['selectPolicy'], ['Max', 'Min', 'Disabled']);
      if (v !== undefined) out.selectPolicy = v;
    }
    if (body['policies'] !== undefined) {
      const list = body['policies'];
      if (!Array.isArray(list) || list.length === 0) r.problem([...p, 'policies'], list, 'must be a non-empty list');
      else {
        out.policies = [];
        list.forEach((item, i) => {
          const pp = [...p, 'policies', i];
          const policy = r.mapping(pp, item, ['type', 'value', 'periodSeconds']);
          if (policy === undefined) return;
          const type = r.oneOf([...pp, 'type'], policy['type'], ['Pods', 'Percent'] as const);
          const v = r.number([...pp, 'value'], policy['value'], { min: 1, max: 100_000, integer: true });
          const period = r.number([...pp, 'periodSeconds'], policy['periodSeconds'], { min: 1, max: 1800, integer: true });
          if (type !== undefined && v !== undefined && period !== undefined) out.policies?.push({ type, value: v, periodSeconds: period });
        });
      }
    }
    return out;
  };
  const partial: PartialHpaBehavior = { scaleUp: rules('scaleUp'), scaleDown: rules('scaleDown') };
  return defaultBehavior(partial);
}
