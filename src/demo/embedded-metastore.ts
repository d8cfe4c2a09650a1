import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

import type { Logger } from '../core/ports.js';
import { DAG_TABLES_DDL_AIRFLOW_3, TASK_INSTANCE_DDL_AIRFLOW_3 } from './airflow-schema.js';

export interface EmbeddedMetastore {
  /** postgresql:// URL of the socket server; the scaler reaches it with the same pg code as RDS. */
  readonly url: string;
  /** Runs SQL in-process, as Airflow's scheduler and workers would over their own connections. */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * An in-process PostgreSQL (PGlite) holding Airflow's task_instance, dag and dag_run tables
 * (Airflow 3's shape), served on a real loopback socket, so `npm start` needs no database and
 * still runs the production query path, pre-warming's reads included.
 */
export async function startEmbeddedMetastore(logger: Logger): Promise<EmbeddedMetastore> {
  const db = await PGlite.create();
  await db.exec(TASK_INSTANCE_DDL_AIRFLOW_3);
  await db.exec(DAG_TABLES_DDL_AIRFLOW_3);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  server.addEventListener('error', (event) => {
    logger.warn({ err: String((event as CustomEvent).detail) }, 'embedded metastore error');
  });
  await server.start();
  return {
    url: `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await db.query<T>(sql, [...params])).rows,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
