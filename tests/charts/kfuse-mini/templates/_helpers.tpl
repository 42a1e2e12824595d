{{/*
Shared pieces. Each workload template calls "kfuse.statefulset" or "kfuse.deployment" with a dict:
  root: the top-level context, name: the workload name, replicas: its replica count, and optionally
  port, env (a list), volume (a persistence block: size, storageClass) for a StatefulSet.
*/}}

{{- define "kfuse.selectorLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "kfuse.labels" -}}
{{ include "kfuse.selectorLabels" . }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/part-of: kfuse
helm.sh/chart: {{ .root.Chart.Name }}-{{ .root.Chart.Version }}
{{- end }}

{{/* Node placement shared by every pod: the rig-only pool selector and tolerations. */}}
{{- define "kfuse.placement" -}}
{{- with .root.Values.global.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.global.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The pod template: one tiny container, spread evenly over nodes (maxSkew 1 per hostname, hard) and
zones (soft), so "evenly distributed over nodes" is observable on the rig.
*/}}
{{- define "kfuse.podTemplate" -}}
metadata:
  labels:
    {{- include "kfuse.labels" . | nindent 4 }}
  {{- with .root.Values.global.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  terminationGracePeriodSeconds: 10
  {{- include "kfuse.placement" . | nindent 2 }}
  {{- if not .daemon }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: DoNotSchedule
      labelSelector:
        matchLabels:
          {{- include "kfuse.selectorLabels" . | nindent 10 }}
    - maxSkew: 1
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "kfuse.selectorLabels" . | nindent 10 }}
  {{- end }}
  containers:
    - name: {{ .name }}
      image: "{{ .root.Values.global.image.repository }}:{{ .root.Chart.Version }}"
      imagePullPolicy: IfNotPresent
      {{- with .env }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml .root.Values.global.resources | nindent 8 }}
      {{- if and .volume .root.Values.global.persistence.enabled }}
      volumeMounts:
        - name: data
          mountPath: /data
      {{- end }}
{{- end }}

{{- define "kfuse.headlessService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}-headless
  labels:
    {{- include "kfuse.labels" . | nindent 4 }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- include "kfuse.selectorLabels" . | nindent 4 }}
  ports:
    - name: main
      port: {{ .port | default 8080 }}
{{- end }}

{{- define "kfuse.statefulset" -}}
{{ include "kfuse.headlessService" . }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .name }}
  labels:
    {{- include "kfuse.labels" . | nindent 4 }}
spec:
  replicas: {{ .replicas }}
  serviceName: {{ .name }}-headless
  podManagementPolicy: Parallel
  updateStrategy:
    type: RollingUpdate
  selector:
    matchLabels:
      {{- include "kfuse.selectorLabels" . | nindent 6 }}
  template:
    {{- include "kfuse.podTemplate" . | nindent 4 }}
  {{- if and .volume .root.Values.global.persistence.enabled }}
  {{- /* Immutable once created, as in the real chart: a changed size fails the upgrade. */}}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        {{- with (.volume.storageClass | default .root.Values.global.storageClass) }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ .volume.size }}
  {{- end }}
{{- end }}

{{- define "kfuse.deployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    {{- include "kfuse.labels" . | nindent 4 }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      {{- include "kfuse.selectorLabels" . | nindent 6 }}
  template:
    {{- include "kfuse.podTemplate" . | nindent 4 }}
{{- end }}

{{/* policy/v1 where the server has it; the rig's Kubernetes 1.20 has only policy/v1beta1. */}}
{{- define "kfuse.pdb" -}}
apiVersion: {{ ternary "policy/v1" "policy/v1beta1" (.root.Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget") }}
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  labels:
    {{- include "kfuse.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "kfuse.selectorLabels" . | nindent 6 }}
{{- end }}

{{/* A hook Job with a fixed name, as the real chart's topic-creation and setup jobs. */}}
{{- define "kfuse.hookJob" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .name }}
  labels:
    {{- include "kfuse.labels" . | nindent 4 }}
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-weight: {{ .weight | default 0 | quote }}
    helm.sh/hook-delete-policy: {{ .root.Values.hooks.deletePolicy }}
spec:
  backoffLimit: {{ .root.Values.hooks.backoffLimit }}
  ttlSecondsAfterFinished: {{ .root.Values.hooks.ttlSecondsAfterFinished }}
  template:
    metadata:
      labels:
        {{- include "kfuse.labels" . | nindent 8 }}
      {{- with .root.Values.global.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      {{- include "kfuse.placement" . | nindent 6 }}
      containers:
        - name: {{ .name }}
          image: "{{ .root.Values.global.image.repository }}:{{ .root.Chart.Version }}"
          imagePullPolicy: IfNotPresent
          args:
            {{- toYaml .args | nindent 12 }}
          resources:
            {{- toYaml .root.Values.global.resources | nindent 12 }}
{{- end }}
