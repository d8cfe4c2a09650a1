import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const CHART_VALUES_DIR = join(REPO_ROOT, 'chart-values');
/** The official Airflow chart 1.19.0, vendored whole (see its PROVENANCE.md). */
export const CHART_FIXTURES = join(REPO_ROOT, 'test/deploy/fixtures/airflow-chart-1.19.0');
/** The scaler's own Helm chart. */
export const SCALER_CHART = join(DEPLOY_DIR, 'chart/airflow-keda-scaler');
