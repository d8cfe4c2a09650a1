{{/* Names: the scaler's objects are <fullname> (default airflow-keda-scaler). */}}
{{- define "aks.name" -}}
{{- default "airflow-keda-scaler" .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "aks.fullname" -}}
{{- default (include "aks.name" .) .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "aks.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aks.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: scaler
{{- end -}}

{{- define "aks.labels" -}}
app.kubernetes.io/name: {{ include "aks.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: airflow
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "aks.image" -}}
{{- if not .Values.image.repository -}}
{{- fail "image.repository is required: the airflow-keda-scaler image you built from the Dockerfile and pushed" -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else if .Values.image.tag -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- else -}}
{{- fail "image.tag or image.digest is required: an explicit version of the airflow-keda-scaler image" -}}
{{- end -}}
{{- end -}}

{{/* host:port KEDA dials: the headless Service, whose DNS name returns every ready replica. */}}
{{- define "aks.scalerAddress" -}}
{{ include "aks.fullname" . }}.{{ .Release.Namespace }}.svc.cluster.local:{{ .Values.config.grpc.port }}
{{- end -}}

{{- define "aks.brokerSecret" -}}
{{ default (printf "%s-broker-url" .Values.airflow.release) .Values.broker.urlSecret.name }}
{{- end -}}

{{/* The Lease the replicas elect a leader with (Role: get/update on this name only). */}}
{{- define "aks.leaseName" -}}
{{ include "aks.fullname" . }}
{{- end -}}
