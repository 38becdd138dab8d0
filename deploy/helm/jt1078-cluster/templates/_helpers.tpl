{{- define "jt1078.name" -}}{{ .Release.Name }}-jt1078{{- end -}}
{{- define "jt1078.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{- end -}}
{{/* One pod spec for every service; the command picks. */}}
{{- define "jt1078.pod" -}}
serviceAccountName: {{ .serviceAccount | default (include "jt1078.name" .root) }}
terminationGracePeriodSeconds: {{ .grace | default 30 }}
securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 }
containers:
  - name: {{ .service }}
    image: {{ include "jt1078.image" .root }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    args: [{{ .service | quote }}, "--config", "/etc/jt1078/config.yaml"]
    env:
      # Downward API: pods name themselves in the registry and metrics; the intercom finds its node.
      - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
      - { name: POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
      - { name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
      # Packager replicas reach each other here to proxy streams they do not package.
      - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
      - { name: NATS_URL, value: {{ .root.Values.nats.url | quote }} }
      - { name: REDIS_URL, value: {{ .root.Values.redis.url | quote }} }
    ports:
      - { name: http, containerPort: 8080, protocol: TCP }
{{- range .ports }}
      - { name: {{ .name }}, containerPort: {{ .port }}, protocol: {{ .protocol }} }
{{- end }}
    readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 5 }
    livenessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 10 }
{{- if .preStop }}
    lifecycle: { preStop: { exec: { command: ["sleep", {{ .preStop | quote }}] } } }
{{- end }}
    resources: {{ toYaml .resources | nindent 6 }}
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }
    volumeMounts:
      - { name: config, mountPath: /etc/jt1078 }
      - { name: tmp, mountPath: /tmp }
volumes:
  - { name: config, configMap: { name: {{ include "jt1078.name" .root }}-config } }
  - { name: tmp, emptyDir: {} }
{{- end -}}
