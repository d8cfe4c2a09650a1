/** Prometheus metric names, in one place so dashboards, alerts and docs agree with the code. */
export const PROM_PREFIX = 'airflow_keda_scaler_';

export const PromMetric = {
  workerSetTasks: `${PROM_PREFIX}worker_set_tasks`,
  workerSetDesiredWorkers: `${PROM_PREFIX}worker_set_desired_workers`,
  workerSetClamped: `${PROM_PREFIX}worker_set_clamped`,
  workerSetsTracked: `${PROM_PREFIX}worker_sets_tracked`,
  workerSetForecastTasks: `${PROM_PREFIX}worker_set_forecast_tasks`,
  dueDags: `${PROM_PREFIX}due_dags`,
  forecastAvailable: `${PROM_PREFIX}forecast_available`,
  forecastErrorsTotal: `${PROM_PREFIX}forecast_errors_total`,
  workerSetsOverLimitTotal: `${PROM_PREFIX}worker_sets_over_limit_total`,
  snapshotAgeSeconds: `${PROM_PREFIX}snapshot_age_seconds`,
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
  /** Only in `demo`: the simulated Celery worker pods, by state. */
  demoWorkerPods: `${PROM_PREFIX}demo_worker_pods`,
} as const;
