import { DISTRIBUTION_SPEC_HELP } from './input/distribution-spec.js';

/** Replications per configuration when `--replications` is not given (see the README's Simulator section). */
export const DEFAULT_REPLICATIONS = 20;

/** Exit status when `--slo-p95` is given and no configuration meets it. */
export const EXIT_NO_CONFIGURATION = 3;

export const SIMULATE_USAGE = `Usage: airflow-keda-scaler simulate (--scenario FILE | --trace FILE.csv) [options]

Replays a workload through a model of Celery workers, KEDA and the HPA, in virtual time, and
reports queue wait, cost, killed tasks and scaling for each configuration. Each configuration
runs --replications times, each with its own random phases of KEDA's poll and the HPA's sync
(as a cluster has them) and its own random draws; figures are means with 95 % intervals.

Workload:
  --scenario FILE                   YAML scenario (arrival processes per queue, or trace: FILE,
                                    plus settings); examples in src/sim/scenarios/
  --trace FILE.csv                  CSV with a header and queue,queued_at,duration_seconds,
                                    optionally dag_id,run_id,run_type,run_after (the tasks'
                                    DAG runs; see airflow-keda-scaler export-trace)
  --queues LIST                     comma-separated queues the workers serve (default: all)

ScaledObject and workers (override the scenario; defaults are KEDA's, Kubernetes', the
Airflow chart's and Airflow's):
  --polling-interval S              pollingInterval (30)
  --cooldown-period S               cooldownPeriod (300)
  --initial-cooldown-period S       initialCooldownPeriod (0)
  --min-replica-count N             minReplicaCount (0); old name --min-replicas
  --max-replica-count N             maxReplicaCount (100); old name --max-replicas
  --push                            trigger type external-push instead of external
  --scale-in POLICY                 the scaler's scaleIn: off (the ReplicaSet picks the pods to
                                    remove), rank (idle and least loaded first) or drain (busy
                                    surplus workers stop consuming, go once idle); default off
  --prewarm                         prewarm: schedule: count, ahead of their due time, the first
                                    wave of scheduled runs about to start (the workload's runs:
                                    trace run columns, or scenario bursts); default off
  --prewarm-lead-seconds S          prewarmLeadSeconds (120)
  --prewarm-history-runs N          prewarmHistoryRuns (5): past scheduled runs sizing a forecast
  --worker-concurrency N            Celery worker_concurrency (16)
  --pod-startup DIST                pod creation to a ready worker (30): ${DISTRIBUTION_SPEC_HELP}
                                    (e.g. lognormal:median=40s:sigma=0.3); old name
                                    --pod-startup-seconds
  --termination-grace-period-seconds S
                                    terminationGracePeriodSeconds (600); old name
                                    --termination-grace-seconds
  --pods-per-node N                 nodes come and go with the pods (Cluster Autoscaler,
                                    Karpenter): a pod that finds no room waits for a new node
                                    of N pods; off by default
  --node-startup DIST               time for a new node to be ready (90)
  --empty-node-seconds S            an empty node goes after S (600, Cluster Autoscaler's
                                    --scale-down-unneeded-time)

Airflow (killed tasks stay running until the heartbeat timeout, then retry if they may):
  --retries N                       retries of a killed task (0, [core] default_task_retries)
  --retry-delay S                   retry_delay (300)
  --task-heartbeat-timeout S        [scheduler] task_instance_heartbeat_timeout (300)

Runs:
  --replications N                  replications per configuration (${DEFAULT_REPLICATIONS}); 1 gives no intervals
  --seed N                          random seed (1); the same seed gives the same output,
                                    whatever --threads
  --threads N                       worker threads (default: all cores)

Sweep and decision:
  --sweep KEY=V1,V2,... [KEY=V1,...]
                                    run every combination. KEY is a ScaledObject or worker
                                    setting: pollingInterval, cooldownPeriod, minReplicaCount,
                                    maxReplicaCount, stabilizationWindowSeconds (HPA
                                    behavior.scaleDown), workerConcurrency, podStartup,
                                    terminationGracePeriodSeconds, trigger (external,
                                    external-push), scaleIn (off, rank, drain), prewarm
                                    (off, schedule), prewarmLeadSeconds. Old keys
                                    polling, cooldown, min, max, stabilization, concurrency,
                                    startup, grace and push (0/1) still work. The current
                                    configuration is always one of the runs.
  --slo-p95 S                       recommend the cheapest configuration whose p95 queue wait
                                    is within S seconds with 95 % confidence and that kills no
                                    task; ties on cost go to the longer pollingInterval, then
                                    fewer scale events. When none does, it says what limits p95
                                    and which configuration comes nearest, and exits 3.
  --allow-killed                    let configurations that kill tasks at scale-in qualify

Compare:
  --compare-scale-in                run the configuration once per scale-in policy (off, rank,
                                    drain) and print them side by side (not with --sweep,
                                    --slo-p95 or --scale-in)

Output:
  --json                            one JSON document instead of the table
  --report FILE.html                also write a self-contained HTML report with charts

Exit status: 0 done; 2 bad input (every problem is named); 3 no configuration meets --slo-p95.
`;
