/**
 * One `jt1078 <service>` process as a Kubernetes pod of the chart runs it: the same arguments
 * (`<service> --config FILE`), the environment the chart's Deployments set (POD_NAME,
 * POD_NAMESPACE, NODE_NAME from the downward API; NATS_URL, REDIS_URL), ready when `/readyz`
 * answers 200 (the chart's readiness probe). terminate() is the kubelet's SIGTERM; start() again
 * is the replacement pod, with the same name and ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, natsUrl, redisUrl, until } from './services.js';

const JT1078 = path.resolve(import.meta.dirname, '../../services/all-in-one/bin/jt1078.js');
/** A tsx process on a busy 2-core machine takes a few seconds to load the sources. */
const READY_TIMEOUT_MS = 45_000;
/** The chart's terminationGracePeriodSeconds: after it the kubelet sends SIGKILL. */
const GRACE_MS = 45_000;
/** Log kept per pod for failure messages. */
const LOG_TAIL_CHARS = 8000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export interface Jt1078PodOptions {
  readonly service: string;
  readonly name: string;
  /** The pod's config.yaml (the chart's ConfigMap, with this host's ports). */
  readonly config: string;
  readonly httpPort: number;
  readonly natsUrl: string;
  readonly redisUrl: string;
  /** More environment for the process (the image's ENV, e.g. allocator settings). */
  readonly env?: Readonly<Record<string, string>>;
}

export class Jt1078Pod {
  #child: ChildProcess | undefined;
  #log = '';
  readonly #configFile: string;

  constructor(readonly opts: Jt1078PodOptions) {
    this.#configFile = path.join(mkdtempSync(path.join(tmpdir(), `${opts.name}-`)), 'config.yaml');
    writeFileSync(this.#configFile, opts.config);
  }

  get name(): string {
    return this.opts.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.opts.httpPort}`;
  }

  /** The last lines the process wrote to stderr. */
  get log(): string {
    return this.#log;
  }

  /** The process id while running (RSS is read from /proc). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [JT1078, this.opts.service, '--config', this.#configFile], {
      env: {
        ...process.env,
        POD_NAME: this.name,
        POD_NAMESPACE: 'cluster-test',
        NODE_NAME: 'node-local',
        NATS_URL: this.opts.natsUrl,
        REDIS_URL: this.opts.redisUrl,
        ...this.opts.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    child.stderr!.on('data', (d: Buffer) => (this.#log = (this.#log + d.toString()).slice(-LOG_TAIL_CHARS)));
    try {
      await until(async () => {
        if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode} before it was ready`);
        return (await this.get('/readyz').catch(() => undefined))?.status === 200;
      }, READY_TIMEOUT_MS, `${this.name} ready (/readyz 200)`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; log:\n${this.#log}`, { cause: err });
    }
  }

  /** SIGTERM, then the exit code once it has drained and exited (SIGKILL after the grace period, as the kubelet does). */
  async terminate(): Promise<number | null> {
    const child = this.#child;
    if (!child || !this.running) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
    const code = await exited;
    clearTimeout(killer);
    return code;
  }

  /** `kill -9`: no drain, no goodbye; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  get(route: string): Promise<Response> {
    return fetch(`${this.url}${route}`, { signal: AbortSignal.timeout(10_000) });
  }
}

export interface LaunchPodOptions {
  readonly service: string;
  readonly name: string;
  /** Subject root and Redis key prefix (uniquePrefix()). */
  readonly root: string;
  /** YAML lines under `jt1078:` (indented two spaces). */
  readonly jt1078?: readonly string[];
  /** More YAML lines under `cluster:` (indented two spaces). */
  readonly cluster?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** A pod on the test's NATS and Redis, with a config of its own (a free HTTP port, the root, its name), started. */
export async function launchPod(opts: LaunchPodOptions): Promise<Jt1078Pod> {
  const httpPort = await freePort();
  const config = [
    ...(opts.jt1078?.length ? ['jt1078:', ...opts.jt1078] : []),
    'cluster:',
    `  http: { addr: '127.0.0.1:${httpPort}' }`,
    `  nats: { subject_root: ${opts.root} }`,
    ...(opts.cluster ?? []),
  ].join('\n');
  const pod = new Jt1078Pod({ service: opts.service, name: opts.name, config, httpPort, natsUrl: await natsUrl(), redisUrl: await redisUrl(), ...(opts.env ? { env: opts.env } : {}) });
  await pod.start();
  return pod;
}
