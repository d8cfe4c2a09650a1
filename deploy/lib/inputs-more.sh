#!/usr/bin/env bash
# deploy/install.sh, part: checking the deploy key, the git remote, the RDS CA bundle; all inputs together.
# Sourced by install.sh, which sets `set -euo pipefail`, the constants and the output helpers
# (say, step, ok, note, warn, fail, query, change); not a program of its own.
# shellcheck shell=bash disable=SC2034  # globals set here are read by the other parts

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
