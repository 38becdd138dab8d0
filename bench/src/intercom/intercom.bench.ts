/**
 * The intercom under talk load: one `jt1078 intercom` process (a child, as a pod runs it) on
 * real NATS and Redis; this process plays both ends of every talk — a werift peer as the
 * browser (WebRtcTalkClient) and a TCP device on the leased port (SimulatedTalkDevice). Each
 * talk is two-way at 50 packets/s of 160 bytes G.711A in each direction, the talks' send times
 * spread over the 20 ms.
 *
 * Measured, per number of concurrent talks (ramped, sessions kept between steps):
 *   - browser RTP in → device TCP out (down) and device → browser RTP (up): p50/p99, from the
 *     send call to the packet decoded at the other end, both ends on this process's clock (each
 *     payload carries its talk and packet number);
 *   - packets lost in either direction;
 *   - the intercom process's CPU and memory.
 * The baseline, in the same run: a plain NATS publish → subscriber of 160-byte messages at the
 * same rate, the one bus hop a talk cannot avoid. Target: down p99 ≤ 20 ms at ≥ 200 talks.
 * The load generator shares the machine (and its two cores) with the intercom and NATS: its own
 * CPU is reported beside the results.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { NatsMediaBus } from '@jt1078/bus';
import type { Jt1078Packet } from '@jt1078/jt1078';
import { WebRtcTalkClient } from '@jt1078/svc-intercom';
import { ServiceProcess, cpuSeconds, percentile, rssBytes, type BenchContext, type BenchGroup, type BenchResult } from '../harness/index.js';
import { SimulatedTalkDevice } from './simulated-talk-device.js';

const PACKET_MS = 20;
const PAYLOAD_BYTES = 160;
/** Send times kept per talk and direction (a ring): a packet later than this many packets is counted lost. */
const RING = 256;
/** The ticker runs this many times per 20 ms; talks start in different slots, so sends spread over the 20 ms. */
const SLOTS = 10;
/** Packets one talk sends at most in one tick when the timer ran late (a second's worth). */
const MAX_CATCH_UP = 50;
const TARGET_P99_MS = 20;
/** A talk set up while the others run waits this long for ICE and DTLS (both sides busy). */
const CONNECT_TIMEOUT_MS = 30_000;
/** After a window closes, packets still in flight get this long to arrive. */
const IN_FLIGHT_GRACE_MS = 1000;
/** prom-client's event-loop monitor interval; this process's own monitor interval. */
const PROM_LOOP_RESOLUTION_MS = 10;
const OWN_LOOP_RESOLUTION_MS = 5;
/** After talks are added: their DTLS handshakes (CPU-heavy on both sides) are over before measuring. */
const WARM_UP_MS = 5000;

const pct = percentile;
const procStats = (pid: number) => ({ cpuSeconds: cpuSeconds(pid), rssBytes: rssBytes(pid) });

/** Payload: talk number (u16), packet number (u32), then A-law silence. */
function payload(talk: number, seq: number): Uint8Array {
  const p = new Uint8Array(PAYLOAD_BYTES).fill(0xd5);
  new DataView(p.buffer).setUint16(0, talk);
  new DataView(p.buffer).setUint32(2, seq);
  return p;
}

function stamp(p: Uint8Array): { talk: number; seq: number } {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { talk: v.getUint16(0), seq: v.getUint32(2) };
}

/**
 * One direction's measuring window: packets sent while it is open are counted, and each is
 * counted received (with its latency) when it arrives, also after the window closed — so a
 * packet in flight at the end is not taken for a lost one.
 */
class Direction {
  sent = 0;
  received = 0;
  latencies: number[] = [];
  readonly #sentAt: Float64Array[] = [];
  /** Per talk, the packet numbers the window holds: [first, end). */
  #from: number[] = [];
  #to: number[] | undefined;
  #open = false;

  send(talk: number, seq: number): void {
    (this.#sentAt[talk] ??= new Float64Array(RING))[seq % RING] = performance.now();
    if (this.#open) this.sent++;
  }

  arrived(talk: number, seq: number, newest: number): void {
    const at = this.#sentAt[talk]?.[seq % RING];
    if (at === undefined || newest - seq >= RING || seq < (this.#from[talk] ?? Infinity) || seq >= (this.#to?.[talk] ?? Infinity)) return;
    this.received++;
    this.latencies.push(performance.now() - at);
  }

  open(talks: readonly Talk[]): void {
    this.sent = 0;
    this.received = 0;
    this.latencies = [];
    this.#from = talks.map((t) => t.seq);
    this.#to = undefined;
    this.#open = true;
  }

  close(talks: readonly Talk[]): void {
    this.#open = false;
    this.#to = talks.map((t) => t.seq);
  }

  /** What the window measured: latencies sorted, loss in %. */
  result(): { readonly sorted: number[]; readonly loss: number; readonly sent: number } {
    return { sorted: [...this.latencies].sort((a, b) => a - b), loss: this.sent === 0 ? 0 : Math.max(0, (1 - this.received / this.sent) * 100), sent: this.sent };
  }
}

interface Talk {
  readonly client: WebRtcTalkClient;
  readonly device: SimulatedTalkDevice;
  /** Packets sent each way so far. */
  seq: number;
  /** When its first packet was due. */
  readonly start: number;
}

/** The same rate of 160-byte messages through NATS alone, publish → subscriber. */
async function natsBaseline(url: string, rate: number, seconds: number): Promise<number[]> {
  const nc = await connect({ servers: url });
  const subject = `benchtalkbase${Date.now()}`;
  const latencies: number[] = [];
  nc.subscribe(subject, {
    callback: (_e, m) => {
      latencies.push(performance.now() - new DataView(m.data.buffer, m.data.byteOffset).getFloat64(0));
    },
  });
  await nc.flush();
  const perTick = Math.max(1, Math.round(rate / (1000 / (PACKET_MS / SLOTS))));
  const end = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        const m = new Uint8Array(PAYLOAD_BYTES);
        new DataView(m.buffer).setFloat64(0, performance.now());
        nc.publish(subject, m);
      }
      if (performance.now() > end) {
        clearInterval(timer);
        resolve();
      }
    }, PACKET_MS / SLOTS);
  });
  await nc.flush();
  await nc.close();
  return latencies.sort((a, b) => a - b);
}

/**
 * How late the intercom's event loop ran, p99, from prom-client's default metric: a
 * monitorEventLoopDelay histogram of 10 ms timer intervals, so 10 ms is on time.
 */
async function intercomLoopLateness(base: string): Promise<string> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
  return m ? `${Math.max(0, Number(m[1]) * 1000 - PROM_LOOP_RESOLUTION_MS).toFixed(1)} ms` : 'n/a';
}

/** The intercom's drop counters (both sides'), as `reason=count` pairs: where lost packets went. */
async function droppedInIntercom(base: string): Promise<string> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => /^jt1078_intercom_(webrtc_)?drops_total\{/.test(l) && !l.endsWith(' 0'))
    .map((l) => l.replace(/^jt1078_intercom_/, '').replace(/,?(service|pod)="[^"]*"/g, ''))
    .join(', ');
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const url = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redis = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const steps = process.env['JT1078_BENCH_TALKS']?.split(',').map(Number) ?? (ctx.quick ? [1, 10] : [1, 25, 50, 100, 150, 200, 250]);
  const maxTalks = Math.max(...steps);
  const seconds = ctx.quick ? 3 : 10;
  const root = `benchtalk${Date.now()}`;
  // Below Linux's ephemeral ports (32768+), where outgoing connections could already hold one.
  const audio = 24000 + Math.floor(Math.random() * (4000 - maxTalks));
  const udp = 16000 + Math.floor(Math.random() * 4000);
  const httpPort = 29000 + Math.floor(Math.random() * 3000);
  const base = `http://127.0.0.1:${httpPort}`;
  const config = [
    'jt1078:',
    '  intercom:',
    `    audio_ports: [${audio}, ${audio + maxTalks - 1}]`,
    `    jt1078webrtc: { port: ${udp}, ip: 127.0.0.1 }`,
    '    overtime_second: 600',
    'cluster:',
    `  http: { addr: '127.0.0.1:${httpPort}' }`,
    `  nats: { subject_root: ${root} }`,
    '  intercom: { drain_grace_second: 0 }',
  ].join('\n');
  const intercom = await ServiceProcess.start({ service: 'intercom', config, httpPort, natsUrl: url, redisUrl: redis });
  const results: BenchResult[] = [];
  const talks: Talk[] = [];
  const down = new Direction();
  const up = new Direction();
  let ticker: NodeJS.Timeout | undefined;
  let firstStep: { talks: number; rssBytes: number } | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: OWN_LOOP_RESOLUTION_MS });
  loopDelay.enable();
  try {
    /** Leases, connects a device and a browser, until `n` talks run; why it could not, if it could not. */
    const addTalks = async (n: number): Promise<string | undefined> => {
      while (talks.length < n) {
        const i = talks.length;
        const sim = String(13900000000 + i).padStart(12, '0');
        let device: SimulatedTalkDevice | undefined;
        try {
          const lease = await fetch(`${base}/api/v1/intercom/leases`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sim, channel: 1 }) });
          const { port, error } = (await lease.json()) as { port: number; error?: string };
          if (lease.status !== 201) return `lease: ${lease.status} ${error ?? ''}`;
          device = await SimulatedTalkDevice.connect({ port, sim, channel: 1, maxPackets: 1 });
          // SimulatedTalkDevice keeps what it received in `received`; the bench needs each packet as it arrives.
          Object.defineProperty(device.received, 'push', {
            value: (p: Jt1078Packet) => {
              const s = stamp(p.body);
              down.arrived(s.talk, s.seq, talks[i]?.seq ?? 0);
              return 0;
            },
          });
          const client = await WebRtcTalkClient.connect({ baseUrl: base, group: [{ sim, channel: 1, audioPort: port }], connectTimeoutMs: CONNECT_TIMEOUT_MS });
          client.onRtp((rtp) => {
            const s = stamp(rtp.payload);
            up.arrived(s.talk, s.seq, talks[i]?.seq ?? 0);
          });
          talks.push({ client, device, seq: 0, start: performance.now() + (i % SLOTS) * (PACKET_MS / SLOTS) });
        } catch (err) {
          device?.destroy();
          return (err as Error).message;
        }
      }
      return undefined;
    };

    // Each talk's packets are due every 20 ms from its own start (starts spread over the 20 ms);
    // a late timer sends what fell due, so the rate holds when the machine is busy.
    ticker = setInterval(() => {
      const now = performance.now();
      talks.forEach((t, i) => {
        for (let burst = 0; t.start + t.seq * PACKET_MS <= now && burst < MAX_CATCH_UP; burst++) {
          const seq = t.seq++;
          down.send(i, seq);
          t.client.send(payload(i, seq), seq, seq * PAYLOAD_BYTES);
          up.send(i, seq);
          t.device.sendAudio(payload(i, seq), seq * PACKET_MS, 'g711a');
        }
      });
    }, PACKET_MS / SLOTS);

    for (const n of steps) {
      const failed = await addTalks(n);
      if (failed) {
        ctx.log(`ramp stopped at ${talks.length} talks, setting up talk ${talks.length + 1} failed: ${failed}`);
        results.push({ name: `intercom.${n}.setup`, value: talks.length, unit: 'talks', note: `the ramp to ${n} stopped here: ${failed}` });
        break;
      }
      await new Promise((r) => setTimeout(r, WARM_UP_MS)); // the new talks' DTLS handshakes done, every talk flowing
      await intercomLoopLateness(base); // prom-client restarts its lag histogram at each scrape: from here, the window's
      down.open(talks);
      up.open(talks);
      const before = procStats(intercom.pid);
      const cpuBefore = process.cpuUsage();
      loopDelay.reset();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = procStats(intercom.pid);
      const self = process.cpuUsage(cpuBefore);
      const ownLoopP99 = Math.max(0, loopDelay.percentile(99) / 1e6 - OWN_LOOP_RESOLUTION_MS);
      down.close(talks);
      up.close(talks);
      await new Promise((r) => setTimeout(r, IN_FLIGHT_GRACE_MS));
      const cpu = ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100;
      const selfCpu = ((self.user + self.system) / 1e6 / seconds) * 100;
      const dr = down.result();
      const ur = up.result();
      const d = dr.sorted;
      const u = ur.sorted;
      const loss = { down: dr.loss, up: ur.loss };
      const lag = await intercomLoopLateness(base);
      const dropped = await droppedInIntercom(base);
      ctx.log(`${n} talks: dropped in the intercom so far: ${dropped || 'nothing'}`);
      ctx.log(`${n} talks: down p50 ${pct(d, 50).toFixed(1)} p99 ${pct(d, 99).toFixed(1)} ms, up p50 ${pct(u, 50).toFixed(1)} p99 ${pct(u, 99).toFixed(1)} ms, loss down ${loss.down.toFixed(2)}% up ${loss.up.toFixed(2)}%, intercom CPU ${cpu.toFixed(0)}% RSS ${(after.rssBytes / 2 ** 20).toFixed(0)} MiB event loop late by ${lag} (p99), load generator CPU ${selfCpu.toFixed(0)}% event loop late by ${ownLoopP99.toFixed(1)} ms (p99)`);
      results.push(
        { name: `intercom.${n}.down.p50`, value: pct(d, 50), unit: 'ms', note: `browser RTP send → device TCP packet decoded, ${d.length} packets` },
        { name: `intercom.${n}.down.p99`, value: pct(d, 99), unit: 'ms', note: `target ≤ ${TARGET_P99_MS} ms` },
        { name: `intercom.${n}.up.p50`, value: pct(u, 50), unit: 'ms', note: `device TCP send → browser RTP received, ${u.length} packets` },
        { name: `intercom.${n}.up.p99`, value: pct(u, 99), unit: 'ms' },
        { name: `intercom.${n}.loss`, value: Math.max(loss.down, loss.up), unit: '%', note: `down ${loss.down.toFixed(2)}%, up ${loss.up.toFixed(2)}% of ${dr.sent} + ${ur.sent} packets` },
        { name: `intercom.${n}.cpu`, value: cpu, unit: '% of a core', note: `the intercom process, its event loop late by ${lag} (p99); the load generator (${n} werift peers and devices) used ${selfCpu.toFixed(0)}%, its loop late by ${ownLoopP99.toFixed(1)} ms (p99)` },
        {
          name: `intercom.${n}.rss`, value: after.rssBytes / 2 ** 20, unit: 'MiB',
          note: firstStep && n > firstStep.talks ? `${((after.rssBytes - firstStep.rssBytes) / (n - firstStep.talks) / 1024).toFixed(0)} KiB per talk above the ${firstStep.talks}-talk step` : 'the process with its runtime',
        },
      );
      firstStep ??= { talks: n, rssBytes: after.rssBytes };
    }
  } finally {
    clearInterval(ticker);
    loopDelay.disable();
    await Promise.all(talks.map((t) => t.client.close().catch(() => undefined)));
    for (const t of talks) t.device.destroy();
    await intercom.stop();
    // The JetStream streams the pod made under this root, on the shared server.
    const bus = await NatsMediaBus.connect({ url, root });
    await bus.deleteStreams();
    await bus.close();
  }

  const baseline = await natsBaseline(url, 50, ctx.quick ? 2 : 5);
  const bp50 = pct(baseline, 50);
  const bp99 = pct(baseline, 99);
  ctx.log(`plain NATS publish → subscriber, 160 B at 50/s: p50 ${bp50.toFixed(2)} ms p99 ${bp99.toFixed(2)} ms`);
  results.push({ name: 'intercom.baseline.nats.p99', value: bp99, unit: 'ms', note: `p50 ${bp50.toFixed(2)} ms; one NATS hop, 160-byte messages at 50/s from one client` });
  const one = results.find((r) => r.name === `intercom.${steps[0]}.down.p99`);
  if (one) results.push({ name: 'intercom.added-latency.p99', value: one.value, unit: 'ms', baseline: { name: 'plain NATS hop p99', value: bp99, unit: 'ms' }, ratio: one.value / bp99, note: `${steps[0]} talk; value / baseline (lower is better)` });
  const within = steps.filter((n) => {
    const p99 = results.find((r) => r.name === `intercom.${n}.down.p99`)?.value ?? Infinity;
    const loss = results.find((r) => r.name === `intercom.${n}.loss`)?.value ?? Infinity;
    return p99 <= TARGET_P99_MS && loss < 1;
  });
  results.push({ name: 'intercom.talks.within-target', value: Math.max(0, ...within), unit: 'talks', note: `most concurrent two-way talks measured with down p99 ≤ ${TARGET_P99_MS} ms and < 1 % loss (steps ${steps.join(', ')})` });
  return results;
}

export const intercomBenchGroups: readonly BenchGroup[] = [
  { name: 'intercom', description: 'two-way WebRTC talks through one jt1078 intercom process on real NATS and Redis: latency both ways, loss, CPU and memory as talks ramp up', run },
];
