/**
 * DDL of Airflow's `task_instance` as the scaler reads it: the columns it uses and every index
 * Airflow defines on the table, with Airflow's own names and types. Used by the demo's embedded
 * metastore and by the integration tests, so both exercise the same shape and the same indexes.
 */

/** Airflow 3.0 – 3.2 (UUID primary key, last_heartbeat_at, executor). */
export const TASK_INSTANCE_DDL_AIRFLOW_3 = `CREATE TABLE task_instance (
    id                UUID                     NOT NULL,
    task_id           VARCHAR(250)             NOT NULL,
    dag_id            VARCHAR(250)             NOT NULL,
    run_id            VARCHAR(250)             NOT NULL,
    map_index         INTEGER                  NOT NULL DEFAULT -1,
    start_date        TIMESTAMP WITH TIME ZONE,
    end_date          TIMESTAMP WITH TIME ZONE,
    state             VARCHAR(20),             -- NULL = "no status"; see TaskInstanceState
    try_number        INTEGER,
    max_tries         INTEGER                  DEFAULT -1,
    hostname          VARCHAR(1000),           -- worker hostname ([core] hostname_callable), set when running
    pool              VARCHAR(256)             NOT NULL,
    pool_slots        INTEGER                  NOT NULL,
    queue             VARCHAR(256),            -- Celery queue; default [operators] default_queue = 'default'
    priority_weight   INTEGER,
    queued_dttm       TIMESTAMP WITH TIME ZONE,
    queued_by_job_id  INTEGER,
    last_heartbeat_at TIMESTAMP WITH TIME ZONE, -- 3.0+ (replaces job_id)
    executor          VARCHAR(1000),           -- 2.10+; NULL = the default (first configured) executor
    trigger_id        INTEGER,
    updated_at        TIMESTAMP WITH TIME ZONE,
    CONSTRAINT task_instance_pkey PRIMARY KEY (id),
    CONSTRAINT task_instance_composite_key UNIQUE (dag_id, task_id, run_id, map_index)
);

CREATE INDEX ti_dag_state  ON task_instance (dag_id, state);
CREATE INDEX ti_dag_run    ON task_instance (dag_id, run_id);
CREATE INDEX ti_state      ON task_instance (state);
CREATE INDEX ti_state_lkp  ON task_instance (dag_id, task_id, run_id, state);
CREATE INDEX ti_pool       ON task_instance (pool, state, priority_weight);
CREATE INDEX ti_trigger_id ON task_instance (trigger_id);
CREATE INDEX ti_heartbeat  ON task_instance (last_heartbeat_at);`;

/** Airflow 2.10 / 2.11 (composite primary key, job_id). */
export const TASK_INSTANCE_DDL_AIRFLOW_2_10 = `CREATE TABLE task_instance (
    task_id          VARCHAR(250)  NOT NULL,
    dag_id           VARCHAR(250)  NOT NULL,
    run_id           VARCHAR(250)  NOT NULL,
    map_index        INTEGER       NOT NULL DEFAULT -1,
    start_date       TIMESTAMP WITH TIME ZONE,
    end_date         TIMESTAMP WITH TIME ZONE,
    state            VARCHAR(20),
    try_number       INTEGER,
    max_tries        INTEGER       DEFAULT -1,
    hostname         VARCHAR(1000),
    job_id           INTEGER,
    pool             VARCHAR(256)  NOT NULL,
    pool_slots       INTEGER       NOT NULL,
    queue            VARCHAR(256),
    priority_weight  INTEGER,
    queued_dttm      TIMESTAMP WITH TIME ZONE,
    queued_by_job_id INTEGER,
    executor         VARCHAR(1000),
    trigger_id       INTEGER,
    updated_at       TIMESTAMP WITH TIME ZONE,
    CONSTRAINT task_instance_pkey PRIMARY KEY (dag_id, task_id, run_id, map_index)
);
CREATE INDEX ti_dag_state  ON task_instance (dag_id, state);
CREATE INDEX ti_dag_run    ON task_instance (dag_id, run_id);
CREATE INDEX ti_state      ON task_instance (state);
CREATE INDEX ti_state_lkp  ON task_instance (dag_id, task_id, run_id, state);
CREATE INDEX ti_pool       ON task_instance (pool, state, priority_weight);
CREATE INDEX ti_job_id     ON task_instance (job_id);
CREATE INDEX ti_trigger_id ON task_instance (trigger_id);`;
