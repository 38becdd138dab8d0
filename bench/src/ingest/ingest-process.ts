/**
 * `jt1078 ingest` as a child process for the benchmark, as a pod runs it: its own config (free
 * ports, a subject root of its own, room for every device, an idle timeout longer than a run).
 * JT1078_BENCH_INGEST_BIN runs another checkout's `jt1078` (its
 * services/all-in-one/bin/jt1078.js) as the ingest: a before/after on one machine.
 */
import { ServiceProcess, freePort } from '../harness/index.js';

export interface IngestProcessOptions {
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly root: string;
  readonly maxConnections: number;
  /** Run the child with --cpu-prof, writing its profile here when it exits. */
  readonly cpuProfDir?: string | undefined;
}

/** The ingest's process, and where devices connect (realtime, TCP). */
export type IngestProcess = ServiceProcess & { readonly devicePort: number };

export async function startIngestProcess(opts: IngestProcessOptions): Promise<IngestProcess> {
  const [devicePort, playbackPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const config =
    `jt1078:\n  realtime: { addr: '127.0.0.1:${devicePort}' }\n  playback: { addr: '127.0.0.1:${playbackPort}' }\n` +
    `cluster:\n  http: { addr: '127.0.0.1:${httpPort}' }\n  nats: { subject_root: ${opts.root} }\n` +
    `  ingest: { max_connections: ${opts.maxConnections}, idle_timeout_second: 600, drain_grace_second: 0 }\n`;
  const ingest = await ServiceProcess.start({
    service: 'ingest', config, httpPort, natsUrl: opts.natsUrl, redisUrl: opts.redisUrl, cpuProfDir: opts.cpuProfDir, bin: process.env['JT1078_BENCH_INGEST_BIN'],
  });
  return Object.assign(ingest, { devicePort });
}
