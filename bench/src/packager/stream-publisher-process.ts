/**
 * One process of the packager benchmark's publishers (packager.bench.ts forks a few, so the
 * "ingest" side does not share the packager's cores more than it must): `count` streams, SIMs
 * from `firstSim`, each looping the bench capture's frames as an ingest publishes them — claimed
 * in the registry, numbered, timestamps monotonic, segment-opening frames marked, each video
 * frame's send stamp set to the machine's monotonic clock as it is published. Stream starts are
 * spread over one loop of the capture, so keyframes do not all land at once. On 'stop' it
 * releases its streams, reports, and exits.
 */
import { NatsMediaBus, type FrameEnvelope } from '@jt1078/bus';
import { framesOf } from '@jt1078/jt1078/testdata';
import { readCapture } from '@jt1078/jt1078';
import { SegmentMarker } from '@jt1078/numbering';
import { RedisStreamRegistry } from '@jt1078/store';
import { SEND_STAMP_TAIL, deviceSims, hasSendStamp, monotonicNs, writeSendStamp } from '@jt1078/svc-simulator';

export interface StreamPublisherArgs {
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly root: string;
  readonly file: string;
  readonly firstSim: string;
  readonly count: number;
  readonly segmentMs: number;
  /** Publish the video only (the packager's video path); with audio, G.711A becomes Opus there. */
  readonly videoOnly: boolean;
}

export interface StreamPublisherReport {
  readonly frames: number;
  readonly bytes: number;
  /** Frames the bus could not take (its own pressure). */
  readonly dropped: number;
}

/** The pacing tick: frames due within it go out together. */
const TICK_MS = 5;

interface BenchStream {
  readonly sim: string;
  readonly streamPath: string;
  readonly marker: SegmentMarker;
  readonly startedAt: number;
  next: number;
  loop: number;
  sequence: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as StreamPublisherArgs;
const frames = framesOf(readCapture(args.file)).filter((f) => f.codec && f.timestamp !== undefined && (f.kind === 'video' || (f.kind === 'audio' && !args.videoOnly)));
const loopMs = frames[frames.length - 1]!.timestamp! + 40;
const bus = await NatsMediaBus.connect({ url: args.natsUrl, root: args.root, name: `bench-publisher-${args.firstSim}` });
const registry = new RedisStreamRegistry(args.redisUrl, args.root);
const t0 = performance.now();
const streams: BenchStream[] = [];
for (const [i, sim] of deviceSims(args.firstSim, args.count).entries()) {
  const base = `live/jt1078-${sim}-1`;
  const owner = { pod: 'bench', connectionId: `bench-${sim}`, sim, channel: 1, kind: 'live' as const, startTime: '2026-12-01 00:00:00', joinBody: {} };
  const streamPath = await registry.claim(base, owner, 600_000);
  const startedAt = t0 + ((i * loopMs) / args.count);
  streams.push({ sim, streamPath, marker: new SegmentMarker(args.segmentMs, Date.now() + i), startedAt, next: 0, loop: 0, sequence: 0 });
}
const last = new Map<string, number>();
let published = 0;
let bytes = 0;

function publish(s: BenchStream): void {
  const f = frames[s.next]!;
  const mediaKind = f.kind as 'video' | 'audio';
  const key = `${s.sim}/${mediaKind}`;
  const timestamp = Math.max((last.get(key) ?? -1) + 1, s.loop * loopMs + f.timestamp!);
  last.set(key, timestamp);
  const segment = s.marker.mark({ mediaKind, keyFrame: f.keyFrame, timestamp });
  let data = f.data;
  if (mediaKind === 'video' && hasSendStamp(data)) {
    data = Uint8Array.from(data);
    writeSendStamp(data, data.length - SEND_STAMP_TAIL, monotonicNs());
  }
  const frame: FrameEnvelope = {
    streamKind: 'live', sim: s.sim, channel: 1, codec: f.codec!, mediaKind, keyFrame: f.keyFrame, timestamp, sequence: s.sequence++,
    connectionId: `bench-${s.sim}`, streamPath: s.streamPath, data, ...(segment === undefined ? {} : { segment }),
  };
  bus.publishFrame(frame);
  published++;
  bytes += data.length;
  if (++s.next === frames.length) {
    s.next = 0;
    s.loop++;
  }
}

const timer = setInterval(() => {
  const now = performance.now();
  for (const s of streams) {
    while (now >= s.startedAt && s.startedAt + s.loop * loopMs + frames[s.next]!.timestamp! <= now) publish(s);
  }
}, TICK_MS);

process.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  void (async () => {
    for (const s of streams) await registry.release(s.streamPath, `bench-${s.sim}`);
    const report: StreamPublisherReport = { frames: published, bytes, dropped: bus.stats.framesDropped };
    await bus.close();
    await registry.close();
    process.send?.(report, () => process.exit(0));
  })();
});
process.on('disconnect', () => process.exit(0));
process.send?.('ready');
