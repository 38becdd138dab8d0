/**
 * The public address the intercom writes into its SDP answers and 0x9101 bodies, as Kubernetes
 * knows it: the ExternalIP of the node this pod runs on (falling back to the InternalIP, with a
 * warning). `jt1078.intercom.jt1078webrtc.ip` overrides it, and outside a cluster the answer is
 * undefined so the caller falls back to its own choice.
 *
 * Inside a cluster it uses the in-cluster config (KUBERNETES_SERVICE_HOST/PORT and the
 * service-account token and CA files) through @kubernetes/client-node, finds the node from
 * NODE_NAME (downward API `spec.nodeName`) or by reading its own Pod (POD_NAME, POD_NAMESPACE),
 * and reads the Node. Any failure — RBAC forbidden, API down, a node without addresses — is one
 * warning saying what to fix, and undefined: a missing address must not stop the pod.
 */
import type { ApiException, ConfigurationOptions, Observable, ObservableMiddleware } from '@kubernetes/client-node';
import type { Logger } from '../logger/index.js';
import { NodeAddressType, pickNodeAddress } from './pick-node-address.js';

export interface PublicAddressOptions {
  /** `jt1078.intercom.jt1078webrtc.ip`: when set, the answer as is, and Kubernetes is not asked. */
  readonly configuredIp?: string;
  readonly log: Logger;
  /**
   * Put before `/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}` (the
   * client's loadFromCluster prefix); empty in a pod, a temporary directory in tests.
   */
  readonly serviceAccountPrefix?: string;
  /** Each API request is aborted after this long (default 5 s), so start-up never hangs on it. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** What lets a pod read its node, named in every warning (keep in step with deploy/). */
const RBAC_HINT =
  'the pod\'s service account needs "get" on nodes (and on pods when NODE_NAME is not set): the chart grants it ' +
  '(deploy/helm/jt1078-cluster/templates/rbac.yaml: ClusterRole <release>-jt1078-node-reader, Role <release>-jt1078-pod-reader; ' +
  'kustomize: deploy/kustomize/base/rbac.yaml)';
const OVERRIDE_HINT = 'or set jt1078.intercom.jt1078webrtc.ip';

/** The node's address, the configured one, or undefined (not in a cluster, or it could not be read: logged once). */
export async function discoverPublicAddress(opts: PublicAddressOptions): Promise<string | undefined> {
  const { log } = opts;
  const configured = opts.configuredIp?.trim();
  if (configured) return configured;
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  if (!host) {
    log.debug('not in a Kubernetes cluster (no KUBERNETES_SERVICE_HOST): no node address to discover');
    return undefined;
  }
  const api = `${host}:${process.env['KUBERNETES_SERVICE_PORT'] ?? ''}`;
  let asked = 'the in-cluster config';
  try {
    // Loaded only inside a cluster: the client is large and every other path does without it.
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromCluster(opts.serviceAccountPrefix ?? '');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const options = abortAfter(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, k8s.Observable);

    let nodeName = process.env['NODE_NAME'];
    if (!nodeName) {
      const podName = process.env['POD_NAME'];
      const namespace = process.env['POD_NAMESPACE'] || kc.getContextObject(kc.getCurrentContext())?.namespace?.trim() || 'default';
      if (!podName) {
        log.warn(`cannot tell which node this pod runs on: set NODE_NAME (downward API spec.nodeName) or POD_NAME and POD_NAMESPACE (the chart's Deployments set them); ${OVERRIDE_HINT}`);
        return undefined;
      }
      asked = `GET pods/${podName} in namespace ${namespace}`;
      const pod = await core.readNamespacedPod({ name: podName, namespace }, options);
      nodeName = pod.spec?.nodeName;
      if (!nodeName) {
        log.warn({ pod: podName, namespace }, `pod ${podName} has no spec.nodeName yet; ${OVERRIDE_HINT}`);
        return undefined;
      }
    }
    asked = `GET nodes/${nodeName}`;
    const node = await core.readNode({ name: nodeName }, options);
    const picked = pickNodeAddress(node.status?.addresses);
    if (!picked) {
      log.warn({ node: nodeName, addresses: node.status?.addresses ?? [] }, `node ${nodeName} lists no ExternalIP or InternalIP; ${OVERRIDE_HINT}`);
      return undefined;
    }
    if (picked.type === NodeAddressType.internal) {
      log.warn({ node: nodeName, address: picked.address }, `node ${nodeName} has no ExternalIP; using its InternalIP ${picked.address}, which devices outside the cluster network may not reach; ${OVERRIDE_HINT}`);
    } else {
      log.info({ node: nodeName, address: picked.address }, `public address ${picked.address}: ExternalIP of node ${nodeName}`);
    }
    return picked.address;
  } catch (err) {
    log.warn({ api, err: (err as Error).message }, `could not read this pod's node from the Kubernetes API (${asked}): ${explain(err)}; ${OVERRIDE_HINT}`);
    return undefined;
  }
}

/** Request options that abort the request after `ms` (the client has no timeout of its own). */
function abortAfter(ms: number, Observable_: typeof Observable): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(AbortSignal.timeout(ms));
      return new Observable_(Promise.resolve(ctx));
    },
    post: (ctx) => new Observable_(Promise.resolve(ctx)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** What to fix, for the ways the request can fail. */
function explain(err: unknown): string {
  const code = (err as Partial<ApiException<unknown>>).code;
  if (typeof code !== 'number') return `the request failed (${(err as Error).message})`;
  const reason = statusMessage((err as ApiException<unknown>).body);
  const said = reason ? `: ${reason}` : '';
  if (code === 403) return `403 Forbidden${said}; ${RBAC_HINT}`;
  if (code === 401) return `401 Unauthorized${said}; the service-account token was refused (is automountServiceAccountToken off?)`;
  if (code === 404) return `404 Not Found${said}; check NODE_NAME / POD_NAME / POD_NAMESPACE`;
  return `HTTP ${code}${said}`;
}

/** The `message` of a Kubernetes Status body, which the client hands over as text or parsed. */
function statusMessage(body: unknown): string | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  const m = parsed && typeof parsed === 'object' ? (parsed as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : undefined;
}
