-- Lets the scaler's role read task_instance, the one table it queries, and nothing else.
-- Run it after Airflow's migrations have created the table, as the Airflow user (the table's
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

SELECT to_regclass('public.task_instance') IS NULL AS task_instance_missing \gset
\if :task_instance_missing
  DO $$ BEGIN RAISE EXCEPTION 'table task_instance does not exist yet: run this after Airflow''s database migrations'; END $$;
\endif

-- Exactly SELECT on task_instance: first drop anything granted on the other tables.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"scaler_user";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"scaler_user";
GRANT SELECT ON TABLE public.task_instance TO :"scaler_user";

\echo 'scaler role can read task_instance'
