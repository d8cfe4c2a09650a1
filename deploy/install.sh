#!/usr/bin/env bash
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

# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
problems=()
problem() { problems+=("$*"); }

# The value of NAME, else the contents of the file named by NAME_FILE (trailing newlines
# dropped, as $(...) does), else empty. Returns 3 when NAME_FILE cannot be read.
read_input() {
  local name=$1 file_var="${1}_FILE"
  if [[ -n "${!name:-}" ]]; then
    printf '%s' "${!name}"
  elif [[ -n "${!file_var:-}" ]]; then
    if [[ ! -r "${!file_var}" || -d "${!file_var}" ]]; then
      return 3
    fi
    printf '%s' "$(cat -- "${!file_var}")"
  fi
}

# Sets the global named by $2 from input $1; records a problem when required and missing, or
# longer than $4 characters.
load_input() {
  local name=$1 target=$2 required=$3 max=$4 file_var="${1}_FILE" value='' rc=0
  value="$(read_input "$name")" || rc=$?
  if ((rc != 0)); then
    problem "$file_var=\"${!file_var}\": cannot read that file"
    value=''
  elif [[ -z "$value" && "$required" == required ]]; then
    problem "$name is not set (set $name, or $file_var to a file holding it)"
  elif ((${#value} > max)); then
    problem "$name is longer than $max characters (value not shown)"
    value=''
  fi
  printf -v "$target" '%s' "$value"
}

has_control_chars() { [[ "$1" =~ [[:cntrl:]] ]]; }

dns1123_label() {
  local value=$1 max=$2
  [[ ${#value} -le $max && "$value" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]
}

dns1123_subdomain() {
  local value=$1
  [[ ${#value} -le 253 && "$value" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ ]]
}

check_label() {
  local name=$1 value=$2 max=$3
  if ! dns1123_label "$value" "$max"; then
    problem "$name=\"$value\" is not a valid name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most $max characters (RFC 1123; '_' is not allowed)"
  fi
}

# Percent-decoding for URI userinfo ('+' stays '+'). The input was validated: only %XX escapes.
url_decode() {
  local in=$1 out='' c
  while [[ -n "$in" ]]; do
    c=${in:0:1}
    if [[ "$c" == % ]]; then
      # shellcheck disable=SC2059 # the format is the validated escape \xHH itself
      printf -v c "\\x${in:1:2}"
      in=${in:3}
    else
      in=${in:1}
    fi
    out+=$c
  done
  printf '%s' "$out"
}

url_encode() {
  local in=$1 out='' c hex i
  for ((i = 0; i < ${#in}; i++)); do
    c=${in:i:1}
    case "$c" in
      [A-Za-z0-9._~-]) out+=$c ;;
      *)
        printf -v hex '%%%02X' "'$c"
        out+=$hex
        ;;
    esac
  done
  printf '%s' "$out"
}

valid_percent_encoding() {
  local s=$1
  [[ ! "$s" =~ %($|.$|[^0-9A-Fa-f]|.[^0-9A-Fa-f]) && ! "$s" =~ %00 ]]
}

version_at_least() {
  local have=$1 want=$2 i h w
  local -a hv wv
  IFS=. read -r -a hv <<<"$have"
  IFS=. read -r -a wv <<<"$want"
  for i in 0 1 2; do
    h=${hv[i]:-0}
    w=${wv[i]:-0}
    h=${h%%[!0-9]*}
    w=${w%%[!0-9]*}
    ((10#${h:-0} > 10#${w:-0})) && return 0
    ((10#${h:-0} < 10#${w:-0})) && return 1
  done
  return 0
}

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

validate_names() {
  NAMESPACE="${AIRFLOW_NAMESPACE:-airflow}"
  RELEASE="${AIRFLOW_RELEASE:-airflow}"
  KEDA_NS="${KEDA_NAMESPACE:-keda}"
  MONITORING_NS="${MONITORING_NAMESPACE:-monitoring}"
  check_label AIRFLOW_NAMESPACE "$NAMESPACE" 63
  # Helm release names are at most 53 characters; "<release>-pgbouncer" etc. must stay labels.
  check_label AIRFLOW_RELEASE "$RELEASE" 53
  check_label KEDA_NAMESPACE "$KEDA_NS" 63
  check_label MONITORING_NAMESPACE "$MONITORING_NS" 63
  local secret
  for secret in "$SECRET_METADATA" "$SECRET_RESULT_BACKEND" "$SECRET_PGBOUNCER_CONFIG" "$SECRET_PGBOUNCER_STATS" \
    "$SECRET_GIT_SSH" "$SECRET_FERNET" "$SECRET_API" "$SECRET_JWT" "$SECRET_SCALER"; do
    dns1123_subdomain "$secret" || problem "internal: secret name \"$secret\" is not RFC 1123"
  done
}

validate_image() {
  SCALER_IMAGE_NAME=''
  SCALER_IMAGE_TAG=''
  SCALER_IMAGE_DIGEST=''
  local image="${SCALER_IMAGE:-}" last
  if [[ -z "$image" ]]; then
    if "$RENDER"; then return 0; fi
    problem "SCALER_IMAGE is not set (the image you built from the Dockerfile and pushed, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler:0.1.0)"
    return 0
  fi
  if [[ "$image" =~ ^([a-z0-9][a-z0-9._/:-]*[a-z0-9])@(sha256:[a-f0-9]{64})$ ]]; then
    SCALER_IMAGE_NAME=${BASH_REMATCH[1]}
    SCALER_IMAGE_DIGEST=${BASH_REMATCH[2]}
    return 0
  fi
  last=${image##*/}
  if [[ "$image" =~ ^[a-z0-9][a-z0-9._/:-]*$ && "$last" == *:* ]]; then
    SCALER_IMAGE_NAME=${image%:*}
    SCALER_IMAGE_TAG=${image##*:}
    if [[ "$SCALER_IMAGE_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ && -n "$SCALER_IMAGE_NAME" ]]; then
      return 0
    fi
  fi
  problem "SCALER_IMAGE=\"$image\" is not an image reference with an explicit tag or digest (REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST)"
}

# AIRFLOW_DB_URL: postgresql://USER:PASSWORD@HOST[:PORT]/DBNAME[?sslmode=MODE]. MODE is PgBouncer's
# server_tls_sslmode towards RDS: verify-full (default; the certificate chains to the RDS CA
# bundle and names the endpoint) or verify-ca. Modes that do not verify (require, prefer,
# disable) are refused: they let anyone on the path impersonate the database.
validate_db_url() {
  local url=$1 query
  if [[ -z "$url" ]]; then return 0; fi
  if [[ "$url" =~ ^postgres(ql)?\+[a-z0-9]+:// ]]; then
    problem "AIRFLOW_DB_URL uses a SQLAlchemy driver suffix (e.g. postgresql+psycopg2://); give a plain postgresql:// URI"
    return 0
  fi
  if has_control_chars "$url" || [[ "$url" == *' '* ]]; then
    problem "AIRFLOW_DB_URL contains spaces or control characters; URL-encode them (value not shown)"
    return 0
  fi
  if [[ ! "$url" =~ ^postgres(ql)?://([^:@/?#]+):([^@/?#]+)@([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:([0-9]{1,5}))?/([A-Za-z0-9_][A-Za-z0-9_-]*)(\?(.*))?$ ]]; then
    problem "AIRFLOW_DB_URL is not of the form postgresql://USER:PASSWORD@HOST:PORT/DBNAME[?sslmode=require] (value not shown; URL-encode '@', ':', '/', '?', '#' and '%' in the password)"
    return 0
  fi
  DB_USER_ENC=${BASH_REMATCH[2]}
  DB_PASSWORD_ENC=${BASH_REMATCH[3]}
  DB_HOST=${BASH_REMATCH[4]}
  DB_PORT=${BASH_REMATCH[7]:-5432}
  DB_NAME=${BASH_REMATCH[8]}
  query=${BASH_REMATCH[10]}
  DB_SSLMODE=verify-full
  if [[ -n "$query" ]]; then
    if [[ "$query" =~ ^sslmode=(verify-full|verify-ca)$ ]]; then
      DB_SSLMODE=${BASH_REMATCH[1]}
    elif [[ "$query" =~ ^sslmode=(disable|allow|prefer|require)$ ]]; then
      problem "AIRFLOW_DB_URL: sslmode=${BASH_REMATCH[1]} does not verify the RDS certificate; use sslmode=verify-full (the default) with RDS_CA_BUNDLE_FILE"
    else
      problem "AIRFLOW_DB_URL: the only query parameter understood is sslmode=verify-full|verify-ca (PgBouncer's server_tls_sslmode towards RDS); got \"?$query\""
    fi
  fi
  if ! valid_percent_encoding "$DB_USER_ENC$DB_PASSWORD_ENC"; then
    problem "AIRFLOW_DB_URL has a malformed %-escape in the user or password (value not shown)"
    return 0
  fi
  if ((10#$DB_PORT < 1 || 10#$DB_PORT > 65535)); then
    problem "AIRFLOW_DB_URL: port $DB_PORT is out of range"
  fi
  DB_USER=$(url_decode "$DB_USER_ENC")
  DB_PASSWORD=$(url_decode "$DB_PASSWORD_ENC")
  if [[ ! "$DB_USER" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]]; then
    problem "AIRFLOW_DB_URL: user \"$DB_USER\" must be a plain PostgreSQL role name ([A-Za-z_][A-Za-z0-9_]*)"
  fi
  if [[ "$DB_USER" == "$SCALER_DB_USER" ]]; then
    problem "AIRFLOW_DB_URL: the Airflow user must not be the scaler's read-only role $SCALER_DB_USER"
  fi
  if has_control_chars "$DB_PASSWORD"; then
    problem "AIRFLOW_DB_URL: the password decodes to control characters (value not shown)"
  fi
}

# GIT_SSH_KEY must be a private key git-sync can use as it is: no passphrase. PEM keys say so in
# their armor (PKCS#8 "ENCRYPTED PRIVATE KEY", or the legacy "Proc-Type: 4,ENCRYPTED" header);
# OpenSSH keys (ssh-keygen's default since OpenSSH 7.8) only inside: the base64 body starts with
# "openssh-key-v1\0" and then the cipher's name as a length-prefixed string, "none" when the key
# is not encrypted (openssh-portable PROTOCOL.key).
check_private_key() {
  local key=$1 body hex magic len cipher='' i
  if [[ "$key" == *"-----BEGIN ENCRYPTED PRIVATE KEY-----"* || "$key" == *"Proc-Type: 4,ENCRYPTED"* ]]; then
    problem "GIT_SSH_KEY is passphrase-protected; git-sync needs a key without a passphrase (a read-only deploy key)"
    return 0
  fi
  if [[ ! "$key" =~ -----BEGIN\ ([A-Z]+\ )?PRIVATE\ KEY-----(.*)-----END\ ([A-Z]+\ )?PRIVATE\ KEY----- ]]; then
    problem "GIT_SSH_KEY is not a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY-----; value not shown)"
    return 0
  fi
  [[ "${BASH_REMATCH[1]}" == "OPENSSH " ]] || return 0
  body=${BASH_REMATCH[2]//[[:space:]]/}
  hex="$(printf '%s' "$body" | base64 -d 2>/dev/null | head -c 64 | od -An -v -tx1 | tr -d ' \n')" || hex=''
  magic=6f70656e7373682d6b65792d763100 # "openssh-key-v1\0"
  if [[ "${hex:0:30}" != "$magic" || ${#hex} -lt 38 ]]; then
    problem "GIT_SSH_KEY is not a valid OpenSSH private key (its body does not start with openssh-key-v1; value not shown)"
    return 0
  fi
  len=$((16#${hex:30:8}))
  if ((len < 1 || len > 32 || ${#hex} < 38 + 2 * len)); then
    problem "GIT_SSH_KEY is not a valid OpenSSH private key (cipher name; value not shown)"
    return 0
  fi
  for ((i = 0; i < len; i++)); do
    printf -v cipher '%s%b' "$cipher" "\\x${hex:38+2*i:2}"
  done
  if [[ "$cipher" != none ]]; then
    problem "GIT_SSH_KEY is passphrase-protected ($cipher); git-sync needs a key without a passphrase (ssh-keygen -p -N '' -f KEY removes it)"
  fi
}

# GIT_REPO over SSH: scp-like user@host:path, or ssh://[user@]host[:port]/path (git-sync v4 takes
# both). GIT_KNOWN_HOSTS must hold a key for that host: "host" for port 22, "[host]:port" else.
validate_git_repo() {
  GIT_REPO_VALUE="${GIT_REPO:-}"
  local host='' port=22 line patterns pattern want found=false hashed=false
  local -a list
  if [[ -z "$GIT_REPO_VALUE" ]]; then
    problem "GIT_REPO is not set (the DAG repository, e.g. git@github.com:my-org/airflow-dags.git)"
    return 0
  fi
  if [[ "$GIT_REPO_VALUE" == *..* || ${#GIT_REPO_VALUE} -gt 512 ]]; then
    problem "GIT_REPO=\"$GIT_REPO_VALUE\" is not a repository address (no '..', at most 512 characters)"
    return 0
  fi
  if [[ "$GIT_REPO_VALUE" =~ ^ssh://([A-Za-z0-9._-]+@)?([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:([0-9]{1,5}))?/[A-Za-z0-9._~/-]+$ ]]; then
    host=${BASH_REMATCH[2]}
    port=${BASH_REMATCH[5]:-22}
    if ((10#$port < 1 || 10#$port > 65535)); then
      problem "GIT_REPO: port $port is out of range"
      return 0
    fi
  elif [[ "$GIT_REPO_VALUE" =~ ^[A-Za-z0-9._-]+@([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):[A-Za-z0-9._~][A-Za-z0-9._~/-]*$ ]]; then
    host=${BASH_REMATCH[1]}
  elif [[ "$GIT_REPO_VALUE" =~ ^(https?|git|file):// ]]; then
    problem "GIT_REPO=\"$GIT_REPO_VALUE\": use SSH, user@host:path or ssh://[user@]host[:port]/path: the chart syncs with the deploy key"
    return 0
  else
    problem "GIT_REPO=\"$GIT_REPO_VALUE\" is not of the form user@host:path/repo.git or ssh://[user@]host[:port]/path"
    return 0
  fi
  [[ -n "$KNOWN_HOSTS" ]] || return 0
  want=$host
  ((10#$port == 22)) || want="[$host]:$((10#$port))"
  while IFS= read -r line; do
    [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
    patterns=${line%%[[:space:]]*}
    [[ "$patterns" == "|1|"* ]] && hashed=true
    IFS=, read -r -a list <<<"$patterns"
    for pattern in "${list[@]}"; do [[ "$pattern" == "$want" ]] && found=true; done
  done <<<"$KNOWN_HOSTS"
  if ! "$found" && ! "$hashed"; then
    problem "GIT_KNOWN_HOSTS has no key for $want, the host of GIT_REPO (ssh-keyscan$( ((10#$port == 22)) || printf ' -p %d' "$((10#$port))") $host)"
  fi
}

# RDS_CA_BUNDLE_FILE: AWS' RDS certificate bundle (PEM), which PgBouncer verifies RDS against.
validate_rds_ca() {
  RDS_CA_FILE="${RDS_CA_BUNDLE_FILE:-}"
  if [[ -z "$RDS_CA_FILE" ]]; then
    problem "RDS_CA_BUNDLE_FILE is not set (AWS' RDS CA bundle: curl -fsSLo global-bundle.pem https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)"
  elif [[ ! -f "$RDS_CA_FILE" || ! -r "$RDS_CA_FILE" ]]; then
    problem "RDS_CA_BUNDLE_FILE=\"$RDS_CA_FILE\": cannot read that file"
  elif (($(wc -c <"$RDS_CA_FILE") > 1048576)); then
    problem "RDS_CA_BUNDLE_FILE=\"$RDS_CA_FILE\" is larger than 1 MiB; it is not a CA bundle"
  elif ! grep -q -- '^-----BEGIN CERTIFICATE-----' "$RDS_CA_FILE" || grep -q -- 'PRIVATE KEY-----' "$RDS_CA_FILE"; then
    problem "RDS_CA_BUNDLE_FILE=\"$RDS_CA_FILE\" holds no PEM certificates (-----BEGIN CERTIFICATE-----)"
  fi
}

validate_inputs() {
  validate_names
  validate_image
  if "$RENDER"; then return 0; fi

  load_input AIRFLOW_DB_URL DB_URL required 2048
  load_input SCALER_DB_PASSWORD SCALER_PASSWORD required 1024
  load_input AIRFLOW_ADMIN_PASSWORD ADMIN_PASSWORD required 1024
  load_input GIT_SSH_KEY GIT_KEY required 16384
  load_input GIT_KNOWN_HOSTS KNOWN_HOSTS required 65536

  validate_db_url "$DB_URL"

  if [[ -n "$SCALER_PASSWORD" ]] && has_control_chars "$SCALER_PASSWORD"; then
    problem "SCALER_DB_PASSWORD contains control characters (value not shown)"
  fi
  if [[ -n "$ADMIN_PASSWORD" ]]; then
    if ((${#ADMIN_PASSWORD} < 12)); then
      problem "AIRFLOW_ADMIN_PASSWORD is shorter than 12 characters (value not shown)"
    elif has_control_chars "$ADMIN_PASSWORD"; then
      problem "AIRFLOW_ADMIN_PASSWORD contains control characters (value not shown)"
    fi
  fi
  if [[ -n "$GIT_KEY" ]]; then
    check_private_key "$GIT_KEY"
  fi
  validate_rds_ca
  if [[ -n "$KNOWN_HOSTS" ]]; then
    local line count=0
    while IFS= read -r line; do
      [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
      if [[ "$line" =~ ^[^[:space:]]+[[:space:]]+(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)[[:space:]]+[A-Za-z0-9+/]+=*([[:space:]].*)?$ ]]; then
        count=$((count + 1))
      else
        problem "GIT_KNOWN_HOSTS: \"$line\" is not a known_hosts line (HOST KEYTYPE BASE64KEY)"
      fi
    done <<<"$KNOWN_HOSTS"
    ((count > 0)) || problem "GIT_KNOWN_HOSTS has no host key lines (use: ssh-keyscan -t ed25519 github.com, then check the fingerprint)"
  fi

  validate_git_repo
  GIT_BRANCH_VALUE="${GIT_BRANCH:-main}"
  if [[ ! "$GIT_BRANCH_VALUE" =~ ^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}$ || "$GIT_BRANCH_VALUE" == *..* || "$GIT_BRANCH_VALUE" == */ ]]; then
    problem "GIT_BRANCH=\"$GIT_BRANCH_VALUE\" is not a plain branch name"
  fi

  EFS_ID="${EFS_FILE_SYSTEM_ID:-}"
  if [[ -n "$EFS_ID" && ! "$EFS_ID" =~ ^fs-[0-9a-f]{8}([0-9a-f]{9})?$ ]]; then
    problem "EFS_FILE_SYSTEM_ID=\"$EFS_ID\" is not an EFS file system id (fs- followed by 8 or 17 hex digits)"
  fi
  UI_TLS_ARN="${UI_TLS_CERTIFICATE_ARN:-}"
  if [[ -n "$UI_TLS_ARN" && ! "$UI_TLS_ARN" =~ ^arn:aws(-[a-z]+)*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]{1,64}$ ]]; then
    problem "UI_TLS_CERTIFICATE_ARN=\"$UI_TLS_ARN\" is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
  fi
  GRANT_IMAGE_NAME=''
  GRANT_IMAGE_DIGEST=''
  if [[ -n "${GRANT_IMAGE:-}" ]]; then
    if [[ "$GRANT_IMAGE" =~ ^([a-z0-9][a-z0-9._/:-]{0,254}[a-z0-9])@(sha256:[a-f0-9]{64})$ ]]; then
      GRANT_IMAGE_NAME=${BASH_REMATCH[1]}
      GRANT_IMAGE_DIGEST=${BASH_REMATCH[2]}
    else
      problem "GRANT_IMAGE=\"$GRANT_IMAGE\" is not pinned by digest (REGISTRY/REPOSITORY@sha256:DIGEST; a tag can change under you)"
    fi
  fi
  HELM_TIMEOUT_VALUE="${HELM_TIMEOUT:-20m}"
  if [[ ! "$HELM_TIMEOUT_VALUE" =~ ^[1-9][0-9]{0,3}(s|m|h)$ ]]; then
    problem "HELM_TIMEOUT=\"$HELM_TIMEOUT_VALUE\" is not a duration such as 20m"
  fi
}

report_problems() {
  if ((${#problems[@]} == 0)); then return 0; fi
  {
    printf 'error: refusing to run; nothing was changed. Fix these inputs:\n'
    local p
    for p in "${problems[@]}"; do printf '  - %s\n' "$p"; done
    printf '\nRun deploy/install.sh --help for the list of inputs.\n'
  } >&2
  exit 2
}

mask_url() {
  # postgresql://user:secret@host/... -> postgresql://user:****@host/...
  local url=$1
  if [[ "$url" =~ ^([a-z+]+://[^:@/]+:)[^@]*(@.*)$ ]]; then
    printf '%s****%s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    printf '****'
  fi
}

# ---------------------------------------------------------------------------------------------
# Working files: secrets in a private temporary directory, removed on exit; the kustomize trees
# copied next to them (kustomize refuses absolute paths between kustomizations).
# ---------------------------------------------------------------------------------------------
WORK_DIR=''
cleanup() {
  if [[ -n "$WORK_DIR" && -d "$WORK_DIR" ]]; then rm -rf -- "$WORK_DIR"; fi
}

make_work_dir() {
  umask 077
  WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/airflow-keda-install.XXXXXX")"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$WORK_DIR/secrets" "$WORK_DIR/tree"
  cp -R "$REPO_DIR/deploy" "$REPO_DIR/chart-values" "$WORK_DIR/tree/"
}

write_secret_file() {
  # write_secret_file NAME CONTENT: a file only this user can read; prints its path
  local path="$WORK_DIR/secrets/$1"
  printf '%s' "$2" >"$path"
  chmod 600 "$path"
  printf '%s' "$path"
}

# The scaler's kustomization for this install: the base re-targeted at namespace and release,
# the chosen features, and the image.
write_scaler_kustomization() {
  local dir="$WORK_DIR/tree/deploy/.install"
  mkdir -p "$dir"
  cat >"$dir/install-target.yaml" <<EOF
apiVersion: airflow-keda-scaler.local/v1
kind: InstallTarget
metadata:
  name: install-target
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  namespace: $NAMESPACE
  release: $RELEASE
  kedaNamespace: $KEDA_NS
  monitoringNamespace: $MONITORING_NS
EOF
  {
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n'
    printf 'namespace: %s\n' "$NAMESPACE"
    printf 'labels:\n  - pairs:\n      %s: %s\n    includeSelectors: false\n' "$INSTALL_LABEL" "$INSTALL_LABEL_VALUE"
    printf 'resources:\n  - install-target.yaml\n  - ../base\n'
    printf 'components:\n'
    if "$WITH_WORKER_SETS"; then printf '  - ../components/worker-sets\n'; fi
    if "$WITH_MTLS"; then printf '  - ../components/mtls\n'; fi
    if "$WITH_MONITORING"; then printf '  - ../components/monitoring\n'; fi
    printf '  - ../components/install-target\n'
    if [[ -n "$SCALER_IMAGE_NAME" ]]; then
      printf 'images:\n  - name: airflow-keda-scaler\n    newName: %s\n' "$SCALER_IMAGE_NAME"
      if [[ -n "$SCALER_IMAGE_DIGEST" ]]; then
        printf '    digest: %s\n' "$SCALER_IMAGE_DIGEST"
      else
        printf '    newTag: "%s"\n' "$SCALER_IMAGE_TAG"
      fi
    fi
  } >"$dir/kustomization.yaml"
  SCALER_KUSTOMIZATION="$dir"
}

write_grant_kustomization() {
  local dir="$WORK_DIR/tree/deploy/.install-grant"
  mkdir -p "$dir"
  {
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\nresources:\n  - ../rds\n' "$NAMESPACE"
    if [[ -n "$GRANT_IMAGE_NAME" ]]; then
      printf 'images:\n  - name: docker.io/library/postgres\n    newName: %s\n    digest: %s\n' "$GRANT_IMAGE_NAME" "$GRANT_IMAGE_DIGEST"
    fi
  } >"$dir/kustomization.yaml"
  GRANT_KUSTOMIZATION="$dir"
}

# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------
# Each prerequisite is reported as "ok: LABEL: detail" with a fixed LABEL; README.md "1. Before
# you start" lists the same labels (test/deploy checks that the two agree).
prereq_ok() { printf '    ok: %s: %s\n' "$1" "$2" >&3; }

check_tools() {
  step "Tools: kubectl and helm"
  local missing=() version
  command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
  command -v helm >/dev/null 2>&1 || missing+=(helm)
  if ((${#missing[@]} > 0)); then
    fail "not found on PATH: ${missing[*]} (install kubectl >= ${KUBECTL_MIN_VERSION} and helm >= ${HELM_MIN_VERSION})"
  fi
  version="$(query kubectl version --client -o json | sed -n 's/.*"gitVersion": *"v\([0-9][0-9.]*\).*/\1/p' | head -n 1)" ||
    fail "kubectl version --client failed"
  [[ -n "$version" ]] || fail "could not read the kubectl version"
  version_at_least "$version" "$KUBECTL_MIN_VERSION" ||
    fail "kubectl $version is too old: its kustomize needs components and replacements (kubectl >= $KUBECTL_MIN_VERSION)"
  prereq_ok "kubectl >= ${KUBECTL_MIN_VERSION%.0}" "$version"
  version="$(query helm version --template '{{.Version}}')" || fail "helm version failed"
  version=${version#v}
  [[ "$version" =~ ^[0-9]+\.[0-9]+ ]] || fail "could not read the helm version (got \"$version\")"
  version_at_least "$version" "$HELM_MIN_VERSION" || fail "helm $version is too old (need >= $HELM_MIN_VERSION)"
  HELM_MAJOR=${version%%.*}
  prereq_ok "helm >= ${HELM_MIN_VERSION%.0}" "$version"
}

# Prints the names among the given CRDs that the cluster has.
crds_present() {
  query kubectl get crd "$@" --ignore-not-found -o name || fail "could not read CustomResourceDefinitions"
}

check_storage_classes() {
  local found driver
  # The Redis broker's PVC (redis.persistence.storageClassName: gp3 in chart-values/values.yaml).
  found="$(query kubectl get storageclass gp3 --ignore-not-found -o name)" || fail "could not read StorageClasses"
  if [[ -n "$found" ]]; then
    CREATE_GP3_SC=false
    prereq_ok "StorageClass gp3" "exists"
  else
    driver="$(query kubectl get csidriver ebs.csi.aws.com --ignore-not-found -o name)" || fail "could not read CSIDrivers"
    [[ -n "$driver" ]] ||
      fail "StorageClass gp3 (Redis' volume) is missing and so is the EBS CSI driver: add the EKS add-on aws-ebs-csi-driver (with its IAM role), or create a StorageClass gp3 yourself"
    CREATE_GP3_SC=true
    prereq_ok "StorageClass gp3" "missing; will be created for the EBS CSI driver (deploy/ebs/storageclass.yaml)"
  fi
  # The task logs' PVC (logs.persistence.storageClassName: efs-sc).
  found="$(query kubectl get storageclass efs-sc --ignore-not-found -o name)" || fail "could not read StorageClasses"
  if [[ -n "$found" ]]; then
    CREATE_EFS_SC=false
    prereq_ok "StorageClass efs-sc" "exists"
  elif [[ -z "$EFS_ID" ]]; then
    fail "StorageClass efs-sc is missing: set EFS_FILE_SYSTEM_ID=fs-... to create it (deploy/efs/storageclass.yaml; needs the aws-efs-csi-driver add-on)"
  else
    driver="$(query kubectl get csidriver efs.csi.aws.com --ignore-not-found -o name)" || fail "could not read CSIDrivers"
    [[ -n "$driver" ]] || fail "StorageClass efs-sc cannot be created: the EFS CSI driver is missing (EKS add-on aws-efs-csi-driver)"
    CREATE_EFS_SC=true
    prereq_ok "StorageClass efs-sc" "missing; will be created for $EFS_ID"
  fi
}

check_cluster() {
  step "Cluster: Kubernetes, KEDA, load balancer, storage$("$WITH_MTLS" && printf ', cert-manager')$("$WITH_MONITORING" && printf ', Prometheus')"
  local info version='' server
  server="$(query kubectl get --raw /version --request-timeout=15s)" ||
    fail "the cluster is not reachable with the current kubectl context (for EKS: aws eks update-kubeconfig --name CLUSTER --region REGION)"
  prereq_ok "cluster reachable" "the current kubectl context"
  version="$(sed -n 's/.*"gitVersion": *"v\([0-9][0-9.]*\).*/\1/p' <<<"$server" | head -n 1)"
  [[ -n "$version" ]] || fail "could not read the Kubernetes version"
  version_at_least "$version" "$KUBERNETES_MIN_VERSION" ||
    fail "Kubernetes $version is too old: the scaler's ValidatingAdmissionPolicy needs Kubernetes >= $KUBERNETES_MIN_VERSION"
  prereq_ok "Kubernetes >= ${KUBERNETES_MIN_VERSION%.0}" "$version"

  query kubectl get crd scaledobjects.keda.sh triggerauthentications.keda.sh -o name >/dev/null ||
    fail "KEDA's CRDs are missing: install KEDA >= $KEDA_MIN_VERSION first (helm install keda kedacore/keda --namespace $KEDA_NS --create-namespace)"
  info="$(query kubectl get deployment keda-operator -n "$KEDA_NS" -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/version} {.spec.template.spec.containers[0].image}')" ||
    fail "no Deployment keda-operator in namespace $KEDA_NS (set KEDA_NAMESPACE to where KEDA runs)"
  version=''
  if [[ "$info" =~ ^v?([0-9]+\.[0-9]+(\.[0-9]+)?)[[:space:]] ]]; then
    version=${BASH_REMATCH[1]}
  elif [[ "$info" =~ :v?([0-9]+\.[0-9]+(\.[0-9]+)?)$ ]]; then
    version=${BASH_REMATCH[1]}
  fi
  if [[ -z "$version" ]]; then
    warn "could not tell KEDA's version; the ScaledObjects need KEDA >= $KEDA_MIN_VERSION (fallback behavior)"
    prereq_ok "KEDA >= ${KEDA_MIN_VERSION%.0}" "CRDs present, version unknown, in namespace $KEDA_NS"
  elif ! version_at_least "$version" "$KEDA_MIN_VERSION"; then
    fail "KEDA $version is too old: the ScaledObjects' fallback.behavior needs KEDA >= $KEDA_MIN_VERSION"
  else
    prereq_ok "KEDA >= ${KEDA_MIN_VERSION%.0}" "$version in namespace $KEDA_NS"
  fi

  # The UI's Service asks for an NLB through the AWS Load Balancer Controller's annotations;
  # without the controller it would stay pending. Its CRD TargetGroupBinding marks it installed.
  [[ -n "$(crds_present targetgroupbindings.elbv2.k8s.aws)" ]] ||
    fail "the AWS Load Balancer Controller is missing (CRD targetgroupbindings.elbv2.k8s.aws): install it for the UI's load balancer"
  prereq_ok "AWS Load Balancer Controller" "CRD targetgroupbindings.elbv2.k8s.aws"

  check_storage_classes

  # Looked up whatever the options: a later run without --mtls or --monitoring removes their objects.
  HAVE_CERT_MANAGER=false
  HAVE_PROMETHEUS_OPERATOR=false
  [[ "$(crds_present certificates.cert-manager.io issuers.cert-manager.io | wc -l)" -eq 2 ]] && HAVE_CERT_MANAGER=true
  [[ "$(crds_present servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com | wc -l)" -eq 2 ]] && HAVE_PROMETHEUS_OPERATOR=true
  if "$WITH_MTLS"; then
    "$HAVE_CERT_MANAGER" || fail "--mtls needs cert-manager (its CRDs certificates/issuers.cert-manager.io are missing)"
    prereq_ok "cert-manager (--mtls)" "CRDs certificates, issuers.cert-manager.io"
  fi
  if "$WITH_MONITORING"; then
    "$HAVE_PROMETHEUS_OPERATOR" ||
      fail "--monitoring needs the Prometheus Operator (its CRDs servicemonitors/prometheusrules.monitoring.coreos.com are missing)"
    prereq_ok "Prometheus Operator (--monitoring)" "CRDs servicemonitors, prometheusrules.monitoring.coreos.com"
  fi
}

create_namespace() {
  step "Namespace $NAMESPACE"
  apply_generated create namespace "$NAMESPACE"
}

create_storage_classes() {
  if "$CREATE_GP3_SC"; then
    step "StorageClass gp3 (EBS CSI driver), for Redis' volume"
    change kubectl apply -f "$WORK_DIR/tree/deploy/ebs/storageclass.yaml"
  fi
  if "$CREATE_EFS_SC"; then
    step "StorageClass efs-sc on $EFS_ID"
    local file="$WORK_DIR/tree/deploy/efs/storageclass.yaml" text
    text="$(<"$file")"
    printf '%s\n' "${text//fs-0123456789abcdef0/$EFS_ID}" >"$file"
    change kubectl apply -f "$file"
  fi
}

secret_from_files() {
  # secret_from_files NAME KEY=FILE... ; previews are printed by the caller
  local name=$1
  shift
  local args=(create secret generic "$name" --namespace "$NAMESPACE")
  local pair
  for pair in "$@"; do args+=("--from-file=$pair"); done
  apply_generated "${args[@]}"
}

preview() { printf '      %-15s %s\n' "$1:" "$2" >&3; }

# Generated once, then kept: rotating the Fernet key would make stored connections unreadable.
ensure_generated_secret() {
  local name=$1 key=$2 value found file
  found="$(query kubectl get secret "$name" --namespace "$NAMESPACE" --ignore-not-found -o name)" ||
    fail "could not read Secret $name"
  if [[ -n "$found" ]]; then
    ok "Secret $name exists; kept as it is"
    return 0
  fi
  if [[ "$key" == fernet-key ]]; then
    value="$(head -c 32 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_')" # URL-safe base64 of 32 bytes
  else
    value="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
  fi
  file="$(write_secret_file "$name-$key" "$value")"
  secret_from_files "$name" "$key=$file"
  preview "$key" "<generated, $((${#value})) characters>"
}

create_secrets() {
  step "Secrets in namespace $NAMESPACE (values are never printed)"
  local pgb_host="${RELEASE}-pgbouncer.${NAMESPACE}"
  local metadata_db="${RELEASE}-metadata" result_db="${RELEASE}-result-backend"
  local userinfo="${DB_USER_ENC}:${DB_PASSWORD_ENC}"
  local scaler_userinfo
  scaler_userinfo="${SCALER_DB_USER}:$(url_encode "$SCALER_PASSWORD")"
  local metadata_url="postgresql://${userinfo}@${pgb_host}:6543/${metadata_db}?sslmode=disable"
  local result_url="db+postgresql://${userinfo}@${pgb_host}:6543/${result_db}?sslmode=disable"
  local stats_url="postgresql://${userinfo}@127.0.0.1:6543/pgbouncer?sslmode=disable"
  local scaler_url="postgresql://${scaler_userinfo}@${pgb_host}:6543/${metadata_db}?sslmode=disable"
  local ini users

  # Airflow's metadata database and Celery result backend, both through PgBouncer.
  secret_from_files "$SECRET_METADATA" "connection=$(write_secret_file metadata "$metadata_url")"
  preview connection "$(mask_url "$metadata_url")"
  secret_from_files "$SECRET_RESULT_BACKEND" "connection=$(write_secret_file result-backend "$result_url")"
  preview connection "$(mask_url "$result_url")"

  # PgBouncer's own configuration: the aliases the two URIs above name, pointing at RDS.
  ini="$(
    cat <<EOF
[databases]
${metadata_db} = host=${DB_HOST} port=${DB_PORT} dbname=${DB_NAME} pool_size=10
${result_db} = host=${DB_HOST} port=${DB_PORT} dbname=${DB_NAME} pool_size=5

[pgbouncer]
pool_mode = transaction
listen_port = 6543
listen_addr = *
auth_type = scram-sha-256
auth_file = /etc/pgbouncer/users.txt
stats_users = ${DB_USER}
ignore_startup_parameters = extra_float_digits
max_client_conn = 500
verbose = 0
log_disconnections = 0
log_connections = 0
server_tls_sslmode = ${DB_SSLMODE}
server_tls_ca_file = ${RDS_CA_PATH}
server_tls_ciphers = normal
EOF
  )"
  users="\"${DB_USER}\" \"${DB_PASSWORD//\"/\"\"}\""$'\n'"\"${SCALER_DB_USER}\" \"${SCALER_PASSWORD//\"/\"\"}\""
  secret_from_files "$SECRET_PGBOUNCER_CONFIG" \
    "pgbouncer.ini=$(write_secret_file pgbouncer.ini "$ini"$'\n')" \
    "users.txt=$(write_secret_file users.txt "$users"$'\n')"
  preview pgbouncer.ini "[databases] ${metadata_db}, ${result_db} -> ${DB_HOST}:${DB_PORT}/${DB_NAME} (server_tls_sslmode ${DB_SSLMODE})"
  preview users.txt "\"${DB_USER}\" \"****\", \"${SCALER_DB_USER}\" \"****\""
  # The CA bundle PgBouncer verifies RDS against (not a secret: a ConfigMap).
  apply_generated create configmap "$CONFIGMAP_RDS_CA" --namespace "$NAMESPACE" "--from-file=rds-ca-bundle.pem=$RDS_CA_FILE"
  preview rds-ca-bundle.pem "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$RDS_CA_FILE") certificate(s), mounted at $RDS_CA_PATH"
  secret_from_files "$SECRET_PGBOUNCER_STATS" "connection=$(write_secret_file pgbouncer-stats "$stats_url")"
  preview connection "$(mask_url "$stats_url")"

  # git-sync's deploy key; the chart mounts the key named gitSshKey.
  secret_from_files "$SECRET_GIT_SSH" "gitSshKey=$(write_secret_file gitSshKey "$GIT_KEY"$'\n')"
  preview gitSshKey "<private key, $((${#GIT_KEY} + 1)) bytes>"

  ensure_generated_secret "$SECRET_FERNET" fernet-key
  ensure_generated_secret "$SECRET_API" api-secret-key
  ensure_generated_secret "$SECRET_JWT" jwt-secret

  # The scaler's read-only role, through the same PgBouncer.
  secret_from_files "$SECRET_SCALER" "connection=$(write_secret_file scaler "$scaler_url")"
  preview connection "$(mask_url "$scaler_url")"

  # The UI user's password, read by the chart's create-user Job from the environment
  # (chart-values/values.yaml createUserJob): never in helm's values or the Job's arguments.
  secret_from_files "$SECRET_ADMIN" "password=$(write_secret_file admin-password "$ADMIN_PASSWORD")"
  preview password "<${#ADMIN_PASSWORD} characters>"
}

install_chart() {
  step "Airflow: helm upgrade --install $RELEASE $CHART_REF --version $CHART_VERSION"
  local values="$REPO_DIR/chart-values" known_hosts post_renderer
  known_hosts="$(write_secret_file known_hosts "$KNOWN_HOSTS"$'\n')"

  change helm repo add "$CHART_REPO_NAME" "$CHART_REPO_URL" --force-update
  change helm repo update "$CHART_REPO_NAME"

  if ((HELM_MAJOR >= 4)); then
    # Helm 4 takes a post-renderer plugin name, not a path.
    local plugins
    plugins="$(query helm plugin list)" || fail "helm plugin list failed"
    if grep -Eq "^${POST_RENDERER_PLUGIN}[[:space:]]" <<<"$plugins"; then
      ok "helm plugin $POST_RENDERER_PLUGIN is installed"
    else
      change helm plugin install "$REPO_DIR/deploy/helm-post-renderer"
    fi
    post_renderer=$POST_RENDERER_PLUGIN
  else
    post_renderer="$REPO_DIR/deploy/helm-post-renderer/drop-worker-replicas"
  fi

  local args=(upgrade --install "$RELEASE" "$CHART_REF"
    --version "$CHART_VERSION"
    --namespace "$NAMESPACE"
    --values "$values/values.yaml"
    --values "$values/worker-concurrency.yaml")
  if "$WITH_WORKER_SETS"; then args+=(--values "$values/values-worker-sets.yaml"); fi
  if [[ -n "$UI_TLS_ARN" ]]; then
    args+=(--values "$values/values-ui-tls.yaml"
      --set-string "apiServer.service.annotations.service\.beta\.kubernetes\.io/aws-load-balancer-ssl-cert=$UI_TLS_ARN")
  fi
  args+=(--set-string "dags.gitSync.repo=$GIT_REPO_VALUE"
    --set-string "dags.gitSync.branch=$GIT_BRANCH_VALUE"
    --set-string "dags.gitSync.ref=$GIT_BRANCH_VALUE"
    --set-file "dags.gitSync.knownHosts=$known_hosts"
    --post-renderer "$post_renderer"
    --timeout "$HELM_TIMEOUT_VALUE")
  change helm "${args[@]}"
}

wait_for_airflow() {
  step "Wait for Airflow's rollout (PgBouncer, scheduler, API server, ...)"
  change kubectl rollout status deployment --namespace "$NAMESPACE" --selector "tier=airflow,release=$RELEASE" --timeout=15m
  change kubectl rollout status statefulset --namespace "$NAMESPACE" --selector "tier=airflow,release=$RELEASE" --timeout=15m
}

# Waits for the grant Job to complete, and stops at once when it fails (`kubectl wait` takes one
# condition only): bounded by the Job's own activeDeadlineSeconds plus a minute.
wait_for_grant() {
  if "$DRY_RUN"; then
    printf '    [dry-run] wait for job/%s: Complete or Failed, at most %ds\n' "$GRANT_JOB" "$GRANT_DEADLINE_SECONDS" >&3
    return 0
  fi
  local waited=0 conditions
  printf '    $ %s  (every 5 s, at most %d s)\n' "$(quote_cmd kubectl get job "$GRANT_JOB" --namespace "$NAMESPACE" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}')" "$GRANT_DEADLINE_SECONDS" >&3
  while :; do
    conditions="$(kubectl get job "$GRANT_JOB" --namespace "$NAMESPACE" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}')" ||
      fail "could not read job/$GRANT_JOB"
    case " $conditions " in
      *" Complete "*)
        ok "job/$GRANT_JOB completed"
        return 0
        ;;
      *" Failed "*)
        printf 'error: the grant Job failed; its last log lines:\n' >&2
        kubectl logs "job/$GRANT_JOB" --namespace "$NAMESPACE" --tail=20 >&2 || true
        fail "job/$GRANT_JOB failed: check the Airflow user's rights on the database and the role $SCALER_DB_USER (deploy/rds/01-database-and-roles.sql)"
        ;;
    esac
    ((waited < GRANT_DEADLINE_SECONDS)) ||
      fail "job/$GRANT_JOB neither completed nor failed in ${GRANT_DEADLINE_SECONDS}s: kubectl describe job/$GRANT_JOB --namespace $NAMESPACE"
    sleep 5
    waited=$((waited + 5))
  done
}

grant_scaler() {
  step "Scaler role: SELECT on task_instance (deploy/rds/02-grant-scaler-select.sql)"
  change kubectl delete job "$GRANT_JOB" --namespace "$NAMESPACE" --ignore-not-found
  change kubectl apply -k "$GRANT_KUSTOMIZATION"
  wait_for_grant
}

# The kinds that features add (worker sets: ScaledObjects; --mtls: Issuers, Certificates, a
# TriggerAuthentication; --monitoring: a ServiceMonitor, a PrometheusRule). `kubectl apply
# --prune` deletes the objects of these kinds that carry this install's label and are no longer
# rendered; kinds whose CRDs the cluster lacks are left out (kubectl could not map them).
prune_allowlist() {
  local kinds=(keda.sh/v1alpha1/ScaledObject keda.sh/v1alpha1/TriggerAuthentication) kind
  if "$HAVE_CERT_MANAGER"; then kinds+=(cert-manager.io/v1/Issuer cert-manager.io/v1/Certificate); fi
  if "$HAVE_PROMETHEUS_OPERATOR"; then kinds+=(monitoring.coreos.com/v1/ServiceMonitor monitoring.coreos.com/v1/PrometheusRule); fi
  for kind in "${kinds[@]}"; do printf -- '--prune-allowlist=%s\n' "$kind"; done
}

install_scaler() {
  step "airflow-keda-scaler and its ScaledObjects (features left out are removed)"
  local allowlist=()
  mapfile -t allowlist < <(prune_allowlist)
  change kubectl apply -k "$SCALER_KUSTOMIZATION" --prune --selector "$INSTALL_LABEL=$INSTALL_LABEL_VALUE" "${allowlist[@]}"
  change kubectl rollout status deployment/airflow-keda-scaler --namespace "$NAMESPACE" --timeout=5m
}

summary() {
  step "Done"
  if "$DRY_RUN"; then
    say "    dry run: nothing was changed."
    return 0
  fi
  local address
  address="$(query kubectl get service "${RELEASE}-api-server" --namespace "$NAMESPACE" \
    -o 'jsonpath={.status.loadBalancer.ingress[0].hostname}{.status.loadBalancer.ingress[0].ip}')" || address=''
  if [[ -n "$address" && -n "$UI_TLS_ARN" ]]; then
    say "    Airflow UI: https://${address} (user admin, password from AIRFLOW_ADMIN_PASSWORD;"
    say "    point a DNS name of the ACM certificate at it)"
  elif [[ -n "$address" ]]; then
    say "    Airflow UI: http://${address}:8080 (user admin, password from AIRFLOW_ADMIN_PASSWORD)"
    say "    It is plain HTTP inside the VPC: set UI_TLS_CERTIFICATE_ARN for HTTPS (README \"TLS for the UI\")."
  else
    say "    Airflow UI: the load balancer is still being provisioned; kubectl get service ${RELEASE}-api-server --namespace $NAMESPACE"
  fi
  say "    Workers: kubectl get scaledobjects,hpa,deployments --namespace $NAMESPACE"
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
