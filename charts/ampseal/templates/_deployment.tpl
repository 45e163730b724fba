{{/*
Deployment of one service. Call with (dict "root" $ "component" "pseudonymizer"|"shredder").
Both services run the same image as `ampseal run <component>` and serve /healthz, /readyz and /metrics
(the shredder also /admin) on config.httpPort.
*/}}
{{- define "ampseal.deployment" -}}
{{- $root := .root }}
{{- $component := .component }}
{{- $v := index $root.Values $component }}
{{- $usePolicy := and (eq $component "pseudonymizer") $root.Values.policy.enabled }}
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
      {{- if or $checksum $v.podAnnotations }}
      annotations:
        {{- if $checksum }}
        # Roll the pods when the policy changes: it is read once at start.
        checksum/policy: {{ $root.Values.policy.content | sha256sum }}
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
      serviceAccountName: {{ include "ampseal.serviceAccountName" $root }}
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
          env:
            {{- include "ampseal.env" . | nindent 12 }}
            {{- if eq $component "pseudonymizer" }}
            - name: AMPSEAL_AUDIENCES
              value: {{ join "," $v.audiences | quote }}
            - name: AMPSEAL_MAX_RECORDS_PER_TRANSACTION
              value: {{ int64 $v.maxRecordsPerTransaction | toString | quote }}
            {{- with $v.roamingRecipients }}
            - name: AMPSEAL_ROAMING_RECIPIENTS
              value: {{ join "," . | quote }}
            {{- end }}
            {{- if $usePolicy }}
            - name: AMPSEAL_POLICY_FILE
              value: {{ printf "%s/%s" (trimSuffix "/" $root.Values.policy.mountPath) $root.Values.policy.key | quote }}
            {{- end }}
            {{- end }}
            {{- if and (eq $component "shredder") $v.adminToken.existingSecret }}
            - name: AMPSEAL_ADMIN_TOKEN
              valueFrom:
                secretKeyRef:
                  name: {{ $v.adminToken.existingSecret | quote }}
                  key: {{ $v.adminToken.key | quote }}
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
Service of one service's port (ops endpoints; the shredder's admin API too).
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
  selector:
    {{- include "ampseal.componentSelectorLabels" . | nindent 4 }}
{{- end }}
