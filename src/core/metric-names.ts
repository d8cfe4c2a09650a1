/** Prometheus metric names, in one place so dashboards, alerts and docs agree with the code. */
export const PROM_PREFIX = 'airflow_keda_scaler_';

export const PromMetric = {
  buildInfo: `${PROM_PREFIX}build_info`,
  workerSetInfo: `${PROM_PREFIX}worker_set_info`,
  workerSetTasks: `${PROM_PREFIX}worker_set_tasks`,
  /** What the formula asks for, clamp(ceil((queued + running) / workerConcurrency), min, max). */
  workerSetFormulaWorkers: `${PROM_PREFIX}worker_set_formula_workers`,
  /** What the last GetMetrics answer told KEDA (the formula, or more while scale-in drains). */
  workerSetReportedWorkers: `${PROM_PREFIX}worker_set_reported_workers`,
  workerSetLastRequestTimestamp: `${PROM_PREFIX}worker_set_last_request_timestamp_seconds`,
  workerSetClamped: `${PROM_PREFIX}worker_set_clamped`,
  workerSetsTracked: `${PROM_PREFIX}worker_sets_tracked`,
  workerSetForecastTasks: `${PROM_PREFIX}worker_set_forecast_tasks`,
  dueDags: `${PROM_PREFIX}due_dags`,
  forecastAvailable: `${PROM_PREFIX}forecast_available`,
  forecastErrorsTotal: `${PROM_PREFIX}forecast_errors_total`,
  workerSetsOverLimitTotal: `${PROM_PREFIX}worker_sets_over_limit_total`,
  queueTasks: `${PROM_PREFIX}queue_tasks`,
  queueOldestQueuedTaskAge: `${PROM_PREFIX}queue_oldest_queued_task_age_seconds`,
  snapshotAgeSeconds: `${PROM_PREFIX}snapshot_age_seconds`,
  lastSuccessfulReadTimestamp: `${PROM_PREFIX}last_successful_read_timestamp_seconds`,
  snapshotFresh: `${PROM_PREFIX}snapshot_fresh`,
  pollDurationSeconds: `${PROM_PREFIX}poll_duration_seconds`,
  pollErrorsTotal: `${PROM_PREFIX}poll_errors_total`,
  grpcRequestsTotal: `${PROM_PREFIX}grpc_requests_total`,
  grpcRequestDurationSeconds: `${PROM_PREFIX}grpc_request_duration_seconds`,
  openStreams: `${PROM_PREFIX}open_streams`,
  pushEventsTotal: `${PROM_PREFIX}push_events_total`,
  scaleInWorkers: `${PROM_PREFIX}scale_in_workers`,
  scaleInReportedWorkers: `${PROM_PREFIX}scale_in_reported_workers`,
  scaleInDrainsTotal: `${PROM_PREFIX}scale_in_drains_total`,
  scaleInRestoresTotal: `${PROM_PREFIX}scale_in_restores_total`,
  scaleInPatchesTotal: `${PROM_PREFIX}scale_in_deletion_cost_patches_total`,
  scaleInFailuresTotal: `${PROM_PREFIX}scale_in_failures_total`,
  scaleInCapability: `${PROM_PREFIX}scale_in_capability`,
  scaleInLeader: `${PROM_PREFIX}scale_in_leader`,
  scaleInTargetsOverLimitTotal: `${PROM_PREFIX}scale_in_targets_over_limit_total`,
  /** Only in `demo`: the simulated Celery worker pods, by state. */
  demoWorkerPods: `${PROM_PREFIX}demo_worker_pods`,
} as const;
