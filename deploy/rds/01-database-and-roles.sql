-- Airflow's database on RDS PostgreSQL (15 or newer), the Airflow user, and the read-only role of
-- airflow-keda-scaler. Run it once as the RDS master user before the first install; running it
-- again is safe (it creates what is missing and resets the two passwords).
--
--   export AIRFLOW_DB_PASSWORD='...' SCALER_DB_PASSWORD='...'
--   psql "host=<rds-endpoint> port=5432 dbname=postgres user=<master-user> sslmode=verify-full sslrootcert=global-bundle.pem" \
--        -f deploy/rds/01-database-and-roles.sql
--
-- Passwords are read from the environment (psql 15+ \getenv), never from the command line.
-- Other names can be changed with -v: airflow_db (airflow), airflow_user (airflow),
-- scaler_user (airflow_keda_scaler). deploy/install.sh expects scaler_user airflow_keda_scaler.
--
-- The scaler's SELECT on task_instance, dag and dag_run is granted by 02-grant-scaler-select.sql, after Airflow's
-- migrations have created the table (deploy/install.sh runs it in-cluster as a Job).

\set ON_ERROR_STOP on
\set QUIET on

\if :{?airflow_db}
\else
  \set airflow_db airflow
\endif
\if :{?airflow_user}
\else
  \set airflow_user airflow
\endif
\if :{?scaler_user}
\else
  \set scaler_user airflow_keda_scaler
\endif

\set airflow_password ''
\set scaler_password ''
\getenv airflow_password AIRFLOW_DB_PASSWORD
\getenv scaler_password SCALER_DB_PASSWORD
SELECT :'airflow_password' = '' AS airflow_password_missing,
       :'scaler_password' = '' AS scaler_password_missing \gset
\if :airflow_password_missing
  DO $$ BEGIN RAISE EXCEPTION 'AIRFLOW_DB_PASSWORD is not set: export the Airflow user''s password first'; END $$;
\endif
\if :scaler_password_missing
  DO $$ BEGIN RAISE EXCEPTION 'SCALER_DB_PASSWORD is not set: export the scaler user''s password first'; END $$;
\endif

-- Roles. CREATE ROLE has no IF NOT EXISTS; \gexec runs the statement only when it is missing.
SELECT format('CREATE ROLE %I LOGIN', :'airflow_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'airflow_user') \gexec
ALTER ROLE :"airflow_user" WITH LOGIN PASSWORD :'airflow_password';

SELECT format('CREATE ROLE %I LOGIN', :'scaler_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'scaler_user') \gexec
-- One query per second through PgBouncer needs 1-2 connections per scaler pod.
ALTER ROLE :"scaler_user" WITH LOGIN CONNECTION LIMIT 10 PASSWORD :'scaler_password';
-- Belt and braces: even a wrong GRANT could not let the scaler write.
ALTER ROLE :"scaler_user" SET default_transaction_read_only = on;
ALTER ROLE :"scaler_user" SET statement_timeout = '10s';

-- CREATE DATABASE ... OWNER needs membership in the owner role on RDS (the master user is not
-- a superuser); it also lets the master user run 02-grant-scaler-select.sql later.
SELECT format('GRANT %I TO CURRENT_USER', :'airflow_user')
WHERE NOT pg_has_role(CURRENT_USER, :'airflow_user', 'MEMBER') \gexec

SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0 ENCODING %L', :'airflow_db', :'airflow_user', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'airflow_db') \gexec

REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"airflow_db" TO :"airflow_user";
GRANT CONNECT ON DATABASE :"airflow_db" TO :"scaler_user";

\connect :airflow_db

-- PostgreSQL 15+: schema public belongs to the database owner (the Airflow user), which
-- creates Airflow's tables in it. The scaler may look up names in it and nothing else.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"airflow_user";
GRANT USAGE ON SCHEMA public TO :"scaler_user";

\echo 'database, Airflow user and scaler role are ready; grant SELECT on task_instance, dag and dag_run after the migrations (02-grant-scaler-select.sql)'
