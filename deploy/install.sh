#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs Apache Airflow (official Helm chart, pinned 1.19.0) on EKS with RDS behind PgBouncer,
# logs on EFS and DAGs from git, plus airflow-keda-scaler and its ScaledObjects, in one
# idempotent command. README.md "Install on EKS" walks through it.
#
#   deploy/install.sh [--dry-run | --render] [--worker-sets] [--mtls] [--monitoring]
#
# Exit status: 0 done, 1 a tool or the cluster failed, 2 bad input (nothing was changed).
set -euo pipefail
export LC_ALL=C

readonly CHART_VERSION=1.19.0
readonly CHART_REPO_NAME=apache-airflow
readonly CHART_REPO_URL=https://airflow.apache.org
readonly CHART_REF="${CHART_REPO_NAME}/airflow"
readonly KEDA_MIN_VERSION=2.17.0
readonly HELM_MIN_VERSION=3.8.0
readonly KUBECTL_MIN_VERSION=1.27.0
# admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (deploy/base/admission-policy.yaml).
readonly KUBERNETES_MIN_VERSION=1.30.0
readonly SCALER_DB_USER=airflow_keda_scaler
readonly POST_RENDERER_PLUGIN=drop-worker-replicas

# Secrets this script owns (RFC 1123 names; chart-values/values.yaml refers to them).
readonly SECRET_METADATA=airflow-metadata-connection
readonly SECRET_RESULT_BACKEND=airflow-result-backend-connection
readonly SECRET_PGBOUNCER_CONFIG=airflow-pgbouncer-ini
readonly SECRET_PGBOUNCER_STATS=airflow-pgbouncer-stats-connection
readonly SECRET_GIT_SSH=airflow-git-ssh-key
readonly SECRET_FERNET=airflow-fernet
readonly SECRET_API=airflow-api-secret
readonly SECRET_JWT=airflow-jwt
readonly SECRET_SCALER=airflow-keda-scaler-metastore
readonly SECRET_ADMIN=airflow-admin-user
# Not secret: AWS' RDS certificate authorities, mounted into PgBouncer (chart-values/values.yaml).
readonly CONFIGMAP_RDS_CA=airflow-rds-ca-bundle
readonly RDS_CA_PATH=/etc/pgbouncer-rds/rds-ca-bundle.pem
readonly GRANT_JOB=airflow-keda-scaler-grant
readonly GRANT_DEADLINE_SECONDS=360 # the Job's activeDeadlineSeconds (300) plus a minute
# Every object the scaler kustomization applies carries this label; a later run deletes those of
# the pruned kinds that it no longer renders (features left out).
readonly INSTALL_LABEL=airflow-keda-scaler/installed-by
readonly INSTALL_LABEL_VALUE=install.sh

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$SCRIPT_DIR")"
readonly SCRIPT_DIR REPO_DIR

usage() {
  cat <<'USAGE'
Usage: deploy/install.sh [--dry-run | --render]
                         [--worker-sets] [--mtls] [--monitoring]

Installs or upgrades Airflow (chart 1.19.0) and airflow-keda-scaler. Safe to run
again; a feature left out on a later run is removed.

Modes:
  (none)         check, then change the cluster
  --dry-run      check tools, cluster and inputs, print every step and command
                 (secrets masked), change nothing
  --render       print the scaler manifests this install would apply
                 (no cluster, no secrets)
Features:
  --worker-sets  chart-values/values-worker-sets.yaml, a ScaledObject per set
  --mtls         mTLS between KEDA and the scaler (needs cert-manager)
  --monitoring   ServiceMonitor and alert rules (needs the Prometheus Operator)

Inputs, from the environment. A secret NAME may come from the file NAME_FILE.
  AIRFLOW_DB_URL           secret. The Airflow user of deploy/rds/01-*.sql:
      postgresql://USER:PASSWORD@RDS-HOST:5432/DB[?sslmode=verify-ca]
      (sslmode verify-full unless given; URL-encode special characters)
  RDS_CA_BUNDLE_FILE       AWS' RDS CA bundle (global-bundle.pem), PEM:
                           PgBouncer verifies RDS against it
  SCALER_DB_PASSWORD       secret. The scaler's role airflow_keda_scaler
  AIRFLOW_ADMIN_PASSWORD   secret. The UI user "admin", 12+ characters
  GIT_SSH_KEY              secret. The DAG repository's deploy key, without
                           a passphrase
  GIT_KNOWN_HOSTS          known_hosts lines of the git host (ssh-keyscan)
  GIT_REPO                 git@HOST:ORG/REPO.git or
                           ssh://[USER@]HOST[:PORT]/PATH
  SCALER_IMAGE             the scaler image you pushed, REGISTRY/REPO:TAG
                           or REGISTRY/REPO@sha256:DIGEST
Optional:
  AIRFLOW_NAMESPACE (airflow)  AIRFLOW_RELEASE (airflow)  GIT_BRANCH (main)
  KEDA_NAMESPACE (keda)  MONITORING_NAMESPACE (monitoring)
  EFS_FILE_SYSTEM_ID       fs-...: creates StorageClass efs-sc if missing
  UI_TLS_CERTIFICATE_ARN   arn:aws:acm:...: the UI's load balancer serves
                           HTTPS on 443 with this ACM certificate
  GRANT_IMAGE              REGISTRY/REPO@sha256:DIGEST with psql, for the
                           grant Job (default: postgres:17-alpine, pinned)
  HELM_TIMEOUT (20m)       how long helm may take, migrations included
USAGE
}

# ---------------------------------------------------------------------------------------------
# Output. In --render mode stdout carries manifests only, so messages go to stderr.
# ---------------------------------------------------------------------------------------------
exec 3>&1
say() { printf '%s\n' "$*" >&3; }
step_no=0
step() {
  step_no=$((step_no + 1))
  printf '\n[%d] %s\n' "$step_no" "$*" >&3
}
ok() { printf '    ok: %s\n' "$*" >&3; }
note() { printf '    %s\n' "$*" >&3; }
warn() { printf 'warning: %s\n' "$*" >&2; }
fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Shell-quotes a command for display: plain words as they are, anything else in single quotes.
quote_cmd() {
  local out='' arg q="'" esc="'\\''"
  for arg in "$@"; do
    if [[ ! "$arg" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      arg="'${arg//$q/$esc}'"
    fi
    out+="${out:+ }$arg"
  done
  printf '%s' "$out"
}

DRY_RUN=false
RENDER=false
WITH_WORKER_SETS=false
WITH_MTLS=false
WITH_MONITORING=false

# A read-only command: always runs (also in --dry-run). Arguments never hold a secret.
query() {
  printf '    $ %s\n' "$(quote_cmd "$@")" >&3
  "$@"
}

# A command that changes something: printed, and run unless --dry-run.
change() {
  if "$DRY_RUN"; then
    printf '    [dry-run] %s\n' "$(quote_cmd "$@")" >&3
    return 0
  fi
  printf '    $ %s\n' "$(quote_cmd "$@")" >&3
  "$@"
}

# `kubectl create ... --dry-run=client -o yaml | kubectl apply -f -`: create-or-update.
apply_generated() {
  local shown
  shown="$(quote_cmd kubectl "$@" --dry-run=client -o yaml) | kubectl apply -f -"
  if "$DRY_RUN"; then
    printf '    [dry-run] %s\n' "$shown" >&3
    return 0
  fi
  printf '    $ %s\n' "$shown" >&3
  kubectl "$@" --dry-run=client -o yaml | kubectl apply -f -
}

# The parts, in deploy/lib/: reading and checking inputs, checking tools and cluster, the steps.
# shellcheck source=lib/inputs.sh
source "$SCRIPT_DIR/lib/inputs.sh"
# shellcheck source=lib/inputs-more.sh
source "$SCRIPT_DIR/lib/inputs-more.sh"
# shellcheck source=lib/cluster.sh
source "$SCRIPT_DIR/lib/cluster.sh"
# shellcheck source=lib/steps.sh
source "$SCRIPT_DIR/lib/steps.sh"

parse_args() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      --dry-run) DRY_RUN=true ;;
      --render) RENDER=true ;;
      --worker-sets) WITH_WORKER_SETS=true ;;
      --mtls) WITH_MTLS=true ;;
      --monitoring) WITH_MONITORING=true ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        printf 'error: unknown argument "%s"\n\n' "$arg" >&2
        usage >&2
        exit 2
        ;;
    esac
  done
  if "$DRY_RUN" && "$RENDER"; then
    printf 'error: --dry-run and --render cannot be combined\n' >&2
    exit 2
  fi
  if "$RENDER"; then
    exec 3>&2
  fi
}

main() {
  parse_args "$@"
  if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
    printf 'error: bash >= 4.4 is needed (found %s); on macOS: brew install bash\n' "$BASH_VERSION" >&2
    exit 2
  fi
  validate_inputs
  report_problems

  make_work_dir
  write_scaler_kustomization
  if "$RENDER"; then
    command -v kubectl >/dev/null 2>&1 || fail "kubectl not found on PATH"
    kubectl kustomize "$SCALER_KUSTOMIZATION"
    return 0
  fi
  write_grant_kustomization

  if "$DRY_RUN"; then
    say "Dry run: commands that would change something are shown as [dry-run], not run."
  fi
  say "Release $RELEASE in namespace $NAMESPACE, chart $CHART_REF $CHART_VERSION$("$WITH_WORKER_SETS" && printf ', worker sets')$("$WITH_MTLS" && printf ', mTLS')$("$WITH_MONITORING" && printf ', monitoring')"

  check_tools
  check_cluster
  create_namespace
  create_storage_classes
  create_secrets
  install_chart
  wait_for_airflow
  grant_scaler
  install_scaler
  summary
}

main "$@"
