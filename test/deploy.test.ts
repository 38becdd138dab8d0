/**
 * The Kubernetes artifacts: the kustomize base renders (kubectl kustomize) and every object
 * validates against the Kubernetes schemas (kubernetes-models); the chart's values.yaml
 * validates against values.schema.json, and every `.Values.x` a template uses exists in it;
 * skaffold.yaml points at the Dockerfile and the chart.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const CHART = path.join(ROOT, 'deploy/helm/jt1078-cluster');

/** apiVersion → the kubernetes-models module that has its classes. */
const MODULES: Readonly<Record<string, string>> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
};

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

let rendered: K8sObject[] | undefined;
function renderKustomize(): K8sObject[] {
  if (rendered) return rendered;
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'deploy/kustomize/base')], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`kubectl kustomize failed (${(err as Error).message}); install kubectl (.ci/run does)`, { cause: err });
  }
  rendered = parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
  return rendered;
}

interface PodTemplate {
  serviceAccountName: string;
  containers: Array<{ env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }> }>;
}
const podOf = (d: K8sObject) => (d.spec!['template'] as { spec: PodTemplate }).spec;

/** "get nodes", "get pods", ...: what the objects' (Cluster)RoleBindings grant a service account. */
function grants(objects: readonly K8sObject[], serviceAccount: string): string[] {
  const out: string[] = [];
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const binding = b as K8sObject & { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string }> };
    if (!binding.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount)) continue;
    const role = objects.find((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name) as (K8sObject & { rules: Array<{ resources: string[]; verbs: string[] }> }) | undefined;
    for (const r of role?.rules ?? []) for (const v of r.verbs) for (const res of r.resources) out.push(`${v} ${res}`);
  }
  return out.sort();
}

/** The downward-API variables every pod needs (POD_NAME names it in the registry and metrics; the intercom finds its node). */
const DOWNWARD_ENV = { POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', NODE_NAME: 'spec.nodeName', POD_IP: 'status.podIP' } as const;

describe('deploy/', () => {
  it('the kustomize base renders and every object validates against the Kubernetes schemas', async () => {
    const objects = renderKustomize();
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Deployment', 'Deployment', 'Deployment',
      'HorizontalPodAutoscaler', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget', 'PodDisruptionBudget', 'PodDisruptionBudget',
      'Role', 'RoleBinding', 'Service', 'Service', 'Service', 'Service', 'Service', 'ServiceAccount', 'ServiceAccount',
    ]);
    for (const o of objects) {
      const module = MODULES[o.apiVersion];
      expect(module, `${o.apiVersion} ${o.kind}`).toBeDefined();
      const Model = ((await import(module!)) as Record<string, new (o: unknown) => { validate(): void }>)[o.kind];
      expect(Model, o.kind).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    // What an ingest pod needs to drain: readiness, a preStop pause and a grace period beyond it.
    const ingest = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'jt1078-ingest')!;
    const pod = (ingest.spec!['template'] as { spec: { terminationGracePeriodSeconds: number; containers: Array<Record<string, unknown>> } }).spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    expect(pod.containers[0]).toHaveProperty('lifecycle.preStop');
    expect(pod.containers[0]).toHaveProperty('readinessProbe.httpGet.path', '/readyz');
    expect(pod.containers[0]).toHaveProperty('securityContext.readOnlyRootFilesystem', true);
  });

  it('every pod gets POD_NAME, POD_NAMESPACE, NODE_NAME and POD_IP from the downward API; only the intercom may read nodes and pods', () => {
    const objects = renderKustomize();
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['jt1078-ingest', 'jt1078-intercom', 'jt1078-packager', 'jt1078-webhook']);
    for (const d of deployments) {
      const env = podOf(d).containers[0]!.env ?? [];
      for (const [name, fieldPath] of Object.entries(DOWNWARD_ENV)) {
        expect(env.find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath, `${d.metadata.name} ${name}`).toBe(fieldPath);
      }
    }
    const accountOf = (name: string) => podOf(deployments.find((d) => d.metadata.name === name)!).serviceAccountName;
    expect(grants(objects, accountOf('jt1078-intercom'))).toEqual(['get nodes', 'get pods']);
    for (const other of ['jt1078-ingest', 'jt1078-packager', 'jt1078-webhook']) {
      const account = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === accountOf(other)) as K8sObject & { automountServiceAccountToken?: boolean };
      expect(account, other).toBeDefined();
      expect(account.automountServiceAccountToken, `${other} gets no API token`).toBe(false);
      expect(grants(objects, account.metadata.name), other).toEqual([]);
    }
  });

  it('the chart has the same RBAC objects and downward-API variables as the kustomize base (no helm binary here to render it)', () => {
    // rbac.yaml uses only these two template expressions: with them filled in it must be the kustomize base's rbac.yaml.
    const template = readFileSync(path.join(CHART, 'templates/rbac.yaml'), 'utf8')
      .replaceAll('{{ include "jt1078.name" . }}', 'jt1078')
      .replaceAll('{{ .Release.Namespace }}', 'default');
    expect(template).not.toContain('{{');
    const chart = parseAllDocuments(template).map((d) => d.toJS() as unknown);
    const base = parseAllDocuments(readFileSync(path.join(ROOT, 'deploy/kustomize/base/rbac.yaml'), 'utf8')).map((d) => d.toJS() as unknown);
    expect(chart).toEqual(base);
    // The one pod spec every Deployment includes sets the same variables; the intercom runs as its own account.
    const helpers = readFileSync(path.join(CHART, 'templates/_helpers.tpl'), 'utf8');
    const env = [...helpers.matchAll(/^\s*- (\{ name: \w+, valueFrom: .*\})\s*$/gm)].map((m) => parse(m[1]!) as { name: string; valueFrom: { fieldRef: { fieldPath: string } } });
    expect(Object.fromEntries(env.map((e) => [e.name, e.valueFrom.fieldRef.fieldPath]))).toEqual(DOWNWARD_ENV);
    expect(helpers).toMatch(/serviceAccountName: \{\{ \.serviceAccount \| default \(include "jt1078\.name" \.root\) \}\}/);
    expect(readFileSync(path.join(CHART, 'templates/intercom.yaml'), 'utf8')).toContain('"serviceAccount" (printf "%s-intercom" (include "jt1078.name" .))');
  });

  it('values.yaml validates against values.schema.json, and a wrong value does not', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as object);
    const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...values, ingest: { replicas: 0 } })).toBe(false);
    expect(validate({ ...values, nats: { url: 'http://nats' } })).toBe(false);
  });

  it('every .Values.x the templates use exists in values.yaml', () => {
    const values = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const missing: string[] = [];
    const used = new Set<string>();
    for (const file of readdirSync(path.join(CHART, 'templates'))) {
      const text = readFileSync(path.join(CHART, 'templates', file), 'utf8');
      for (const m of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)) used.add(m[1]!);
    }
    for (const ref of used) {
      let node: unknown = values;
      for (const key of ref.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      if (node === undefined) missing.push(ref);
    }
    expect(used.size).toBeGreaterThan(15);
    expect(missing).toEqual([]);
  });

  // Skaffold's JSON schema ships in no npm or Debian package (it is published on skaffold's site
  // only), so this checks structure and what the fields point at, not the schema itself.
  it('skaffold.yaml (v4) builds the Dockerfile and deploys the chart, with a dev profile whose patches land on chart values', () => {
    const s = parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8')) as {
      apiVersion: string; kind: string;
      build: { artifacts: Array<{ image: string; docker: { dockerfile: string } }> };
      deploy: { helm: { releases: Array<{ chartPath: string; setValueTemplates?: Record<string, string> }> } };
      profiles: Array<{ name: string; activation?: Array<{ command?: string }>; patches?: Array<{ op: string; path: string; value: unknown }> }>;
    };
    expect(s.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(s.kind).toBe('Config');
    expect(existsSync(path.join(ROOT, s.build.artifacts[0]!.docker.dockerfile))).toBe(true);
    const release = s.deploy.helm.releases[0]!;
    expect(existsSync(path.join(ROOT, release.chartPath, 'Chart.yaml'))).toBe(true);
    const values = parse(readFileSync(path.join(ROOT, release.chartPath, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const inValues = (key: string) => key.split('.').reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), values) !== undefined;
    // --set keys that match nothing in values.yaml would be ignored by the chart without a word.
    expect(Object.keys(release.setValueTemplates ?? {}).filter((k) => !inValues(k))).toEqual([]);
    const dev = s.profiles.find((p) => p.name === 'dev');
    expect(dev?.activation?.map((a) => a.command)).toContain('dev');
    expect(dev?.patches?.length).toBeGreaterThan(0);
    for (const patch of dev!.patches!) {
      expect(['add', 'replace', 'remove']).toContain(patch.op);
      // The JSON pointer's parent exists in the document (an `add` under a missing parent fails at `skaffold dev`).
      const parent = patch.path.split('/').slice(1, -1).reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), s);
      expect(parent, patch.path).toBeTypeOf('object');
      if (patch.path.endsWith('/setValues')) {
        expect(Object.keys(patch.value as object).filter((k) => !inValues(k))).toEqual([]);
      }
    }
  });
});
