import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEPLOY_DIR } from '../helpers.js';

/** The dashboard as the monitoring component ships it (the chart holds an identical copy). */
export const DASHBOARD_FILE = join(DEPLOY_DIR, 'components/monitoring/dashboards/airflow-keda-scaler.json');

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly uid?: string };
  readonly legendFormat?: string;
  readonly instant?: boolean;
  readonly format?: string;
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly DashboardTarget[];
  readonly panels?: readonly DashboardPanel[];
}

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly query: string | { readonly query: string };
  readonly includeAll?: boolean;
  readonly allValue?: string;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly DashboardVariable[] };
}

export function loadDashboard(text = readFileSync(DASHBOARD_FILE, 'utf8')): Dashboard {
  return JSON.parse(text) as Dashboard;
}

/** Every query panel with its targets (rows hold none; collapsed rows would nest panels). */
export function queryPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) => (panel.type === 'row' ? [...(panel.panels ?? [])] : [panel]));
}

/** The query text of a variable (Grafana stores it as a string or as { query }). */
export function variableQuery(variable: DashboardVariable): string {
  return typeof variable.query === 'string' ? variable.query : variable.query.query;
}

/**
 * A query as Grafana sends it for one choice of variables: $name / ${name} replaced, and
 * $__rate_interval (Grafana: max(4 × scrape interval, $__interval + scrape interval)) given.
 */
export function interpolate(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{?(__rate_interval|[a-z_]+)\}?/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${whole} in ${expr}`);
    return value;
  });
}
