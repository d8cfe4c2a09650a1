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

/**
 * DDL of Airflow's `dag` and `dag_run` as pre-warming reads them (core/prewarm.ts): the columns it
 * uses and every index and unique key Airflow defines on them, with Airflow's names and types
 * (airflow-core models/dag.py DagModel and models/dagrun.py DagRun). No foreign keys, so they
 * load in any order beside task_instance.
 */

/** Airflow 3.x: `dag.is_stale`, `dag_run.logical_date` (NULLable since AIP-83) and `run_after`. */
export const DAG_TABLES_DDL_AIRFLOW_3 = `CREATE TABLE dag (
    dag_id                   VARCHAR(250)             NOT NULL,
    is_paused                BOOLEAN,
    is_stale                 BOOLEAN                  NOT NULL,
    timetable_summary        TEXT,
    timetable_description    VARCHAR(1000),
    max_active_tasks         INTEGER                  NOT NULL,
    max_active_runs          INTEGER,
    has_import_errors        BOOLEAN                  DEFAULT false,
    next_dagrun              TIMESTAMP WITH TIME ZONE,
    next_dagrun_create_after TIMESTAMP WITH TIME ZONE,
    CONSTRAINT dag_pkey PRIMARY KEY (dag_id)
);
CREATE INDEX idx_next_dagrun_create_after ON dag (next_dagrun_create_after);

CREATE TABLE dag_run (
    id                  SERIAL                   NOT NULL,
    dag_id              VARCHAR(250)             NOT NULL,
    queued_at           TIMESTAMP WITH TIME ZONE,
    logical_date        TIMESTAMP WITH TIME ZONE,
    start_date          TIMESTAMP WITH TIME ZONE,
    end_date            TIMESTAMP WITH TIME ZONE,
    state               VARCHAR(50),
    run_id              VARCHAR(250)             NOT NULL,
    run_type            VARCHAR(50)              NOT NULL,
    data_interval_start TIMESTAMP WITH TIME ZONE,
    data_interval_end   TIMESTAMP WITH TIME ZONE,
    run_after           TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT dag_run_pkey PRIMARY KEY (id),
    CONSTRAINT dag_run_dag_id_run_id_key UNIQUE (dag_id, run_id),
    CONSTRAINT dag_run_dag_id_logical_date_key UNIQUE (dag_id, logical_date)
);
CREATE INDEX dag_id_state             ON dag_run (dag_id, state);
CREATE INDEX idx_dag_run_dag_id       ON dag_run (dag_id);
CREATE INDEX idx_dag_run_run_after    ON dag_run (run_after);
CREATE INDEX idx_dag_run_running_dags ON dag_run (state, dag_id) WHERE state='running';
CREATE INDEX idx_dag_run_queued_dags  ON dag_run (state, dag_id) WHERE state='queued';`;

/** Airflow 2.10 / 2.11: `dag.is_active` (inverted), `dag_run.execution_date` NOT NULL, no run_after. */
export const DAG_TABLES_DDL_AIRFLOW_2_10 = `CREATE TABLE dag (
    dag_id                   VARCHAR(250)             NOT NULL,
    root_dag_id              VARCHAR(250),
    is_paused                BOOLEAN,
    is_active                BOOLEAN,
    schedule_interval        TEXT,
    timetable_description    VARCHAR(1000),
    max_active_tasks         INTEGER                  NOT NULL,
    max_active_runs          INTEGER,
    has_import_errors        BOOLEAN                  DEFAULT false,
    next_dagrun              TIMESTAMP WITH TIME ZONE,
    next_dagrun_create_after TIMESTAMP WITH TIME ZONE,
    CONSTRAINT dag_pkey PRIMARY KEY (dag_id)
);
CREATE INDEX idx_root_dag_id              ON dag (root_dag_id);
CREATE INDEX idx_next_dagrun_create_after ON dag (next_dagrun_create_after);

CREATE TABLE dag_run (
    id                  SERIAL                   NOT NULL,
    dag_id              VARCHAR(250)             NOT NULL,
    queued_at           TIMESTAMP WITH TIME ZONE,
    execution_date      TIMESTAMP WITH TIME ZONE NOT NULL,
    start_date          TIMESTAMP WITH TIME ZONE,
    end_date            TIMESTAMP WITH TIME ZONE,
    state               VARCHAR(50),
    run_id              VARCHAR(250)             NOT NULL,
    run_type            VARCHAR(50)              NOT NULL,
    data_interval_start TIMESTAMP WITH TIME ZONE,
    data_interval_end   TIMESTAMP WITH TIME ZONE,
    CONSTRAINT dag_run_pkey PRIMARY KEY (id),
    CONSTRAINT dag_run_dag_id_execution_date_key UNIQUE (dag_id, execution_date),
    CONSTRAINT dag_run_dag_id_run_id_key UNIQUE (dag_id, run_id)
);
CREATE INDEX dag_id_state             ON dag_run (dag_id, state);
CREATE INDEX idx_dag_run_dag_id       ON dag_run (dag_id);
CREATE INDEX idx_dag_run_running_dags ON dag_run (state, dag_id) WHERE state='running';
CREATE INDEX idx_dag_run_queued_dags  ON dag_run (state, dag_id) WHERE state='queued';`;
