/**
 * An ingest process (`jt1078 ingest`, as a pod runs it) against peers that try to take it down
 * or make it hold memory: SIMs that are not decimal BCD over UDP and TCP, four connections each
 * opening 30 SIM/channels with unfinished 7.9 MB frames, and 100 peers dripping bytes that never
 * complete a packet. The pod stays up, memory stays within its configured caps and is given back
 * when the connections close, drips are closed after idle_timeout and a real device gets in.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsMediaBus, type FrameEnvelope } from '@jt1078/bus';
import { readCapture } from '@jt1078/jt1078';
import { MetricsSnapshot } from '@jt1078/bench/harness';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { G711_CAPTURE, sharedTestdataAvailable } from '../libs/jt1078/src/testdata/generate-captures.js';
import { launchPod, type Jt1078Pod } from './support/jt1078-pod.js';
import { rawPacket } from './support/raw-jt1078.js';
import { RedisStreamRegistry } from '@jt1078/store';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

const MiB = 1024 * 1024;
const PER_CONNECTION_CAP = 64 * MiB;
const POD_CAP = 128 * MiB;
/** What the process may hold above its baseline: the pod cap, plus reads freed but not yet collected (V8 collects external memory about every 64 MB) and heap growth. */
const RSS_BOUND_ABOVE_BASELINE = POD_CAP + 192 * MiB;
/** "Back near baseline": what the allocator and V8 keep after a burst (heap pages, free lists). */
const NEAR_BASELINE = 80 * MiB;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

async function writeAll(socket: Socket, data: Buffer): Promise<void> {
  if (!socket.write(data)) await new Promise<void>((resolve, reject) => {
    // Each listener goes when the other fires: a long write loop leaves none behind.
    const onClose = () => reject(new Error('closed while writing'));
    socket.once('drain', () => {
      socket.off('close', onClose);
      resolve();
    });
    socket.once('close', onClose);
  });
}

describe.runIf(sharedTestdataAvailable())('ingest limits against hostile peers', () => {
  const root = uniquePrefix('limits');
  let pod: Jt1078Pod;
  let port: number;
  let bus: NatsMediaBus;

  beforeAll(async () => {
    port = await freePort();
    pod = await launchPod({
      service: 'ingest', name: `${root}-ingest`, root,
      jt1078: [`  realtime: { addr: '127.0.0.1:${port}' }`, `  playback: { addr: '127.0.0.1:${await freePort()}' }`],
      // As the image sets it (deploy/Dockerfile): buffers above 8 KB get pages of their own, which
      // go back to the OS when freed instead of staying in the heap's free lists.
      env: { MALLOC_MMAP_THRESHOLD_: '8192' },
      cluster: [`  ingest: { idle_timeout_second: 2, max_connections: 100, max_unfinished_bytes_per_connection: ${PER_CONNECTION_CAP}, max_unfinished_bytes: ${POD_CAP} }`],
    });
    bus = await NatsMediaBus.connect({ url: await natsUrl(), root });
  }, 60_000);

  afterAll(async () => {
    await pod?.terminate();
    await bus?.deleteStreams();
    await bus?.close();
  });

  const metrics = async () => new MetricsSnapshot(await (await pod.get('/metrics')).text());

  it('skips SIMs that are not decimal BCD over UDP and TCP with a counted fault, and carries F-padded ones as their digits', async () => {
    const padded: FrameEnvelope[] = [];
    await bus.subscribeFrames({ streamKind: 'live', sim: '01390000080', channel: 1 }, (f) => padded.push(f));
    const audio = (simHex: string, sequence: number) => rawPacket({ simHex, channel: 1, sequence, dataType: 3, subpackage: 0, payloadType: 6, timestamp: sequence * 20, body: Buffer.alloc(160, 0xd5) });
    const udp = createSocket('udp4');
    // The datagram from the report: its SIM `01 39 00 00 08 0F` is F-padded, so it is 01390000080.
    await new Promise<void>((r) => udp.send(Buffer.concat([audio('01390000080F', 0), audio('01390000080F', 1)]), port, '127.0.0.1', () => r()));
    await new Promise<void>((r) => udp.send(Buffer.concat([audio('0139A000080F', 0), audio('0139A000080F', 1)]), port, '127.0.0.1', () => r()));
    udp.close();
    const tcp = await connectTo(port);
    await writeAll(tcp, Buffer.concat(Array.from({ length: 10 }, (_, i) => audio(i % 2 ? 'ABCDEF012345' : '01390000080F', i))));
    await until(async () => (await metrics()).sum('jt1078_ingest_faults_total', { fault: 'bad-sim' }) >= 2 + 5, 15_000, 'bad-sim faults counted');
    await until(() => padded.length >= 2, 15_000, 'frames of the F-padded SIM');
    tcp.destroy();
    expect(pod.running).toBe(true);
    expect(padded[0]!.sim).toBe('01390000080');
  }, 40_000);

  it('carries at most max_streams_per_connection SIM/channel pairs on one connection, counting the packets of more', async () => {
    const tcp = await connectTo(port);
    // 80 SIMs on one connection (a peer cycling SIMs to make the pod keep a session for each).
    await writeAll(tcp, Buffer.concat(Array.from({ length: 80 }, (_, i) => rawPacket({ simHex: `0138${String(10_000_000 + i)}`, channel: 1, sequence: i, dataType: 3, subpackage: 0, payloadType: 6, timestamp: i * 20, body: Buffer.alloc(160, 0xd5) }))));
    await until(async () => (await metrics()).sum('jt1078_ingest_faults_total', { fault: 'too-many-streams' }) >= 80 - 64, 15_000, 'packets of the 65th SIM on refused');
    expect((await metrics()).sum('jt1078_ingest_faults_total', { fault: 'too-many-streams' })).toBe(80 - 64);
    tcp.destroy();
  }, 30_000);

  it('leaves nothing behind for connections that close while their stream names are being claimed', async () => {
    const registry = new RedisStreamRegistry(await redisUrl(), root);
    try {
      await Promise.all(Array.from({ length: 30 }, async (_, i) => {
        const s = await connectTo(port);
        s.write(rawPacket({ simHex: `0137${String(20_000_000 + i)}`, channel: 1, sequence: 0, dataType: 3, subpackage: 0, payloadType: 6, timestamp: 0, body: Buffer.alloc(160, 0xd5) }));
        s.destroy();
      }));
      await until(async () => (await metrics()).sum('jt1078_ingest_connections', { kind: 'live' }) === 0, 10_000, 'connections closed');
      // Past one heartbeat period (registry_ttl 15 s / 3): a session ended before its claim settled must not renew its name.
      await new Promise((r) => setTimeout(r, 6000));
      expect((await registry.list()).filter((e) => e.sim.startsWith('0137'))).toEqual([]);
    } finally {
      await registry.close();
    }
  }, 30_000);

  it('holds at most its caps for 4 connections × 30 unfinished 7.9 MB frames, and gives the memory back when they close', async () => {
    const baseline = rssOf(pod.pid!);
    const frameBytes = Math.floor(7.9 * 1e6);
    const body = Buffer.alloc(950, 0x41);
    const packetsPerFrame = Math.ceil(frameBytes / body.length);
    let peak = 0;
    const sockets = await Promise.all([0, 1, 2, 3].map(() => connectTo(port)));
    const keepAlive = setInterval(() => {
      // A whole packet now and then: these connections are not idle, only greedy.
      for (const [i, s] of sockets.entries()) s.write(rawPacket({ simHex: `01380000${String(9000 + i)}`, channel: 200, sequence: 0, dataType: 4, subpackage: 0, body: Buffer.alloc(8) }));
      peak = Math.max(peak, rssOf(pod.pid!));
    }, 250);
    try {
      await Promise.all(sockets.map(async (socket, c) => {
        for (let ch = 0; ch < 30; ch++) {
          const simHex = `0138000${String(c).padStart(2, '0')}${String(ch).padStart(3, '0')}`;
          // The first subpackage and every middle one: the frame never ends.
          for (let from = 0; from < packetsPerFrame; from += 500) {
            const batch: Buffer[] = [];
            for (let i = from; i < Math.min(packetsPerFrame, from + 500); i++) {
              batch.push(rawPacket({ simHex, channel: 1, sequence: i, dataType: 0, subpackage: i === 0 ? 1 : 3, timestamp: 0, body }));
            }
            await writeAll(socket, Buffer.concat(batch));
          }
        }
      }));
      const m = await metrics();
      peak = Math.max(peak, rssOf(pod.pid!));
      expect(m.sum('jt1078_ingest_unfinished_frame_bytes')).toBeLessThanOrEqual(POD_CAP);
      // 120 frames of 7.9 MB were opened; at most 128 MiB of them can be held: the rest were dropped and counted.
      expect(m.sum('jt1078_ingest_faults_total', { fault: 'memory-cap' })).toBeGreaterThanOrEqual(120 - Math.floor(POD_CAP / frameBytes));
      expect(peak - baseline).toBeLessThan(RSS_BOUND_ABOVE_BASELINE);
      console.log(`RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (bound ${(RSS_BOUND_ABOVE_BASELINE / MiB).toFixed(0)} MiB above baseline)`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; ingest log:\n${pod.log.slice(-3000)}`, { cause: err });
    } finally {
      clearInterval(keepAlive);
      for (const s of sockets) s.destroy();
    }
    await until(async () => (await metrics()).sum('jt1078_ingest_connections', { kind: 'live' }) === 0, 10_000, 'connections closed');
    const closedAt = Date.now();
    expect((await metrics()).sum('jt1078_ingest_unfinished_frame_bytes')).toBe(0);
    const trace: number[] = [];
    await until(() => trace.push(rssOf(pod.pid!)) > 0 && trace.at(-1)! < baseline + NEAR_BASELINE, 5_000, `RSS back within ${NEAR_BASELINE / MiB} MiB of its baseline ${(baseline / MiB).toFixed(0)} MiB (last ${(trace.at(-1)! / MiB).toFixed(0)} MiB)`);
    console.log(`RSS ${(rssOf(pod.pid!) / MiB).toFixed(0)} MiB ${Date.now() - closedAt} ms after the connections closed`);
  }, 120_000);

  it('closes 100 dripping peers after idle_timeout however many bytes they trickle, then admits a real device', async () => {
    const drips = await Promise.all(Array.from({ length: 100 }, () => connectTo(port)));
    const closed = drips.map((s) => new Promise<void>((r) => s.once('close', () => r())));
    for (const s of drips) s.on('error', () => {});
    // One byte every 200 ms: always sending, never completing a packet (a header that never ends).
    const header = rawPacket({ simHex: '013800007777', channel: 1, sequence: 0, dataType: 3, subpackage: 0, body: Buffer.alloc(900) });
    let i = 0;
    const drip = setInterval(() => {
      for (const s of drips) if (!s.destroyed) s.write(header.subarray(i % header.length, (i % header.length) + 1));
      i++;
    }, 200);
    try {
      // While they hold every slot, a device is refused.
      await until(async () => (await metrics()).sum('jt1078_ingest_connections', { kind: 'live' }) === 100, 15_000, '100 drips connected');
      const refused = await connectTo(port);
      await new Promise<void>((r) => refused.once('close', () => r()));
      expect((await metrics()).sum('jt1078_ingest_connections_rejected_total', { reason: 'max-connections' })).toBeGreaterThanOrEqual(1);
      await Promise.all(closed);
    } finally {
      clearInterval(drip);
    }
    expect((await metrics()).sum('jt1078_ingest_connections_closed_total', { reason: 'idle' })).toBeGreaterThanOrEqual(100);
    const frames: FrameEnvelope[] = [];
    await bus.subscribeFrames({ streamKind: 'live', sim: '013800007778', channel: 1 }, (f) => frames.push(f));
    const device = new SimulatedDevice({
      host: '127.0.0.1', port, speed: 10, reconnect: false,
      replay: new CaptureReplay(loadCapturePackets(readCapture(G711_CAPTURE)), { sim: '013800007778', loop: false }),
    });
    await device.start();
    await until(() => frames.length >= 100, 15_000, 'frames of the real device');
    expect(pod.running).toBe(true);
  }, 60_000);
});
