/**
 * Node-address discovery against a local HTTPS server that speaks the Kubernetes API (self-signed
 * certificate, real Node/Pod/Status JSON), with the real @kubernetes/client-node pointed at it by
 * the in-cluster config: KUBERNETES_SERVICE_HOST/PORT and a service-account directory (token,
 * ca.crt, namespace) under a temporary prefix. Nothing of the client is mocked.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@jt1078/runtime/logger';
import { discoverPublicAddress } from '@jt1078/runtime/pod';
import { freePort } from './support/services.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.test-service-account-token.sig';
const SA_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';

function selfSigned(dir: string, name: string): { key: string; cert: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc'], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

function node(name: string, addresses: Array<{ type: string; address: string }>): object {
  return {
    kind: 'Node', apiVersion: 'v1',
    metadata: { name, uid: '5d1c0f3e-1b6e-4c39-9d0b-6f2f6a0c1a11', resourceVersion: '4242', creationTimestamp: '2026-11-01T08:00:00Z',
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'e2-standard-4' } },
    spec: { podCIDR: '10.244.1.0/24', providerID: `gce://project/zone/${name}` },
    status: {
      addresses,
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2026-11-24T10:00:00Z', lastTransitionTime: '2026-11-01T08:01:00Z' }],
      nodeInfo: { kubeletVersion: 'v1.33.2', containerRuntimeVersion: 'containerd://2.0.5', osImage: 'Debian GNU/Linux 13', architecture: 'amd64', operatingSystem: 'linux',
        kernelVersion: '6.12.0', machineID: 'm', systemUUID: 's', bootID: 'b', kubeProxyVersion: 'v1.33.2' },
    },
  };
}

function pod(name: string, namespace: string, nodeName: string): object {
  return {
    kind: 'Pod', apiVersion: 'v1',
    metadata: { name, namespace, uid: '0b7a4d52-8f0e-4a57-9a3c-2e4c3d1f9b20', labels: { 'app.kubernetes.io/name': 'jt1078-intercom' } },
    spec: { nodeName, serviceAccountName: 'jt1078-intercom', containers: [{ name: 'intercom', image: 'jt1078-cluster:dev', args: ['intercom'] }] },
    status: { phase: 'Running', podIP: '10.244.1.17', hostIP: '10.0.0.5' },
  };
}

function forbidden(resource: string, name: string): object {
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
    message: `${resource} "${name}" is forbidden: User "system:serviceaccount:cluster-test:jt1078-intercom" cannot get resource "${resource}" in API group "" at the cluster scope`,
    details: { name, kind: resource },
  };
}

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

describe('discoverPublicAddress against a Kubernetes API server', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8s-api-'));
  const routes = new Map<string, { status: number; body: object }>();
  const seen: Seen[] = [];
  let server: Server;
  let port: number;
  let lines: Array<{ level: number; msg: string }>;
  let log: ReturnType<typeof createLogger>;

  /** A service-account directory whose ca.crt is `ca`; the prefix loadFromCluster puts before its paths. */
  function serviceAccount(ca: string): string {
    const prefix = mkdtempSync(path.join(dir, 'sa-'));
    mkdirSync(path.join(prefix, SA_DIR), { recursive: true });
    writeFileSync(path.join(prefix, SA_DIR, 'token'), TOKEN);
    writeFileSync(path.join(prefix, SA_DIR, 'ca.crt'), ca);
    writeFileSync(path.join(prefix, SA_DIR, 'namespace'), 'cluster-test');
    return prefix;
  }
  let prefix: string;
  let tls: { key: string; cert: string };

  beforeAll(async () => {
    tls = selfSigned(dir, 'apiserver');
    prefix = serviceAccount(tls.cert);
    server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      const route = req.method === 'GET' ? routes.get((req.url ?? '').split('?')[0]!) : undefined;
      const status = route?.status ?? 404;
      const body = route?.body ?? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: `${req.url} not found` };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    routes.clear();
    seen.length = 0;
    lines = [];
    log = createLogger({
      name: 'intercom',
      level: 'debug',
      destination: new Writable({ write: (chunk: Buffer, _enc, done) => {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
        done();
      } }),
    });
    for (const name of ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'NODE_NAME', 'POD_NAME', 'POD_NAMESPACE']) vi.stubEnv(name, undefined);
  });
  afterEach(() => vi.unstubAllEnvs());

  function inCluster(env: Record<string, string>): void {
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '127.0.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', String(port));
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  }
  const warnings = () => lines.filter((l) => l.level === 40);

  it('returns the ExternalIP of NODE_NAME\'s node, authenticated with the file\'s token', async () => {
    routes.set('/api/v1/nodes/node-a', { status: 200, body: node('node-a', [
      { type: 'InternalIP', address: '10.0.0.5' }, { type: 'ExternalIP', address: '203.0.113.7' }, { type: 'Hostname', address: 'node-a' },
    ]) });
    inCluster({ NODE_NAME: 'node-a' });
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBe('203.0.113.7');
    expect(seen).toEqual([{ method: 'GET', url: '/api/v1/nodes/node-a', authorization: `Bearer ${TOKEN}` }]);
    expect(warnings()).toEqual([]);
    expect(lines.some((l) => l.msg.includes('ExternalIP of node node-a'))).toBe(true);
  });

  it('finds the node from its own Pod (POD_NAME, POD_NAMESPACE) and falls back to the InternalIP, saying so', async () => {
    routes.set('/api/v1/namespaces/cluster-test/pods/jt1078-intercom-7d9f-x2', { status: 200, body: pod('jt1078-intercom-7d9f-x2', 'cluster-test', 'node-b') });
    routes.set('/api/v1/nodes/node-b', { status: 200, body: node('node-b', [{ type: 'InternalIP', address: '10.0.0.6' }, { type: 'Hostname', address: 'node-b' }]) });
    inCluster({ POD_NAME: 'jt1078-intercom-7d9f-x2', POD_NAMESPACE: 'cluster-test' });
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBe('10.0.0.6');
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/cluster-test/pods/jt1078-intercom-7d9f-x2', '/api/v1/nodes/node-b']);
    expect(seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/no ExternalIP; using its InternalIP 10\.0\.0\.6.*jt1078webrtc\.ip/);
  });

  it('takes the namespace from the service-account files when POD_NAMESPACE is not set', async () => {
    routes.set('/api/v1/namespaces/cluster-test/pods/intercom-0', { status: 200, body: pod('intercom-0', 'cluster-test', 'node-a') });
    routes.set('/api/v1/nodes/node-a', { status: 200, body: node('node-a', [{ type: 'ExternalIP', address: '203.0.113.7' }]) });
    inCluster({ POD_NAME: 'intercom-0' });
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBe('203.0.113.7');
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/namespaces/cluster-test/pods/intercom-0', '/api/v1/nodes/node-a']);
  });

  it('403 Forbidden: undefined, one warning that names the RBAC role to fix', async () => {
    routes.set('/api/v1/nodes/node-a', { status: 403, body: forbidden('nodes', 'node-a') });
    inCluster({ NODE_NAME: 'node-a' });
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
    const msg = warnings()[0]!.msg;
    expect(msg).toContain('GET nodes/node-a');
    expect(msg).toContain('403 Forbidden: nodes "node-a" is forbidden');
    expect(msg).toContain('ClusterRole <release>-jt1078-node-reader');
    expect(msg).toContain('jt1078.intercom.jt1078webrtc.ip');
  });

  it('not in a cluster: undefined, no request, no warning', async () => {
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBeUndefined();
    expect(await discoverPublicAddress({ log, configuredIp: '' })).toBeUndefined();
    expect(seen).toEqual([]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  it('jt1078webrtc.ip set: that address, Kubernetes not asked', async () => {
    inCluster({ NODE_NAME: 'node-a' });
    expect(await discoverPublicAddress({ log, configuredIp: '124.221.30.46', serviceAccountPrefix: prefix })).toBe('124.221.30.46');
    expect(seen).toEqual([]);
  });

  it('API down: undefined and one warning, no throw', async () => {
    inCluster({ NODE_NAME: 'node-a' });
    vi.stubEnv('KUBERNETES_SERVICE_PORT', String(await freePort()));
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toContain('the request failed (request to https://127.0.0.1:');
  });

  it('API hanging: the request is aborted after timeoutMs, undefined and one warning', async () => {
    // Accepts connections and never answers, not even the TLS handshake.
    const silent = createTcpServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      inCluster({ NODE_NAME: 'node-a' });
      vi.stubEnv('KUBERNETES_SERVICE_PORT', String((silent.address() as { port: number }).port));
      expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix, timeoutMs: 300 })).toBeUndefined();
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]!.msg).toMatch(/request failed.*abort/i);
    } finally {
      silent.close();
    }
  });

  it('trusts only the service account\'s ca.crt: a server certificate it did not sign is refused', async () => {
    routes.set('/api/v1/nodes/node-a', { status: 200, body: node('node-a', [{ type: 'ExternalIP', address: '203.0.113.7' }]) });
    const otherCa = serviceAccount(selfSigned(dir, 'other').cert);
    inCluster({ NODE_NAME: 'node-a' });
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: otherCa })).toBeUndefined();
    expect(seen).toEqual([]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/request failed.*self-signed certificate/);
  });

  it('no NODE_NAME or POD_NAME: undefined, one warning naming the downward-API variables', async () => {
    inCluster({});
    expect(await discoverPublicAddress({ log, serviceAccountPrefix: prefix })).toBeUndefined();
    expect(seen).toEqual([]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toContain('set NODE_NAME');
  });
});
