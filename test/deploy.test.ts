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

describe('deploy/', () => {
  it('the kustomize base renders and every object validates against the Kubernetes schemas', async () => {
    let rendered: string;
    try {
      rendered = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'deploy/kustomize/base')], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(`kubectl kustomize failed (${(err as Error).message}); install kubectl (.ci/run does)`, { cause: err });
    }
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Deployment', 'Deployment', 'Deployment',
      'HorizontalPodAutoscaler', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget', 'PodDisruptionBudget', 'PodDisruptionBudget',
      'Service', 'Service', 'Service', 'Service', 'Service', 'ServiceAccount',
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

  it('skaffold.yaml (v4) builds the Dockerfile and deploys the chart, with a dev profile', () => {
    const s = parse(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8')) as {
      apiVersion: string; kind: string;
      build: { artifacts: Array<{ image: string; docker: { dockerfile: string } }> };
      deploy: { helm: { releases: Array<{ chartPath: string }> } };
      profiles: Array<{ name: string }>;
    };
    expect(s.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(s.kind).toBe('Config');
    expect(existsSync(path.join(ROOT, s.build.artifacts[0]!.docker.dockerfile))).toBe(true);
    expect(existsSync(path.join(ROOT, s.deploy.helm.releases[0]!.chartPath, 'Chart.yaml'))).toBe(true);
    expect(s.profiles.map((p) => p.name)).toContain('dev');
  });
});
