#!/usr/bin/env bash
# deploy/install.sh, part: the steps that change the cluster, in install order.
# Sourced by install.sh, which sets `set -euo pipefail`, the constants and the output helpers
# (say, step, ok, note, warn, fail, query, change); not a program of its own.
# shellcheck shell=bash disable=SC2034  # globals set here are read by the other parts

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
  local values="$REPO_DIR/chart-values" known_hosts_file post_renderer
  known_hosts_file="$(write_secret_file known_hosts "$KNOWN_HOSTS"$'\n')"

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
    --set-file "dags.gitSync.knownHosts=$known_hosts_file"
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
  step "Scaler role: SELECT on task_instance, dag and dag_run (deploy/rds/02-grant-scaler-select.sql)"
  change kubectl delete job "$GRANT_JOB" --namespace "$NAMESPACE" --ignore-not-found
  change kubectl apply -k "$GRANT_KUSTOMIZATION"
  wait_for_grant
}

# The kinds that features add (worker sets: ScaledObjects; --mtls: Issuers, Certificates, a
# TriggerAuthentication; --monitoring: a ServiceMonitor, a PrometheusRule, the Grafana dashboard's
# ConfigMap). `kubectl apply
# --prune` deletes the objects of these kinds that carry this install's label and are no longer
# rendered; kinds whose CRDs the cluster lacks are left out (kubectl could not map them).
prune_allowlist() {
  local kinds=(core/v1/ConfigMap keda.sh/v1alpha1/ScaledObject keda.sh/v1alpha1/TriggerAuthentication) kind
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
