/**
 * The processes the network fuzz runs against, each as a pod runs it (`jt1078 <service>` with its
 * own config, on the given NATS and Redis, a subject root of its own): ingest, packager, intercom
 * (one leased audio port) and webhook. Their RSS is sampled from /proc while the fuzz runs.
 */
import { readFileSync } from 'node:fs';
import { ServiceProcess, freePort } from '../harness/index.js';

export interface FuzzProcess {
  readonly service: string;
  readonly process: ServiceProcess;
  peakRssBytes: number;
}

export interface FuzzCluster {
  readonly root: string;
  readonly ingestPort: number;
  readonly audioPort: number;
  readonly processes: readonly FuzzProcess[];
  byService(service: string): FuzzProcess;
  /** Reads every process's RSS now (kept as its peak). */
  sample(): void;
  stop(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export async function startFuzzCluster(opts: { natsUrl: string; redisUrl: string; root: string }): Promise<FuzzCluster> {
  const ingestPort = await freePort();
  const audioPort = await freePort();
  const common = (http: number) => [
    'cluster:',
    `  http: { addr: '127.0.0.1:${http}' }`,
    `  nats: { subject_root: ${opts.root} }`,
  ];
  const specs: Array<{ service: string; config: (http: number) => Promise<string[]> }> = [
    {
      service: 'ingest',
      config: async (http) => [
        'jt1078:',
        `  realtime: { addr: '127.0.0.1:${ingestPort}' }`,
        `  playback: { addr: '127.0.0.1:${await freePort()}' }`,
        ...common(http),
        '  ingest: { idle_timeout_second: 5, max_unfinished_bytes_per_connection: 16777216, max_unfinished_bytes: 67108864 }',
      ],
    },
    { service: 'packager', config: async (http) => common(http) },
    {
      service: 'intercom',
      config: async (http) => [
        'jt1078:',
        '  intercom:',
        `    audio_ports: [${audioPort}, ${audioPort}]`,
        `    jt1078webrtc: { ip: 127.0.0.1, port: ${await freePort()} }`,
        ...common(http),
      ],
    },
    { service: 'webhook', config: async (http) => common(http) },
  ];
  const processes = await Promise.all(specs.map(async (s) => {
    const httpPort = await freePort();
    const config = (await s.config(httpPort)).join('\n');
    return { service: s.service, process: await ServiceProcess.start({ service: s.service, config, httpPort, natsUrl: opts.natsUrl, redisUrl: opts.redisUrl }), peakRssBytes: 0 };
  }));
  return {
    root: opts.root,
    ingestPort,
    audioPort,
    processes,
    byService: (service) => processes.find((p) => p.service === service)!,
    sample: () => {
      for (const p of processes) p.peakRssBytes = Math.max(p.peakRssBytes, rssOf(p.process.pid));
    },
    stop: async () => {
      await Promise.all(processes.map((p) => p.process.stop()));
    },
  };
}
