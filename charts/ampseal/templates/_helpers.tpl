{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "ampseal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: <release>-<chart>, or the release name when it already contains the chart name.
*/}}
{{- define "ampseal.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "ampseal.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "ampseal.labels" -}}
helm.sh/chart: {{ include "ampseal.chart" . }}
{{ include "ampseal.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ampseal
{{- end }}

{{/*
Selector labels shared by every component of the release.
*/}}
{{- define "ampseal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ampseal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount to use.
*/}}
{{- define "ampseal.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ampseal.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Per-component helpers. Call with (dict "root" $ "component" "pseudonymizer"|"shredder").
*/}}
{{- define "ampseal.componentFullname" -}}
{{- printf "%s-%s" (include "ampseal.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ampseal.componentLabels" -}}
{{ include "ampseal.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ampseal.componentSelectorLabels" -}}
{{ include "ampseal.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Container image: repository@digest when a digest is set, else repository:tag (tag defaults to appVersion).
*/}}
{{- define "ampseal.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Drain deadline in whole seconds, rounded up.
*/}}
{{- define "ampseal.stopDeadlineSeconds" -}}
{{- div (add (int64 .Values.config.stopDeadlineMs) 999) 1000 }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the drain deadline (AMPSEAL_STOP_DEADLINE_MS, rounded up) plus a margin, so
Kubernetes never SIGKILLs a pod whose drain is still within its deadline (the Kafka transaction in flight
would be aborted and the drain would exit 1). An explicit override must also exceed the deadline.
*/}}
{{- define "ampseal.terminationGracePeriodSeconds" -}}
{{- $root := .root }}
{{- $deadline := int64 (include "ampseal.stopDeadlineSeconds" $root) }}
{{- $margin := int64 $root.Values.config.terminationGraceMarginSeconds }}
{{- if lt $margin 1 }}
{{- fail (printf "config.terminationGraceMarginSeconds must be at least 1 (got %d)" $margin) }}
{{- end }}
{{- $override := (index $root.Values .component).terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $override }}
{{- add $deadline $margin }}
{{- else if le (int64 $override) $deadline }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must be larger than config.stopDeadlineMs (%d ms, %d s): Kubernetes would kill the drain before its deadline" .component (int64 $override) (int64 $root.Values.config.stopDeadlineMs) $deadline) }}
{{- else }}
{{- int64 $override }}
{{- end }}
{{- end }}

{{/*
Name of the ConfigMap holding the policy.
*/}}
{{- define "ampseal.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "ampseal.fullname" .)) .Values.policy.existingConfigMap }}
{{- end }}

{{/*
Cross-value checks that values.schema.json cannot express. Rendered once, from the Deployments.
*/}}
{{- define "ampseal.validate" -}}
{{- if and .Values.pseudonymizer.enabled .Values.shredder.enabled (eq .Values.pseudonymizer.groupId .Values.shredder.groupId) }}
{{- fail "pseudonymizer.groupId and shredder.groupId must differ: the two services consume different topics and must not share a consumer group" }}
{{- end }}
{{- if and .Values.policy.enabled (not .Values.policy.existingConfigMap) (not .Values.policy.content) }}
{{- fail "policy.enabled needs policy.content (the policy YAML) or policy.existingConfigMap" }}
{{- end }}
{{- end }}

{{/*
Environment shared by both services (services/runtime/src/config.ts). Numbers go through int64 so large
values are not printed in float notation (3.6e+06).
*/}}
{{- define "ampseal.env" -}}
{{- $root := .root }}
{{- $c := $root.Values.config }}
{{- $v := index $root.Values .component -}}
# One instance id per pod (logs, Kafka client id); the pod name is unique and stable for the pod's life.
- name: AMPSEAL_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: AMPSEAL_GROUP_ID
  value: {{ $v.groupId | quote }}
- name: AMPSEAL_KAFKA_BROKERS
  value: {{ join "," $c.kafka.brokers | quote }}
- name: AMPSEAL_KAFKA_SESSION_TIMEOUT_MS
  value: {{ int64 $c.kafka.sessionTimeoutMs | toString | quote }}
- name: AMPSEAL_CREATE_TOPICS
  value: {{ $c.kafka.createTopics | toString | quote }}
- name: AMPSEAL_TOPIC_PARTITIONS
  value: {{ int64 $c.kafka.topicPartitions | toString | quote }}
- name: AMPSEAL_TOPIC_REPLICATION_FACTOR
  value: {{ int64 $c.kafka.topicReplicationFactor | toString | quote }}
- name: AMPSEAL_TOPIC_MIN_INSYNC_REPLICAS
  value: {{ int64 $c.kafka.topicMinInsyncReplicas | toString | quote }}
- name: AMPSEAL_SCHEMA_REGISTRY_URL
  value: {{ $c.schemaRegistryUrl | quote }}
- name: AMPSEAL_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $c.redis.existingSecret | quote }}
      key: {{ $c.redis.key | quote }}
{{- with $c.kms.endpoint }}
- name: AMPSEAL_KMS_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: AMPSEAL_KMS_REGION
  value: {{ $c.kms.region | quote }}
- name: AMPSEAL_KMS_ALIAS_PREFIX
  value: {{ $c.kms.aliasPrefix | quote }}
- name: AMPSEAL_KEY_CACHE_SIZE
  value: {{ int64 $c.keyCache.size | toString | quote }}
- name: AMPSEAL_KEY_CACHE_TTL_MS
  value: {{ int64 $c.keyCache.ttlMs | toString | quote }}
- name: AMPSEAL_KEY_SET_REFRESH_MS
  value: {{ int64 $c.keySetRefreshMs | toString | quote }}
- name: AMPSEAL_COOCCURRENCE_TTL_DAYS
  value: {{ int64 $c.cooccurrence.ttlDays | toString | quote }}
- name: AMPSEAL_COOCCURRENCE_MAX_LINKS
  value: {{ int64 $c.cooccurrence.maxLinks | toString | quote }}
- name: AMPSEAL_COOCCURRENCE_MAX_SUBJECTS
  value: {{ int64 $c.cooccurrence.maxSubjects | toString | quote }}
- name: AMPSEAL_RAW_RETENTION_DAYS
  value: {{ int64 $c.rawRetentionDays | toString | quote }}
- name: AMPSEAL_MAX_BACKUP_AGE_DAYS
  value: {{ int64 $c.maxBackupAgeDays | toString | quote }}
- name: AMPSEAL_MAX_RECORD_BYTES
  value: {{ int64 $c.maxRecordBytes | toString | quote }}
{{- with $c.tenants }}
- name: AMPSEAL_TENANTS
  value: {{ join "," . | quote }}
{{- end }}
- name: AMPSEAL_LOG_LEVEL
  value: {{ $c.logLevel | quote }}
- name: AMPSEAL_HTTP_PORT
  value: {{ int64 $c.httpPort | toString | quote }}
- name: AMPSEAL_STOP_DEADLINE_MS
  value: {{ int64 $c.stopDeadlineMs | toString | quote }}
- name: AMPSEAL_TOPIC_OCPP_RAW
  value: {{ $c.topics.ocppRaw | quote }}
- name: AMPSEAL_TOPIC_OCPI_RAW
  value: {{ $c.topics.ocpiRaw | quote }}
- name: AMPSEAL_TOPIC_ANALYTICS
  value: {{ $c.topics.analytics | quote }}
- name: AMPSEAL_TOPIC_ROAMING
  value: {{ $c.topics.roaming | quote }}
- name: AMPSEAL_TOPIC_QUARANTINE
  value: {{ $c.topics.quarantine | quote }}
- name: AMPSEAL_TOPIC_ERASURE_REQUESTS
  value: {{ $c.topics.erasureRequests | quote }}
- name: AMPSEAL_TOPIC_ERASURE_EVENTS
  value: {{ $c.topics.erasureEvents | quote }}
- name: AMPSEAL_TOPIC_TOMBSTONES
  value: {{ $c.topics.tombstones | quote }}
{{- end }}
