/** The pgbouncer.ini every test PgBouncer uses: transaction pooling, trust auth, any database. */
export interface PgBouncerIniOptions {
  readonly listenAddr: string;
  readonly port: number;
  readonly postgresHost: string;
  readonly postgresPort: number;
  readonly authFile: string;
  readonly logFile?: string;
  readonly pidFile?: string;
  /** Extra `[databases]` lines (aliases), before the `*` fallback. */
  readonly databases?: readonly string[];
  readonly defaultPoolSize?: number;
}

/** Users the tests connect as; with trust auth PgBouncer still wants them in auth_file. */
export const USERLIST = '"postgres" ""\n"scaler_ro" ""\n';

export function pgbouncerIni(options: PgBouncerIniOptions): string {
  return [
    '[databases]',
    ...(options.databases ?? []),
    `* = host=${options.postgresHost} port=${options.postgresPort}`,
    '[pgbouncer]',
    `listen_addr = ${options.listenAddr}`,
    `listen_port = ${options.port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${options.authFile}`,
    'pool_mode = transaction',
    'admin_users = postgres',
    // The Airflow chart's setting: ignore only what pg drivers send by default.
    'ignore_startup_parameters = extra_float_digits',
    'max_client_conn = 200',
    `default_pool_size = ${options.defaultPoolSize ?? 4}`,
    ...(options.logFile === undefined ? [] : [`logfile = ${options.logFile}`]),
    ...(options.pidFile === undefined ? [] : [`pidfile = ${options.pidFile}`]),
    '',
  ].join('\n');
}
