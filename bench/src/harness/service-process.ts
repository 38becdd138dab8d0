/**
 * `jt1078 <service>` as a child process for a benchmark, as a pod runs it: its own config file
 * (YAML given by the bench, which picks free ports), NATS and Redis from the environment, ready
 * once /readyz says so, read through /metrics and /proc, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../../services/all-in-one/bin/jt1078.js');
/** Start-up (tsx compiling the sources, NATS, Redis) takes a few seconds on a busy machine. */
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface ServiceProcessOptions {
  /** `ingest`, `packager`, `intercom`, `webhook`. */
  readonly service: string;
  /** The config file's text; `http` must be the port it names in cluster.http.addr. */
  readonly config: string;
  readonly httpPort: number;
  readonly natsUrl: string;
  readonly redisUrl: string;
  /** Run the child with --cpu-prof, writing its profile here when it exits. */
  readonly cpuProfDir?: string | undefined;
  /** Another checkout's services/all-in-one/bin/jt1078.js (a before/after on one machine); default this one. */
  readonly bin?: string | undefined;
}

export class ServiceProcess {
  readonly #dir: string;
  #stderr = '';

  private constructor(
    readonly service: string,
    readonly child: ChildProcess,
    readonly httpPort: number,
    dir: string,
  ) {
    this.#dir = dir;
    child.stderr?.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  static async start(opts: ServiceProcessOptions): Promise<ServiceProcess> {
    const dir = mkdtempSync(path.join(tmpdir(), `${opts.service}-bench-`));
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, opts.config);
    const execArgv = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
    const child = spawn(process.execPath, [...execArgv, opts.bin ?? BIN, opts.service, '--config', config], {
      env: { ...process.env, NATS_URL: opts.natsUrl, REDIS_URL: opts.redisUrl, LOG_LEVEL: 'warn', POD_NAME: `bench-${opts.service}-${path.basename(dir)}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const p = new ServiceProcess(opts.service, child, opts.httpPort, dir);
    const end = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`jt1078 ${opts.service} exited with ${child.exitCode}: ${p.#stderr.trim()}`);
      const ready = await fetch(`${p.url}/readyz`).then((r) => r.ok, () => false);
      if (ready) return p;
      if (Date.now() > end) {
        await p.stop();
        throw new Error(`jt1078 ${opts.service} not ready after ${READY_TIMEOUT_MS} ms: ${p.#stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async metrics(): Promise<MetricsSnapshot> {
    return new MetricsSnapshot(await (await fetch(`${this.url}/metrics`)).text());
  }

  /** SIGTERM, SIGKILL if it has not exited in time. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(killer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** One scrape of a service's /metrics: sums of a metric's samples whose labels match. */
export class MetricsSnapshot {
  constructor(readonly text: string) {}

  sum(name: string, labels: Readonly<Record<string, string>> = {}): number {
    let total = 0;
    for (const line of this.text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  /** Per label value of `label` (e.g. drops by reason). */
  byLabel(name: string, label: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const line of this.text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const v = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1];
      if (v !== undefined) out[v] = (out[v] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return out;
  }
}
