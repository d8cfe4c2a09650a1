-- Lets the scaler's role read the tables it queries, and nothing else: task_instance (the tick's
-- task counts), dag and dag_run (pre-warming: which DAGs are due soon, and their last runs).
-- Run it after Airflow's migrations have created them, as the Airflow user (the tables'
-- owner) or the RDS master user. deploy/install.sh runs it in-cluster after `helm upgrade
-- --install` (Job airflow-keda-scaler-grant, through PgBouncer). Running it again is safe.
--
--   psql "postgresql://airflow@<host>:5432/airflow?sslmode=verify-full&sslrootcert=global-bundle.pem" -f deploy/rds/02-grant-scaler-select.sql

\set ON_ERROR_STOP on
\set QUIET on

\if :{?scaler_user}
\else
  \set scaler_user airflow_keda_scaler
\endif

SELECT to_regclass('public.task_instance') IS NULL OR to_regclass('public.dag') IS NULL OR to_regclass('public.dag_run') IS NULL AS tables_missing \gset
\if :tables_missing
  DO $$ BEGIN RAISE EXCEPTION 'table task_instance, dag or dag_run does not exist yet: run this after Airflow''s database migrations'; END $$;
\endif

-- Exactly SELECT on these three: first drop anything granted on the other tables (connection,
-- variable and the like hold credentials).
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"scaler_user";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"scaler_user";
GRANT SELECT ON TABLE public.task_instance, public.dag, public.dag_run TO :"scaler_user";

\echo 'scaler role can read task_instance, dag and dag_run'
