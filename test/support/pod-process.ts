/**
 * A service as a pod runs it: `jt1078 <service> --config FILE` as a child process on the test's
 * NATS and Redis, with its own config file and free ports. Tests kill it (-9), stop it (SIGTERM)
 * and start it again on the same config, as Kubernetes would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, natsUrl, redisUrl, until } from './services.js';

const BIN = path.resolve(import.meta.dirname, '../../services/all-in-one/bin/jt1078.js');

export interface PodProcessOptions {
  /** `ingest`, `packager`, `webhook`, `intercom`. */
  readonly service: string;
  readonly pod: string;
  /** Subject root and Redis key prefix (uniquePrefix()). */
  readonly root: string;
  /** Extra YAML lines under `jt1078:` (indented two spaces). */
  readonly jt1078?: readonly string[];
  /** Extra YAML lines under `cluster:` (indented two spaces). */
  readonly cluster?: readonly string[];
  /** A log line that says the pod is ready (default `<service> ready`). */
  readonly readyLine?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export class PodProcess {
  child: ChildProcess | undefined;
  log = '';
  readonly httpPort: number;
  readonly #config: string;

  private constructor(private readonly opts: PodProcessOptions, httpPort: number, config: string) {
    this.httpPort = httpPort;
    this.#config = config;
  }

  static async start(opts: PodProcessOptions): Promise<PodProcess> {
    const httpPort = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), `${opts.pod}-`));
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, [
      ...(opts.jt1078?.length ? ['jt1078:', ...opts.jt1078] : []),
      'cluster:',
      `  http: { addr: '127.0.0.1:${httpPort}' }`,
      `  nats: { subject_root: ${opts.root} }`,
      `  pod: { name: ${opts.pod} }`,
      ...(opts.cluster ?? []),
    ].join('\n'));
    const pod = new PodProcess(opts, httpPort, config);
    await pod.restart();
    return pod;
  }

  get base(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it (again) on the same config and waits for its ready line. */
  async restart(): Promise<void> {
    const child = spawn(process.execPath, [BIN, this.opts.service, '--config', this.#config], {
      env: { ...process.env, NATS_URL: await natsUrl(), REDIS_URL: await redisUrl(), ...this.opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const append = (d: Buffer) => (this.log = (this.log + d.toString()).slice(-200_000));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    const ready = this.opts.readyLine ?? `${this.opts.service} ready`;
    const from = this.log.length;
    await until(() => this.log.slice(from).includes(ready) || child.exitCode !== null, 20_000, `${this.opts.pod} to log '${ready}'; log:\n${this.log.slice(-4000)}`);
    if (child.exitCode !== null) throw new Error(`${this.opts.pod} exited with ${child.exitCode}; log:\n${this.log.slice(-4000)}`);
  }

  /** `kill -9`: no drain, no goodbye. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM, and wait until it has exited. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }
}
