/**
 * What `kubectl kustomize deploy/kustomize/base` renders, read as a container runtime would run
 * it: the ConfigMap's config file and, per Deployment, its container's args, env (downward-API
 * fields resolved for a named pod), user, read-only root, dropped capabilities, ports, the
 * emptyDir mounts (tmpfs here), the grace period and the preStop command. Anything the base
 * gains that this cannot run the same way (a secretKeyRef, another volume kind) is an error, so
 * the container test never silently runs something other than the manifests.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}

interface Container {
  readonly name: string;
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
  readonly lifecycle?: { preStop?: { exec?: { command: string[] } } };
  readonly securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  readonly volumeMounts?: Array<{ name: string; mountPath: string }>;
  readonly resources?: { limits?: { memory?: string } };
}

interface Deployment {
  readonly kind: string;
  readonly metadata: { name: string };
  readonly spec: {
    replicas: number;
    template: {
      spec: {
        terminationGracePeriodSeconds?: number;
        securityContext?: { runAsUser?: number; runAsGroup?: number };
        containers: Container[];
        volumes?: Array<{ name: string; configMap?: { name: string }; emptyDir?: unknown }>;
      };
    };
  };
}

/** One Deployment's pod, as a container runtime needs it. */
export interface PodTemplate {
  readonly deployment: string;
  readonly replicas: number;
  readonly args: readonly string[];
  /** `uid:gid` from the pod's securityContext. */
  readonly user: string;
  readonly readOnlyRootFilesystem: boolean;
  readonly noNewPrivileges: boolean;
  readonly dropCapabilities: readonly string[];
  readonly ports: ReadonlyArray<{ name: string; containerPort: number; protocol: string }>;
  /** Where the ConfigMap is mounted (the directory holding config.yaml). */
  readonly configMountPath: string;
  /** emptyDir mount paths: a tmpfs each. */
  readonly tmpfs: readonly string[];
  readonly gracePeriodSeconds: number;
  /** limits.memory in GiB, when the container has one. */
  readonly memoryLimitGiB?: number;
  readonly preStop?: readonly string[];
  /** The container's env for a pod of this name (downward API resolved). */
  env(pod: { name: string; namespace: string; nodeName: string; podAddress: string }): Record<string, string>;
}

export interface RenderedBase {
  /** The ConfigMap's config.yaml, as rendered. */
  readonly config: string;
  readonly pods: ReadonlyMap<string, PodTemplate>;
}

const FIELDS: Readonly<Record<string, 'name' | 'namespace' | 'nodeName' | 'podAddress'>> = {
  'metadata.name': 'name',
  'metadata.namespace': 'namespace',
  'spec.nodeName': 'nodeName',
  // What reaches this pod from the others: on the test's Docker network, its alias.
  'status.podIP': 'podAddress',
};

/** A Kubernetes memory quantity (Mi, Gi) in GiB. */
function gibibytes(deployment: string, quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`${deployment}: memory limit ${quantity} is not in Mi or Gi`);
  return Number(m[1]) / (m[2] === 'Mi' ? 1024 : 1);
}

function podTemplate(d: Deployment, configMapName: string): PodTemplate {
  const pod = d.spec.template.spec;
  if (pod.containers.length !== 1) throw new Error(`${d.metadata.name}: one container expected, found ${pod.containers.length}`);
  const c = pod.containers[0]!;
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  let configMountPath: string | undefined;
  const tmpfs: string[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (v?.configMap?.name === configMapName) configMountPath = m.mountPath;
    else if (v?.emptyDir !== undefined) tmpfs.push(m.mountPath);
    else throw new Error(`${d.metadata.name}: volume ${m.name} is neither the ConfigMap nor an emptyDir; the container test cannot mount it`);
  }
  if (!configMountPath) throw new Error(`${d.metadata.name}: the ConfigMap ${configMapName} is not mounted`);
  const env = c.env ?? [];
  for (const e of env) {
    if (e.value === undefined && !(e.valueFrom?.fieldRef && FIELDS[e.valueFrom.fieldRef.fieldPath])) {
      throw new Error(`${d.metadata.name}: env ${e.name} comes from something the container test cannot resolve`);
    }
  }
  const sc = pod.securityContext ?? {};
  return {
    deployment: d.metadata.name,
    replicas: d.spec.replicas,
    args: c.args ?? [],
    user: `${sc.runAsUser ?? 0}:${sc.runAsGroup ?? sc.runAsUser ?? 0}`,
    readOnlyRootFilesystem: c.securityContext?.readOnlyRootFilesystem === true,
    noNewPrivileges: c.securityContext?.allowPrivilegeEscalation === false,
    dropCapabilities: c.securityContext?.capabilities?.drop ?? [],
    ports: (c.ports ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
    configMountPath,
    tmpfs,
    gracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
    ...(c.lifecycle?.preStop?.exec ? { preStop: c.lifecycle.preStop.exec.command } : {}),
    ...(c.resources?.limits?.memory ? { memoryLimitGiB: gibibytes(d.metadata.name, c.resources.limits.memory) } : {}),
    env: (p) => Object.fromEntries(env.map((e) => [e.name, e.value ?? p[FIELDS[e.valueFrom!.fieldRef!.fieldPath]!]])),
  };
}

/** Renders the kustomize base (kubectl must be on PATH; .ci/run installs it). */
export function renderKustomizeBase(): RenderedBase {
  const text = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'deploy/kustomize/base')], { encoding: 'utf8' });
  const objects = parseAllDocuments(text).map((d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string> });
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  if (configMaps.length !== 1 || !configMaps[0]!.data?.['config.yaml']) throw new Error('the base should render one ConfigMap with config.yaml');
  const cm = configMaps[0]!;
  const pods = new Map<string, PodTemplate>();
  for (const d of objects.filter((o) => o.kind === 'Deployment') as unknown as Deployment[]) pods.set(d.metadata.name, podTemplate(d, cm.metadata.name));
  return { config: cm.data!['config.yaml']!, pods };
}
