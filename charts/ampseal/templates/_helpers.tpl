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
Name of one service's ServiceAccount; call with (dict "root" $ "component" ...). One per service, so each has
its own cloud role and Kafka principal.
*/}}
{{- define "ampseal.serviceAccountName" -}}
{{- $sa := (index .root.Values .component).serviceAccount }}
{{- if .root.Values.serviceAccount.create }}
{{- default (include "ampseal.componentFullname" .) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{/*
The Secret holding the shredder's admin token file: the existing one, or the one the chart writes from
shredder.admin.tokens.operators.
*/}}
{{- define "ampseal.adminTokensSecretName" -}}
{{- default (printf "%s-shredder-admin-tokens" (include "ampseal.fullname" .)) .Values.shredder.admin.tokens.existingSecret }}
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
{{- $admin := .Values.shredder.admin }}
{{- if and .Values.shredder.enabled $admin.enabled (not $admin.tokens.existingSecret) (not $admin.tokens.operators) }}
{{- fail "shredder.admin.enabled needs shredder.admin.tokens.operators (name and sha256 of each token) or shredder.admin.tokens.existingSecret: without operators nobody could use the admin API" }}
{{- end }}
{{- if and .Values.shredder.enabled $admin.enabled (eq (int64 $admin.port) (int64 .Values.config.httpPort)) }}
{{- fail "shredder.admin.port must differ from config.httpPort: the admin API has a port of its own" }}
{{- end }}
{{- if and .Values.requestSigning.previousKey (not .Values.requestSigning.existingSecret) }}
{{- fail "requestSigning.previousKey needs requestSigning.existingSecret" }}
{{- end }}
{{- if and (eq .Values.requestSigning.mode "required") (not .Values.requestSigning.existingSecret) }}
{{- fail "requestSigning.mode=required needs requestSigning.existingSecret (the signing key); set mode=off to run without signed requests" }}
{{- end }}
{{- if and .Values.policy.enabled (not .Values.policy.existingConfigMap) (not .Values.policy.content) }}
{{- fail "policy.enabled needs policy.content (the policy YAML) or policy.existingConfigMap" }}
{{- end }}
{{- end }}

{{/*
Environment shared by both services (services/runtime/src/config.ts). Numbers go through int64 so large
values are not printed in float notation (3.6e+06).
*/}}
{{/*
A service's SASL settings: its own kafkaSasl (one principal per service, for ACLs) over config.kafka.sasl.
Rendered as YAML; read back with fromYaml.
*/}}
{{- define "ampseal.kafkaSasl" -}}
{{- $v := index .root.Values .component }}
{{- toYaml (merge (dict) (deepCopy ($v.kafkaSasl | default dict)) (deepCopy .root.Values.config.kafka.sasl)) }}
{{- end }}

{{/*
The secrets a service reads as files (Kubernetes secret mounts), as projected-volume sources under /etc/ampseal/secrets:
kafka-tls/, kafka-sasl/, registry/, redis/. Empty when none is configured.
*/}}
{{- define "ampseal.secretSources" -}}
{{- $c := .root.Values.config }}
{{- $sasl := include "ampseal.kafkaSasl" . | fromYaml }}
{{- $tls := $c.kafka.tls }}
{{- if and $tls.enabled $tls.existingSecret }}
- secret:
    name: {{ $tls.existingSecret | quote }}
    items:
      {{- range $k := list $tls.caKey $tls.certKey $tls.keyKey }}
      {{- if $k }}
      - key: {{ $k | quote }}
        path: {{ printf "kafka-tls/%s" $k | quote }}
      {{- end }}
      {{- end }}
{{- end }}
{{- if and (has $sasl.mechanism (list "plain" "scram-sha-256" "scram-sha-512")) $sasl.existingSecret }}
- secret:
    name: {{ $sasl.existingSecret | quote }}
    items:
      - key: {{ $sasl.passwordKey | quote }}
        path: kafka-sasl/password
{{- end }}
{{- $reg := $c.schemaRegistry }}
{{- if $reg.existingSecret }}
- secret:
    name: {{ $reg.existingSecret | quote }}
    items:
      {{- if $reg.username }}
      - key: {{ $reg.passwordKey | quote }}
        path: registry/password
      {{- end }}
      {{- with $reg.tokenKey }}
      - key: {{ . | quote }}
        path: registry/token
      {{- end }}
      {{- with $reg.caKey }}
      - key: {{ . | quote }}
        path: registry/ca.crt
      {{- end }}
{{- end }}
{{- if or $c.redis.passwordKey $c.redis.caKey }}
- secret:
    name: {{ $c.redis.existingSecret | quote }}
    items:
      {{- with $c.redis.passwordKey }}
      - key: {{ . | quote }}
        path: redis/password
      {{- end }}
      {{- with $c.redis.caKey }}
      - key: {{ . | quote }}
        path: redis/ca.crt
      {{- end }}
{{- end }}
{{- end }}

{{- define "ampseal.env" -}}
{{- $root := .root }}
{{- $c := $root.Values.config }}
{{- $v := index $root.Values .component -}}
{{- $sasl := include "ampseal.kafkaSasl" . | fromYaml }}
# One instance id per pod (logs, Kafka client id); the pod name is unique and stable for the pod's life.
- name: AMPSEAL_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: AMPSEAL_GROUP_ID
  value: {{ $v.groupId | quote }}
- name: AMPSEAL_KAFKA_BROKERS
  value: {{ join "," $c.kafka.brokers | quote }}
- name: AMPSEAL_KAFKA_ALLOW_PLAINTEXT
  value: {{ $c.kafka.allowPlaintext | toString | quote }}
- name: AMPSEAL_KAFKA_SSL
  value: {{ $c.kafka.tls.enabled | toString | quote }}
{{- if and $c.kafka.tls.enabled $c.kafka.tls.existingSecret }}
{{- with $c.kafka.tls.caKey }}
- name: AMPSEAL_KAFKA_SSL_CA_FILE
  value: {{ printf "/etc/ampseal/secrets/kafka-tls/%s" . | quote }}
{{- end }}
{{- if and $c.kafka.tls.certKey $c.kafka.tls.keyKey }}
- name: AMPSEAL_KAFKA_SSL_CERT_FILE
  value: {{ printf "/etc/ampseal/secrets/kafka-tls/%s" $c.kafka.tls.certKey | quote }}
- name: AMPSEAL_KAFKA_SSL_KEY_FILE
  value: {{ printf "/etc/ampseal/secrets/kafka-tls/%s" $c.kafka.tls.keyKey | quote }}
{{- end }}
{{- end }}
- name: AMPSEAL_KAFKA_SASL_MECHANISM
  value: {{ $sasl.mechanism | quote }}
{{- if has $sasl.mechanism (list "plain" "scram-sha-256" "scram-sha-512") }}
- name: AMPSEAL_KAFKA_SASL_USERNAME
  value: {{ required "config.kafka.sasl.username (or <service>.kafkaSasl.username) is required for PLAIN/SCRAM" $sasl.username | quote }}
{{- $_ := required "config.kafka.sasl.existingSecret (or <service>.kafkaSasl.existingSecret) is required for PLAIN/SCRAM" $sasl.existingSecret }}
- name: AMPSEAL_KAFKA_SASL_PASSWORD_FILE
  value: /etc/ampseal/secrets/kafka-sasl/password
{{- else if eq $sasl.mechanism "aws-msk-iam" }}
- name: AMPSEAL_KAFKA_AWS_REGION
  value: {{ required "config.kafka.sasl.awsRegion is required for aws-msk-iam" $sasl.awsRegion | quote }}
{{- else if eq $sasl.mechanism "oauthbearer" }}
- name: AMPSEAL_KAFKA_OAUTH_TOKEN_FILE
  value: {{ required "config.kafka.sasl.oauthTokenFile is required for oauthbearer" $sasl.oauthTokenFile | quote }}
{{- end }}
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
- name: AMPSEAL_SCHEMA_REGISTRY_ALLOW_PLAINTEXT
  value: {{ $c.schemaRegistry.allowPlaintext | toString | quote }}
{{- with $c.schemaRegistry }}
{{- if .existingSecret }}
{{- if .username }}
- name: AMPSEAL_SCHEMA_REGISTRY_USERNAME
  value: {{ .username | quote }}
- name: AMPSEAL_SCHEMA_REGISTRY_PASSWORD_FILE
  value: /etc/ampseal/secrets/registry/password
{{- end }}
{{- if .tokenKey }}
- name: AMPSEAL_SCHEMA_REGISTRY_TOKEN_FILE
  value: /etc/ampseal/secrets/registry/token
{{- end }}
{{- if .caKey }}
- name: AMPSEAL_SCHEMA_REGISTRY_CA_FILE
  value: /etc/ampseal/secrets/registry/ca.crt
{{- end }}
{{- end }}
{{- end }}
- name: AMPSEAL_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $c.redis.existingSecret | quote }}
      key: {{ $c.redis.key | quote }}
- name: AMPSEAL_REDIS_ALLOW_PLAINTEXT
  value: {{ $c.redis.allowPlaintext | toString | quote }}
{{- with $c.redis.username }}
- name: AMPSEAL_REDIS_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- if $c.redis.passwordKey }}
- name: AMPSEAL_REDIS_PASSWORD_FILE
  value: /etc/ampseal/secrets/redis/password
{{- end }}
{{- if $c.redis.caKey }}
- name: AMPSEAL_REDIS_CA_FILE
  value: /etc/ampseal/secrets/redis/ca.crt
{{- end }}
{{- with $c.kms.endpoint }}
- name: AMPSEAL_KMS_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: AMPSEAL_KMS_EMULATOR
  value: {{ $c.kms.emulator | toString | quote }}
- name: AMPSEAL_KMS_REGION
  value: {{ $c.kms.region | quote }}
- name: AMPSEAL_KMS_ALIAS_PREFIX
  value: {{ $c.kms.aliasPrefix | quote }}
{{- if $c.kms.tenantKeys }}
{{- if $c.kms.endpoint }}
{{- fail "config.kms.endpoint must be empty with config.kms.tenantKeys: name each region's endpoint under tenantKeys.regions" }}
{{- end }}
- name: AMPSEAL_TENANT_KEYS_FILE
  value: /etc/ampseal/tenant-keys/tenant-keys.yaml
{{- end }}
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
