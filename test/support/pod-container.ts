/**
 * A pod of the kustomize base as a Docker container (testcontainers): the image, the
 * Deployment's args and env, its user, read-only root, dropped capabilities, no-new-privileges
 * and memory limit, the ConfigMap's directory mounted read-only where the pod mounts it, a tmpfs
 * for each emptyDir, and ready when /readyz answers 200 (the readiness probe). Host ports are
 * fixed by the caller, so a container started again after `docker kill` keeps them.
 *
 * Docker itself is driven through its CLI for the faults (`docker kill`, `stop`, `pause`,
 * `network disconnect`), exactly as an operator would.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GenericContainer, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import type { PodTemplate } from './kustomize-pods.js';

const run = promisify(execFile);

/** `docker <args>`, its stdout trimmed; fails with docker's message. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 120_000 });
  return stdout.trim();
}

/** GenericContainer with the one pod setting it has no method for. */
class PodContainer extends GenericContainer {
  withReadOnlyRootFilesystem(): this {
    this.hostConfig.ReadonlyRootfs = true;
    return this;
  }
}

/** How long a pod may take from `docker run` to /readyz 200 on this busy machine. */
const READY_TIMEOUT_MS = 90_000;

export interface PodRun {
  readonly template: PodTemplate;
  /** The pod's name (POD_NAME); also the container's network alias. */
  readonly name: string;
  readonly image: string;
  readonly network: StartedNetwork;
  /** Host directory holding config.yaml, mounted read-only at the template's configMountPath. */
  readonly configDir: string;
  /** containerPort → host port on 127.0.0.1 (TCP). 8080 must be among them. */
  readonly publish: ReadonlyMap<number, number>;
  readonly labels: Record<string, string>;
}

export interface StartedPod {
  readonly name: string;
  readonly container: StartedTestContainer;
  readonly id: string;
  /** From `docker run` to /readyz 200. */
  readonly readyMs: number;
  readonly url: string;
}

export async function startPod(p: PodRun): Promise<StartedPod> {
  const t = p.template;
  let c = new PodContainer(p.image)
    .withName(`${p.labels['jt1078.test.run']}-${p.name}`)
    .withLabels(p.labels)
    .withCommand([...t.args])
    // POD_IP: the pod's network alias, which Docker's DNS resolves to it as a pod IP would.
    .withEnvironment(t.env({ name: p.name, namespace: 'default', nodeName: 'docker-node', podAddress: p.name }))
    .withUser(t.user)
    .withNetwork(p.network)
    .withNetworkAliases(p.name)
    .withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }])
    .withBindMounts([{ source: p.configDir, target: t.configMountPath, mode: 'ro' }])
    .withTmpFs(Object.fromEntries(t.tmpfs.map((dir) => [dir, 'rw,size=64m'])))
    .withExposedPorts(...[...p.publish].map(([container, host]) => ({ container, host })))
    .withWaitStrategy(Wait.forHttp('/readyz', 8080).forStatusCode(200))
    .withStartupTimeout(READY_TIMEOUT_MS);
  if (t.readOnlyRootFilesystem) c = c.withReadOnlyRootFilesystem();
  if (t.noNewPrivileges) c = c.withSecurityOpt('no-new-privileges');
  if (t.dropCapabilities.length) c = c.withDroppedCapabilities(...t.dropCapabilities);
  if (t.memoryLimitGiB !== undefined) c = c.withResourcesQuota({ memory: t.memoryLimitGiB });
  const start = Date.now();
  const container = await c.start();
  return { name: p.name, container, id: container.getId(), readyMs: Date.now() - start, url: `http://127.0.0.1:${p.publish.get(8080)}` };
}
