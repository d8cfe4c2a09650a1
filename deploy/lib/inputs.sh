#!/usr/bin/env bash
# deploy/install.sh, part: reading the inputs; checking names, the image and the database URL.
# Sourced by install.sh, which sets `set -euo pipefail`, the constants and the output helpers
# (say, step, ok, note, warn, fail, query, change); not a program of its own.
# shellcheck shell=bash disable=SC2034  # globals set here are read by the other parts

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
