/**
 * NATS reading more slowly than the ingest publishes — here a private nats-server frozen with
 * SIGSTOP, so its socket stops draining: the bus's unsent bytes pass its soft and hard limits,
 * frames are dropped and counted instead of buffered without bound, and once the server runs
 * again (SIGCONT) frames flow, each stream resuming at a key frame.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropReason, FrameHeader, NatsMediaBus, OUTBOX_FLUSH_BYTES, type FrameEnvelope } from '@jt1078/bus';
import { DataType, PAYLOAD_TYPE_OF, PacketEncoder, concatBytes } from '@jt1078/jt1078';
import { parseConfig } from '@jt1078/runtime/config';
import { silentLogger } from '@jt1078/runtime/logger';
import { createMetricsRegistry } from '@jt1078/runtime/metrics';
import { RedisStreamRegistry } from '@jt1078/store';
import { IngestService } from '@jt1078/svc-ingest';
import { CaptureReplay, SimulatedDevice, loadCapturePackets } from '@jt1078/svc-simulator';
import { freePort, onPath, redisUrl, uniquePrefix, until } from './support/services.js';

const SOFT = 128 * 1024;
const HARD = 512 * 1024;
/** What may sit above the hard limit: the outbox flush that crossed it and the outbox filling meanwhile (frames here are ≤ 40 KB). */
const SLACK = 2 * (OUTBOX_FLUSH_BYTES + 64 * 1024);

/** A nats-server of this file's own, so it can be frozen (SIGSTOP) and thawed (SIGCONT). */
class FreezableNats {
  #child: ChildProcess | undefined;
  readonly #dir = mkdtempSync(path.join(tmpdir(), 'nats-freeze-'));
  url = '';

  async start(): Promise<void> {
    if (!onPath('nats-server')) throw new Error('nats-server is not on PATH: this test needs its own server to freeze (apt-get install nats-server, or put the binary on PATH)');
    const port = await freePort();
    this.url = `nats://127.0.0.1:${port}`;
    this.#child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', this.#dir], { stdio: 'ignore' });
    const reachable = () => new Promise<boolean>((resolve) => {
      const s = tcpConnect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    await until(reachable, 10_000, `nats-server on ${port}`);
  }

  freeze(): void {
    this.#child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.#child?.kill('SIGCONT');
  }

  stop(): void {
    this.thaw();
    this.#child?.kill('SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * H.264-shaped frames (an IDR NAL every 10th, non-IDR slices between), each numbered in its
 * payload so a subscriber can tell which device frames it never got. Hex digits only after the
 * NAL header: no start-code emulation.
 */
function numberedCapture(sim: string, frames: number): Uint8Array {
  const encoder = new PacketEncoder({ sim });
  const packets: Uint8Array[] = [];
  for (let i = 0; i < frames; i++) {
    const key = i % 10 === 0;
    const data = new Uint8Array(key ? 40_000 : 12_000).fill(0x33);
    data.set([0, 0, 0, 1, key ? 0x65 : 0x41], 0);
    data.set(new TextEncoder().encode(i.toString(16).padStart(8, '0')), 5);
    packets.push(...encoder.encode({ channel: 1, dataType: key ? DataType.I : DataType.P, payloadType: PAYLOAD_TYPE_OF.h264, timestamp: i * 40, data }));
  }
  return concatBytes(packets);
}

const frameNumber = (data: Uint8Array) => parseInt(new TextDecoder().decode(data.subarray(5, 13)), 16);

describe('back-pressure from a NATS server that stops reading', () => {
  const server = new FreezableNats();
  const buses: NatsMediaBus[] = [];
  let raw: NatsConnection;

  beforeAll(async () => {
    await server.start();
    raw = await connect({ servers: server.url });
  });

  afterAll(async () => {
    server.thaw();
    await raw?.close();
    for (const b of buses) await b.close();
    server.stop();
  });

  async function bus(): Promise<NatsMediaBus> {
    const b = await NatsMediaBus.connect({ url: server.url, root: uniquePrefix('bp'), pressureSoftBytes: SOFT, pressureHardBytes: HARD });
    buses.push(b);
    return b;
  }

  it('holds even a publisher that ignores pressure to the hard limit, counting what it drops, and recovers', async () => {
    const b = await bus();
    const after: number[] = [];
    raw.subscribe(`${b.subjects.root}.media.>`, { callback: (_e, m) => void after.push(Number(m.headers?.get(FrameHeader.sequence))) });
    await raw.flush();
    const frame = (sequence: number): FrameEnvelope => ({
      streamKind: 'live', sim: '013900200001', channel: 1, codec: 'h264', mediaKind: 'video', keyFrame: false, timestamp: sequence * 40,
      sequence, connectionId: 'c', streamPath: 'live/jt1078-013900200001-1', data: new Uint8Array(16_000),
    });
    server.freeze();
    const pressures = new Set<number>();
    let maxUnsent = 0;
    let offered = 0;
    let seq = 0;
    const end = Date.now() + 3000;
    // Three seconds frozen, and on until the bus has dropped (at most ten more: then the expectations below fail).
    while (Date.now() < end + 10_000 && (Date.now() < end || b.stats.dropped[DropReason.outboundFull] === 0)) {
      for (let i = 0; i < 20; i++, seq++) {
        b.publishFrame(frame(seq));
        offered += 16_000;
      }
      pressures.add(b.pressure());
      maxUnsent = Math.max(maxUnsent, b.unsentBytes);
      await new Promise((r) => setImmediate(r));
    }
    expect(pressures).toEqual(new Set([0, 1, 2]));
    expect(offered).toBeGreaterThan(20 * HARD);
    expect(maxUnsent).toBeLessThanOrEqual(HARD + SLACK);
    expect(b.stats.dropped[DropReason.outboundFull]).toBeGreaterThan(0);
    expect(b.stats.framesPublished + b.stats.framesDropped).toBe(seq);

    server.thaw();
    await until(() => b.pressure() === 0 && b.unsentBytes === 0, 10_000, 'the backlog drained');
    const next = seq;
    b.publishFrame(frame(next));
    await until(() => after.includes(next), 10_000, 'a frame published after the thaw');
  }, 30_000);

  it('makes the ingest drop frames through its key-frame gate, counted, and resume each stream at a key frame', async () => {
    const b = await bus();
    const root = b.subjects.root;
    const { config } = parseConfig(`jt1078:\n  realtime: { addr: '127.0.0.1:0' }\n  playback: { addr: '127.0.0.1:0' }\n`, 'test');
    const registry = new RedisStreamRegistry(await redisUrl(), root);
    const metricsRegistry = createMetricsRegistry({ defaultMetrics: false });
    const service = new IngestService({ config, bus: b, registry, metricsRegistry, log: silentLogger(), pod: 'pod-bp' });
    await service.start();
    const received: Array<{ n: number; key: boolean; at: number }> = [];
    raw.subscribe(`${root}.media.>`, {
      callback: (_e, m) => void received.push({ n: frameNumber(m.data), key: m.headers?.get(FrameHeader.key) === '1', at: Date.now() }),
    });
    await raw.flush();
    const sim = '013900200002';
    // 250 frames/s, ~3.5 MB/s: the frozen server's socket buffers fill within a second or two.
    const device = new SimulatedDevice({ host: '127.0.0.1', port: service.server.addresses().live.tcp, speed: 10, replay: new CaptureReplay(loadCapturePackets(numberedCapture(sim, 50)), { loop: true }) });
    void device.start();
    const dropped = async (reason: string) => (await service.metrics.drops.get()).values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
    try {
      await until(() => received.length >= 50, 15_000, 'the stream live');

      server.freeze();
      let maxUnsent = 0;
      const sampler = setInterval(() => (maxUnsent = Math.max(maxUnsent, b.unsentBytes)), 10);
      await until(async () => (await dropped('congested')) > 0, 20_000, 'frames dropped as congested');
      await new Promise((r) => setTimeout(r, 1500)); // frozen a while longer: nothing accumulates
      clearInterval(sampler);
      expect(maxUnsent).toBeLessThanOrEqual(HARD + SLACK);
      expect(b.pressure()).toBe(2);
      const metrics = await metricsRegistry.metrics();
      expect(metrics).toMatch(/jt1078_ingest_bus_pressure 2/);
      expect(metrics).toMatch(/jt1078_ingest_frames_dropped_total\{kind="live",reason="congested"\} [1-9]/);

      const thawedAt = Date.now();
      server.thaw();
      await until(() => received.filter((r) => r.at > thawedAt + 500).length >= 50, 15_000, 'frames flowing after the thaw');
      expect(b.pressure()).toBe(0);
    } finally {
      device.stop();
      await service.close();
      await registry.clear();
      await registry.close();
    }
    // Every gap in the device's numbering (frames the gate dropped) ends on a key frame, and there were gaps.
    let gaps = 0;
    for (let i = 1; i < received.length; i++) {
      const { n, key } = received[i]!;
      if (n !== (received[i - 1]!.n + 1) % 50) {
        gaps++;
        expect(key, `frame ${n} after ${received[i - 1]!.n}`).toBe(true);
      }
    }
    expect(gaps).toBeGreaterThan(0);
  }, 60_000);
});
