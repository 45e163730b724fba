{{/*
Deployment of one service. Call with (dict "root" $ "component" "pseudonymizer"|"shredder").
Both services run the same image as `ampseal run <component>` and serve /healthz, /readyz and /metrics on
config.httpPort; the shredder's admin API, when on, has a port of its own (shredder.admin.port).
*/}}
{{- define "ampseal.deployment" -}}
{{- $root := .root }}
{{- $component := .component }}
{{- $v := index $root.Values $component }}
{{- /* Both read the policy: the pseudonymizer its audiences, the shredder its tenants' linkability (token epochs). */}}
{{- $usePolicy := $root.Values.policy.enabled }}
{{- $tenantKeys := $root.Values.config.kms.tenantKeys }}
{{- $isShredder := eq $component "shredder" }}
{{- $admin := and $isShredder $root.Values.shredder.admin.enabled }}
{{- $adminTls := and $admin $root.Values.shredder.admin.tls.existingSecret }}
{{- $signing := and $isShredder $root.Values.requestSigning.existingSecret }}
{{- $secretSources := include "ampseal.secretSources" (dict "root" $root "component" $component) | trim }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "ampseal.componentFullname" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ampseal.componentLabels" . | nindent 4 }}
spec:
  replicas: {{ $v.replicaCount }}
  strategy:
    {{- toYaml $v.updateStrategy | nindent 4 }}
  selector:
    matchLabels:
      {{- include "ampseal.componentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- $checksum := and $usePolicy (not $root.Values.policy.existingConfigMap) }}
      {{- $tokensChecksum := and $admin (not $root.Values.shredder.admin.tokens.existingSecret) }}
      {{- if or $checksum $tokensChecksum $tenantKeys $v.podAnnotations }}
      annotations:
        {{- if $checksum }}
        # Roll the pods when the policy changes: it is read once at start.
        checksum/policy: {{ $root.Values.policy.content | sha256sum }}
        {{- end }}
        {{- if $tenantKeys }}
        # Roll the pods when a tenant's key or region changes: the file is read once at start.
        checksum/tenant-keys: {{ toJson $tenantKeys | sha256sum }}
        {{- end }}
        {{- if $tokensChecksum }}
        # Roll the pods when the operators change: the token file is read once at start.
        checksum/admin-tokens: {{ toJson $root.Values.shredder.admin.tokens.operators | sha256sum }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      labels:
        {{- include "ampseal.componentLabels" . | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "ampseal.serviceAccountName" . }}
      automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . | quote }}
        {{- end }}
      {{- end }}
      # Longer than the drain deadline (AMPSEAL_STOP_DEADLINE_MS): SIGTERM drains, SIGKILL only after.
      terminationGracePeriodSeconds: {{ include "ampseal.terminationGracePeriodSeconds" . }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ $component }}
          image: {{ include "ampseal.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          workingDir: {{ $root.Values.image.workingDir | quote }}
          command:
            {{- range $root.Values.image.command }}
            - {{ . | quote }}
            {{- end }}
            - run
            - {{ $component }}
          ports:
            - name: http
              containerPort: {{ int64 $root.Values.config.httpPort }}
              protocol: TCP
            {{- if $admin }}
            - name: admin
              containerPort: {{ int64 $root.Values.shredder.admin.port }}
              protocol: TCP
            {{- end }}
          env:
            {{- include "ampseal.env" . | nindent 12 }}
            {{- if eq $component "pseudonymizer" }}
            - name: AMPSEAL_AUDIENCES
              value: {{ join "," $v.audiences | quote }}
            - name: AMPSEAL_MAX_RECORDS_PER_TRANSACTION
              value: {{ int64 $v.maxRecordsPerTransaction | toString | quote }}
            - name: AMPSEAL_MAX_TRANSACTION_MS
              value: {{ int64 $v.maxTransactionMs | toString | quote }}
            - name: AMPSEAL_DELIVERY
              value: {{ $v.delivery | quote }}
            - name: AMPSEAL_HANDLER_THREADS
              value: {{ int64 $v.handlerThreads | toString | quote }}
            {{- with $v.partitionsConcurrently }}
            - name: AMPSEAL_PARTITIONS_CONCURRENTLY
              value: {{ int64 . | toString | quote }}
            {{- end }}
            {{- with $v.roamingRecipients }}
            - name: AMPSEAL_ROAMING_RECIPIENTS
              value: {{ join "," . | quote }}
            {{- end }}
            {{- end }}
            {{- if $usePolicy }}
            - name: AMPSEAL_POLICY_FILE
              value: {{ printf "%s/%s" (trimSuffix "/" $root.Values.policy.mountPath) $root.Values.policy.key | quote }}
            {{- end }}
            {{- if $admin }}
            - name: AMPSEAL_ADMIN_PORT
              value: {{ int64 $root.Values.shredder.admin.port | toString | quote }}
            - name: AMPSEAL_ADMIN_MAX_CONNECTIONS
              value: {{ int64 $root.Values.shredder.admin.maxConnections | toString | quote }}
            - name: AMPSEAL_ADMIN_TOKENS_FILE
              value: /etc/ampseal/admin-tokens/tokens
            - name: AMPSEAL_ADMIN_CONSOLE
              value: {{ $root.Values.shredder.admin.console.enabled | toString | quote }}
            - name: AMPSEAL_ADMIN_CONSOLE_SESSION_MINUTES
              value: {{ int64 $root.Values.shredder.admin.console.sessionMinutes | toString | quote }}
            {{- if $adminTls }}
            - name: AMPSEAL_ADMIN_TLS_CERT_FILE
              value: /etc/ampseal/admin-tls/tls.crt
            - name: AMPSEAL_ADMIN_TLS_KEY_FILE
              value: /etc/ampseal/admin-tls/tls.key
            {{- end }}
            {{- end }}
            {{- if $isShredder }}
            - name: AMPSEAL_EPOCH_DESTROY_INTERVAL_MS
              value: {{ int64 $root.Values.shredder.epochDestroyIntervalMs | toString | quote }}
            {{- if $signing }}
            # The signing key as a file, never an environment variable (those end up in crash dumps and `ps e`).
            - name: AMPSEAL_REQUEST_SIGNING_KEY_FILE
              value: /etc/ampseal/request-signing/key
            {{- if $root.Values.requestSigning.previousKey }}
            - name: AMPSEAL_REQUEST_SIGNING_KEY_PREVIOUS_FILE
              value: /etc/ampseal/request-signing/previous
            {{- end }}
            {{- end }}
            - name: AMPSEAL_REQUEST_SIGNATURES
              value: {{ $root.Values.requestSigning.mode | quote }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          # Start-up unwraps tenant key sets and registers the Avro schema before the port answers.
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          # Liveness checks the process only: a Redis or KMS outage pauses the service (fail closed), it
          # must not restart it.
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $secretSources }}
            - name: secrets
              mountPath: /etc/ampseal/secrets
              readOnly: true
            {{- end }}
            {{- if $usePolicy }}
            - name: policy
              mountPath: {{ $root.Values.policy.mountPath | quote }}
              readOnly: true
            {{- end }}
            {{- if $tenantKeys }}
            - name: tenant-keys
              mountPath: /etc/ampseal/tenant-keys
              readOnly: true
            {{- end }}
            {{- if $admin }}
            - name: admin-tokens
              mountPath: /etc/ampseal/admin-tokens
              readOnly: true
            {{- end }}
            {{- if $adminTls }}
            - name: admin-tls
              mountPath: /etc/ampseal/admin-tls
              readOnly: true
            {{- end }}
            {{- if $signing }}
            - name: request-signing
              mountPath: /etc/ampseal/request-signing
              readOnly: true
            {{- end }}
      volumes:
        # The root filesystem is read-only; /tmp is the only writable path.
        - name: tmp
          emptyDir:
            sizeLimit: {{ $root.Values.tmpSizeLimit }}
        {{- if $secretSources }}
        # Passwords, tokens, CA bundles and client keys as files (AMPSEAL_*_FILE), never as environment values.
        - name: secrets
          projected:
            defaultMode: 0440
            sources:
              {{- $secretSources | nindent 14 }}
        {{- end }}
        {{- if $usePolicy }}
        - name: policy
          configMap:
            name: {{ include "ampseal.policyConfigMapName" $root }}
            items:
              - key: {{ $root.Values.policy.key | quote }}
                path: {{ $root.Values.policy.key | quote }}
        {{- end }}
        {{- if $tenantKeys }}
        - name: tenant-keys
          configMap:
            name: {{ printf "%s-tenant-keys" (include "ampseal.fullname" $root) }}
        {{- end }}
        # Secret files readable by the pod's group (fsGroup) only.
        {{- if $admin }}
        - name: admin-tokens
          secret:
            secretName: {{ include "ampseal.adminTokensSecretName" $root | quote }}
            defaultMode: 0440
            items:
              - key: {{ $root.Values.shredder.admin.tokens.key | quote }}
                path: tokens
        {{- end }}
        {{- if $adminTls }}
        - name: admin-tls
          secret:
            secretName: {{ $root.Values.shredder.admin.tls.existingSecret | quote }}
            defaultMode: 0440
            items:
              - key: tls.crt
                path: tls.crt
              - key: tls.key
                path: tls.key
        {{- end }}
        {{- if $signing }}
        - name: request-signing
          secret:
            secretName: {{ $root.Values.requestSigning.existingSecret | quote }}
            defaultMode: 0440
            items:
              - key: {{ $root.Values.requestSigning.key | quote }}
                path: key
              {{- with $root.Values.requestSigning.previousKey }}
              - key: {{ . | quote }}
                path: previous
              {{- end }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml $v.topologySpreadConstraints | nindent 8 }}
      {{- else if gt (int64 $v.replicaCount) 1 }}
      # Best effort: spread replicas over nodes so one node loss does not stop the whole service.
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "ampseal.componentSelectorLabels" . | nindent 14 }}
      {{- end }}
{{- end }}

{{/*
PodDisruptionBudget of one service; same arguments as ampseal.deployment.
*/}}
{{- define "ampseal.podDisruptionBudget" -}}
{{- $v := index .root.Values .component }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "ampseal.componentFullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ampseal.componentLabels" . | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $v.podDisruptionBudget.minAvailable) }}
  minAvailable: {{ $v.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "ampseal.componentSelectorLabels" . | nindent 6 }}
{{- end }}

{{/*
Service of one service's ports: the ops endpoints, and the shredder's admin API when it is on.
*/}}
{{- define "ampseal.service" -}}
{{- $v := index .root.Values .component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "ampseal.componentFullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ampseal.componentLabels" . | nindent 4 }}
spec:
  type: {{ $v.service.type }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
    {{- if and (eq .component "shredder") .root.Values.shredder.admin.enabled }}
    - name: admin
      port: {{ .root.Values.shredder.admin.port }}
      targetPort: admin
      protocol: TCP
    {{- end }}
  selector:
    {{- include "ampseal.componentSelectorLabels" . | nindent 4 }}
{{- end }}
