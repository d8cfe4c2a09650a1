#!/usr/bin/env bash
# deploy/install.sh, part: working files, the generated kustomizations, and the checks of tools and cluster.
# Sourced by install.sh, which sets `set -euo pipefail`, the constants and the output helpers
# (say, step, ok, note, warn, fail, query, change); not a program of its own.
# shellcheck shell=bash disable=SC2034  # globals set here are read by the other parts

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
